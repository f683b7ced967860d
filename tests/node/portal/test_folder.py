"""The portal's folder: private modes, settings written once, tokens kept per node."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from node.errors import ConfigError
from node.portal.folder import PortalFolder
from protocol.canonical import canonical_bytes
from protocol.directory import key_text
from protocol.signing import SigningKey
from tests.node.portal.conftest import NJ, SH, make_folder
from tests.support import directory_document


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_makes_a_private_folder_with_private_files(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    assert mode(folder.path) == 0o700 and mode(folder.history_path) == 0o700
    for path in (folder.config_path, folder.tokens_path, folder.accounts_path):
        assert mode(path) == 0o600, path
    settings = folder.settings()
    assert settings.directory == (tmp_path / "directory.json").resolve()
    _, directory = folder.read_directory()
    assert sorted(n.node_id for n in directory.nodes) == sorted([SH, NJ])


def test_init_refuses_to_start_over(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    with pytest.raises(ConfigError, match="exists already"):
        folder.init(directory=tmp_path / "directory.json", anchors=[],
                    authority=tmp_path / "authority")


def test_init_refuses_a_directory_that_does_not_verify_against_the_anchor(
        tmp_path: Path) -> None:
    published = tmp_path / "directory.json"
    published.write_bytes(canonical_bytes(directory_document([SH])))
    stranger = SigningKey.from_seed(b"someone else".ljust(32, b"\0"))
    folder = PortalFolder(tmp_path / "portal")
    with pytest.raises(ConfigError, match="does not verify"):
        folder.init(directory=published, anchors=[key_text(stranger.verify_key())],
                    authority=tmp_path / "authority")
    assert not folder.path.exists()  # nothing written


def test_tokens_are_kept_per_node_in_a_private_file(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    folder.add_token(SH, "tok-sh")
    folder.add_token(NJ, "tok-nj")
    folder.add_token(SH, "tok-sh-2")
    assert folder.tokens() == {SH: "tok-sh-2", NJ: "tok-nj"}
    assert json.loads(folder.tokens_path.read_text())[SH] == "tok-sh-2"
    assert mode(folder.tokens_path) == 0o600
    with pytest.raises(ConfigError, match="must match"):
        folder.add_token("Not A Node", "tok")
    with pytest.raises(ConfigError, match="printable"):
        folder.add_token(SH, "two words")


def test_the_audit_trail_is_private_and_appends(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    folder.audit({"action": "a"})
    folder.audit({"action": "b"})
    lines = folder.audit_path.read_text().splitlines()
    assert [json.loads(line)["action"] for line in lines] == ["a", "b"]
    assert mode(folder.audit_path) == 0o600
