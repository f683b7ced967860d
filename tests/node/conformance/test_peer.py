"""The kit's side of the link: loading its key and directory, reading the target's answers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from node.conformance.peer import KitError, Peer, load_directory, load_key
from tests.node.conformance import KIT, TARGET
from tests.node.conformance.conftest import write_kit_files
from tests.support import START_MS, node_key


def test_key_and_directory_load_from_what_init_and_sign_write(tmp_path: Path) -> None:
    config = write_kit_files(tmp_path)
    assert load_key(config.key_path).key_id == node_key(KIT).key_id
    by_file = load_directory(config.directory)
    assert load_directory(tmp_path).serial == by_file.serial  # a folder with directory.json
    assert by_file.node(KIT) is not None


def test_unusable_key_or_directory_is_a_kit_error(tmp_path: Path) -> None:
    (tmp_path / "bad.key").write_text("not a key")
    with pytest.raises(KitError, match="cannot load"):
        load_key(tmp_path / "bad.key")
    with pytest.raises(KitError, match="cannot read the directory"):
        load_directory(tmp_path / "missing.json")


def _peer(tmp_path: Path, handler: httpx.MockTransport) -> Peer:
    config = write_kit_files(tmp_path)
    return Peer(http=httpx.Client(base_url="http://t", transport=handler),
                directory=load_directory(config.directory), key=load_key(config.key_path),
                kit_id=KIT, target_id=TARGET, now_ms=lambda: START_MS)


@pytest.mark.parametrize(("status", "body", "code", "error"), [
    (422, b'{"reason": "clock_skew", "code": "x"}', "clock_skew", ""),
    (422, b'{"code": "clock_skew"}', None, "without a `reason`"),
    (502, b"<html>bad gateway</html>", None, "not a JSON problem"),
    (200, b'{"kind": "response"}', None, "unsupported_version"),
])
def test_answers_are_read_as_the_standard_says(tmp_path: Path, status: int, body: bytes,
                                               code: str | None, error: str) -> None:
    peer = _peer(tmp_path, httpx.MockTransport(lambda r: httpx.Response(status, content=body)))
    query = {"type": "transfer.status", "message_id": "m" * 16, "body": {
        "transfer_id": "t" * 16, "prepare_hash": "a" * 64, "expires_at_ms": START_MS + 1}}
    answer = peer.send(peer.transaction([query]))
    assert (answer.code, error in answer.error) == (code, True)
    assert not answer.accepted and peer.sequence == 0
