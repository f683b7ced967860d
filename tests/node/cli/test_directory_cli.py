"""`hourbridge directory` end to end: an authority folder, three real node folders, signed files
that a node's own acceptance check (protocol.directory.accept_directory) takes or refuses."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from node.keys import load_key_file
from protocol.directory import accept_directory, key_text
from protocol.errors import ProtocolError
from protocol.policy import DAY_MS, DEFAULT_POLICY
from protocol.reasons import ReasonCode
from protocol.signing import SigningKey
from tests.node.cli.directory_support import (
    NODES,
    accept,
    anchor_of,
    hb,
    hb_refuses,
    node_in,
    refusal,
    signed,
)

ANCHOR_LINE = re.compile(r"^ed25519:[A-Za-z0-9_-]{8}=[A-Za-z0-9_-]{43}$")


def test_init_makes_a_private_key_and_prints_the_anchor_to_pin(tmp_path: Path) -> None:
    folder = tmp_path / "authority"
    result = hb("directory", "init", "--federation-id", "cn-eldercare", "--authority", folder,
                "--name", "长三角养老时间银行联盟")
    anchor = result.stdout.strip().splitlines()[-1]
    assert ANCHOR_LINE.match(anchor)
    key = load_key_file(folder / "authority_key.pem", None)
    assert anchor == key_text(key.verify_key())
    assert stat.S_IMODE((folder / "authority_key.pem").stat().st_mode) == 0o600
    draft = json.loads((folder / "draft.json").read_text())
    assert draft["policy"] == DEFAULT_POLICY.model_dump(mode="json") and draft["nodes"] == []
    again = ["directory", "init", "--federation-id", "cn-eldercare", "--authority", folder]
    assert "exists already" in hb_refuses(*again)
    assert "must match" in hb_refuses(
        "directory", "init", "--federation-id", "CN Eldercare", "--authority", tmp_path / "x"
    )
    assert not (tmp_path / "x").exists()


def test_signed_directory_lists_the_nodes_with_their_own_keys(
    auth: Path, node_data: dict[str, Path]
) -> None:
    directory = accept(auth, signed(auth / "directory.json"), None)
    assert directory.serial == 1 and directory.federation_id == "cn-eldercare"
    assert [node.node_id for node in directory.nodes] == sorted(NODES)
    for node in directory.nodes:
        region, url, name = NODES[node.node_id]
        own_key = load_key_file(node_data[node.node_id] / "signing_key.pem", None)
        assert [key.key_id for key in node.keys] == [own_key.key_id]
        assert (node.region_code, node.base_url, node.name) == (region, url, name)
        assert node.status.value == "active" and node.keys[0].valid_until_ms is None
        assert (node.local_unit.units, node.local_unit.minutes) == (1, 1)
        assert (node.net_debit_cap_per_partner_minutes, node.net_debit_cap_overall_minutes) == (
            DEFAULT_POLICY.net_debit_cap_per_partner_minutes_max,
            DEFAULT_POLICY.net_debit_cap_overall_minutes_max,
        )
    assert (auth / "directory-1.json").read_bytes() == (auth / "directory.json").read_bytes()


def test_suspension_goes_out_as_serial_two_and_serial_one_is_then_stale(
    auth: Path, tmp_path: Path
) -> None:
    first = accept(auth, signed(auth / "directory.json"))
    hb("directory", "suspend", "--authority", auth, "--node-id", "nj-gulou")
    hb("directory", "sign", "--authority", auth, "--publish", tmp_path / "served.json")
    second = accept(auth, signed(tmp_path / "served.json"), first)
    assert second.serial == 2
    assert node_in(second, "nj-gulou").status.value == "suspended"
    assert node_in(second, "sh-pudong").status.value == "active"
    assert refusal(auth, signed(auth / "directory-1.json"), second) is ReasonCode.DIRECTORY_STALE
    assert signed(auth / "directory.json") == signed(tmp_path / "served.json")


def test_rotation_keeps_the_old_key_listed_with_a_closed_window(auth: Path) -> None:
    before = node_in(accept(auth, signed(auth / "directory.json")), "hz-xihu")
    (old_id,) = [key.key_id for key in before.keys]
    new = SigningKey.from_seed(b"\x07" * 32).verify_key()
    hb("directory", "rotate-key", "--authority", auth, "--node-id", "hz-xihu",
       "--public-key", key_text(new), "--overlap-days", "8")
    hb("directory", "sign", "--authority", auth)
    node = node_in(accept(auth, signed(auth / "directory.json")), "hz-xihu")
    old, added = node.keys
    assert (old.key_id, added.key_id) == (old_id, new.key_id)
    assert added.valid_until_ms is None
    assert old.valid_until_ms == added.valid_from_ms + 8 * DAY_MS
    assert old.valid_at(added.valid_from_ms) and not old.valid_at(old.valid_until_ms)
    assert node.signing_key_id(added.valid_from_ms) == new.key_id
    again = ["directory", "rotate-key", "--authority", auth, "--node-id", "hz-xihu"]
    assert "already listed" in hb_refuses(*again, "--public-key", key_text(new))
    other = key_text(SigningKey.from_seed(b"\x08" * 32).verify_key())
    short = hb_refuses(*again, "--public-key", other, "--overlap-days", "1")
    assert "policy_out_of_bounds" in short


def test_a_changed_byte_in_the_published_file_is_refused(auth: Path) -> None:
    raw = (auth / "directory.json").read_bytes()
    name = "上海市浦东新区时间银行".encode()
    renamed = raw.replace(name, "上海市浦东新区时间银杏".encode(), 1)
    assert len(renamed) == len(raw) and renamed != raw
    assert refusal(auth, json.loads(renamed)) is ReasonCode.BAD_SIGNATURE
    refused_as = {ReasonCode.BAD_SIGNATURE, ReasonCode.MALFORMED, ReasonCode.MISSING_SIGNATURE,
                  ReasonCode.UNKNOWN_KEY, ReasonCode.POLICY_OUT_OF_BOUNDS}
    anchors = [anchor_of(auth)]
    for at in range(len(raw)):
        tampered = bytearray(raw)
        tampered[at] ^= 1 << (at % 8)
        try:
            document = json.loads(bytes(tampered))
        except ValueError:  # not JSON or not UTF-8 any more: a node reads nothing
            continue
        with pytest.raises(ProtocolError) as refused:
            accept_directory(document, anchors=anchors, current=None)
        assert refused.value.code in refused_as, (at, refused.value)


def test_status_changes_follow_the_standard(auth: Path) -> None:
    cmd = ["--authority", auth, "--node-id", "sh-pudong"]
    hb("directory", "suspend", *cmd)
    before = (auth / "draft.json").read_bytes()
    assert "already" in hb("directory", "suspend", *cmd).stdout
    assert (auth / "draft.json").read_bytes() == before
    hb("directory", "reinstate", *cmd)
    hb("directory", "retire", *cmd)
    assert "final" in hb_refuses("directory", "reinstate", *cmd)
    assert "not in the directory" in hb_refuses(
        "directory", "suspend", "--authority", auth, "--node-id", "gz-tianhe"
    )
    hb("directory", "sign", "--authority", auth)
    retired = node_in(accept(auth, signed(auth / "directory.json")), "sh-pudong")
    assert retired.status.value == "retired"


def test_show_and_the_authority_variable(auth: Path, tmp_path: Path) -> None:
    env: dict[str, str | None] = {"HOURBRIDGE_AUTHORITY": str(auth), "COLUMNS": "200"}
    shown = hb("directory", "show", env=env).stdout
    assert "serial 1" in shown and "unsigned changes" not in shown
    assert all(node_id in shown for node_id in NODES) and "→ open" in shown
    hb("directory", "suspend", "--node-id", "hz-xihu", env=env)
    shown = hb("directory", "show", env=env).stdout
    assert "suspended" in shown and "unsigned changes" in shown
    hb("directory", "sign", "--publish", tmp_path, env=env)
    assert signed(tmp_path / "directory.json")["serial"] == 2
    assert "does not exist" in hb_refuses(
        "directory", "sign", "--allow-unchanged", "--publish", tmp_path / "no" / "d.json", env=env
    )
    assert not (auth / "directory-3.json").exists()


def test_errors_exit_2_with_the_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "node.cli.main", "directory", "show", "--authority", tmp_path],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2 and "directory init" in result.stderr
