"""A node whose clock reads before its key's start cannot sign: it is told its clock is behind,
not to rotate its keys (issue 17 item 6, node/keyring.py)."""

from __future__ import annotations

import pytest

from node.errors import ConfigError
from node.keyring import Keyring, OwnKey
from protocol.directory import KeyRecord
from tests.support import node_key


def _keyring(*windows: tuple[int, int | None]) -> Keyring:
    keys = []
    for n, (start_ms, end_ms) in enumerate(windows):
        key = node_key(f"key-{n}")
        keys.append(OwnKey(KeyRecord(key_id=key.key_id, public_key=key.verify_key().to_b64(),
                                     valid_from_ms=start_ms, valid_until_ms=end_ms), key))
    return Keyring("sh-pudong", keys)


def test_a_clock_behind_its_keys_start_is_told_to_fix_ntp_not_to_rotate_keys() -> None:
    keyring = _keyring((1_000_000, None))
    with pytest.raises(ConfigError) as behind:
        keyring.signing_key(now_ms=400_000, directory=None)
    assert "starts 600.0 s later, so this node's clock is behind: fix NTP" in str(behind.value)
    assert "do not rotate keys" in str(behind.value)
    with pytest.raises(ConfigError, match="all have ended\\): rotate keys"):
        _keyring((0, 1_000)).signing_key(now_ms=400_000, directory=None)
