"""The link map from the authority's folder to a node's answer (§22, draft): `directory link-map
sign`, then `federation link-map load`, `show` and `federation route`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from node.cli.main import app
from node.errors import ConfigError, FederationRefusal, RuleViolation
from tests.node.cli.directory_support import CLEAN_ENV, hb, hb_refuses

# sh-pudong and hz-xihu trade only through nj-gulou.
BODY = {"hops_max": 2, "links": [
    {"a": "hz-xihu", "b": "nj-gulou", "a_cap_minutes": 600, "b_cap_minutes": 300},
    {"a": "nj-gulou", "b": "sh-pudong", "a_cap_minutes": 600, "b_cap_minutes": 600}]}


def _node(auth: Path, node_data: dict[str, Path], tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of sh-pudong's folder pinning `auth`'s key and holding its directory."""
    data = tmp_path / "sh-pudong"
    shutil.copytree(node_data["sh-pudong"], data)
    anchor = hb("directory", "anchor", "--authority", auth).stdout.strip()
    env = {"HOURBRIDGE_DIRECTORY_ANCHORS": anchor}
    hb("federation", "load", "--data", data, auth / "directory.json", env=env)
    return data, env


def _refusal(*args: object, env: dict[str, str]) -> BaseException | None:
    return CliRunner().invoke(app, [str(a) for a in args], env={**CLEAN_ENV, **env}).exception


def test_signed_map_is_loaded_shown_and_routed(
        auth: Path, node_data: dict[str, Path], tmp_path: Path) -> None:
    data, env = _node(auth, node_data, tmp_path)
    assert "full mesh" in hb("federation", "route", "hz-xihu", "--data", data, env=env).stdout
    body = tmp_path / "body.json"
    body.write_text(json.dumps(BODY))
    signed = hb("directory", "link-map", "sign", body, "--authority", auth).stdout
    assert "serial 1 (2 links" in signed
    assert (auth / "links-1.json").read_bytes() == (auth / "links.json").read_bytes()
    loaded = hb("federation", "link-map", "load", "--data", data, auth / "links.json", env=env)
    assert "now holds link map cn-eldercare serial 1" in loaded.stdout
    shown = hb("federation", "link-map", "show", "--data", data, env=env).stdout
    assert "hops_max 2" in shown and "hz-xihu" in shown and "300" in shown
    routed = hb("federation", "route", "hz-xihu", "--data", data, env=env).stdout
    assert routed.strip() == "sh-pudong → nj-gulou → hz-xihu (2 links)"
    refused = _refusal("federation", "route", "bj-nowhere", "--data", data, env=env)
    assert isinstance(refused, RuleViolation) and refused.code.value == "unknown_node"
    # The second signature is serial 2; the folder's serial 1 stays as it was signed.
    hb("directory", "link-map", "sign", body, "--authority", auth)
    assert json.loads((auth / "links.json").read_bytes())["serial"] == 2
    repeat = _refusal("federation", "link-map", "load", "--data", data, auth / "links-1.json",
                      env=env)
    assert repeat is None  # serial 1 is held: a repeat, not a refusal


def test_sign_refuses_what_a_node_would_refuse(auth: Path, tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_text(json.dumps({**BODY, "hops_max": 4}))
    assert "policy_out_of_bounds" in hb_refuses(
        "directory", "link-map", "sign", body, "--authority", auth)
    assert not (auth / "links.json").exists()


def test_a_tampered_map_is_refused_by_the_node(
        auth: Path, node_data: dict[str, Path], tmp_path: Path) -> None:
    data, env = _node(auth, node_data, tmp_path)
    body = tmp_path / "body.json"
    body.write_text(json.dumps(BODY))
    hb("directory", "link-map", "sign", body, "--authority", auth)
    document = json.loads((auth / "links.json").read_bytes())
    document["hops_max"] = 3
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document))
    refused = _refusal("federation", "link-map", "load", "--data", data, tampered, env=env)
    assert isinstance(refused, FederationRefusal) and refused.reason == "bad_signature"
    none = _refusal("federation", "link-map", "show", "--data", data, env=env)
    assert none is not None and none.args[0].startswith("this node holds no link map")
    assert isinstance(_refusal("federation", "link-map", "load", "--data", data, env=env),
                      ConfigError)
