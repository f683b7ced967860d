"""`hourbridge directory` refuses, with a message, what would break the federation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from node.cli import directory as directory_cli
from protocol.directory import key_text
from protocol.signing import SigningKey
from tests.node.cli.directory_support import accept, hb, hb_refuses, node_in, signed


def test_add_node_checks_its_input(auth: Path, node_data: dict[str, Path]) -> None:
    key = key_text(SigningKey.from_seed(b"\x09" * 32).verify_key())
    new = ["directory", "add-node", "--authority", auth, "--node-id", "gz-tianhe",
           "--region", "440106", "--url", "https://gz.example"]
    assert "listed already" in hb_refuses(
        "directory", "add-node", "--authority", auth, "--node-data", node_data["nj-gulou"]
    )
    assert "belongs to node nj-gulou" in hb_refuses(
        *new, "--node-data", node_data["nj-gulou"]
    )
    assert "exactly one" in hb_refuses(*new)
    assert "exactly one" in hb_refuses(
        "directory", "add-node", "--authority", auth, "--public-key", key,
        "--node-data", node_data["nj-gulou"],
    )
    assert "needed without --node-data" in hb_refuses(
        "directory", "add-node", "--authority", auth, "--node-id", "gz-tianhe", "--public-key", key
    )
    assert "malformed" in hb_refuses(*new, "--public-key", key[:-1] + "A")
    assert "policy's maximum" in hb_refuses(
        *new, "--public-key", key, "--cap-overall-minutes", "100000001"
    )
    assert "region_code" in hb_refuses(*new[:-4], "--region", "44010", "--url", "https://gz.example",
                                       "--public-key", key)
    assert "lowest terms" in hb_refuses(*new, "--public-key", key, "--unit-units", "2",
                                        "--unit-minutes", "60")
    hb(*new, "--public-key", key, "--name", "广州市天河区时间银行", "--unit-name", "半小时",
       "--unit-minutes", "30", "--cap-per-partner-minutes", "6000")
    hb("directory", "sign", "--authority", auth)
    gz = node_in(accept(auth, signed(auth / "directory.json")), "gz-tianhe")
    assert gz.net_debit_cap_per_partner_minutes == 6000
    assert (gz.local_unit.name, gz.local_unit.minutes) == ("半小时", 30)


def test_sign_refuses_an_unchanged_draft_unless_asked(auth: Path) -> None:
    first = accept(auth, signed(auth / "directory.json"))
    assert "equals serial 1" in hb_refuses("directory", "sign", "--authority", auth)
    assert not (auth / "directory-2.json").exists()
    hb("directory", "sign", "--authority", auth, "--allow-unchanged")
    assert accept(auth, signed(auth / "directory.json"), first).serial == 2


def test_sign_never_reuses_a_serial_or_goes_back_in_time(
    auth: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hb("directory", "suspend", "--authority", auth, "--node-id", "hz-xihu")
    (auth / "directory-2.json").write_text("{}")
    assert "signed before" in hb_refuses("directory", "sign", "--authority", auth)
    assert signed(auth / "directory.json")["serial"] == 1
    (auth / "directory-2.json").unlink()
    issued_at_ms = signed(auth / "directory.json")["issued_at_ms"]
    monkeypatch.setattr(directory_cli, "_now_ms", lambda: issued_at_ms - 1)
    assert "clock is behind" in hb_refuses("directory", "sign", "--authority", auth)


def test_sign_refuses_a_draft_no_node_would_accept(auth: Path) -> None:
    draft = json.loads((auth / "draft.json").read_text())
    stranger = SigningKey.from_seed(b"\x0a" * 32).verify_key()
    draft["authority_keys"][0].update(key_id=stranger.key_id, public_key=stranger.to_b64())
    (auth / "draft.json").write_text(json.dumps(draft))
    assert "unknown_key" in hb_refuses("directory", "sign", "--authority", auth)
    (auth / "draft.json").write_text("{not json")
    assert "not JSON" in hb_refuses("directory", "show", "--authority", auth)
    (auth / "draft.json").write_text("{}")
    assert "not a valid draft" in hb_refuses("directory", "show", "--authority", auth)


def test_an_encrypted_authority_key_needs_its_passphrase(
    tmp_path: Path, node_data: dict[str, Path]
) -> None:
    folder = tmp_path / "authority"
    secret = {"HOURBRIDGE_KEY_PASSPHRASE": "correct horse"}
    hb("directory", "init", "--federation-id", "cn-eldercare", "--authority", folder, env=secret)
    assert b"ENCRYPTED" in (folder / "authority_key.pem").read_bytes()
    hb("directory", "add-node", "--authority", folder, "--node-data", node_data["sh-pudong"])
    assert "HOURBRIDGE_KEY_PASSPHRASE" in hb_refuses("directory", "sign", "--authority", folder)
    hb("directory", "sign", "--authority", folder, env=secret)
    assert accept(folder, signed(folder / "directory.json")).serial == 1
