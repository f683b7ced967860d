from __future__ import annotations

import hashlib

from protocol.merkle import TransferLeaf, transfers_root, tree_hash


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_rfc6962_shape() -> None:
    a, b, c = b"a", b"b", b"c"
    assert tree_hash([]) == _h(b"")
    assert tree_hash([a]) == _h(b"\x00a")
    ab = _h(b"\x01" + _h(b"\x00a") + _h(b"\x00b"))
    assert tree_hash([a, b]) == ab
    # Three leaves split 2 + 1 (largest power of two below n goes left).
    assert tree_hash([a, b, c]) == _h(b"\x01" + ab + _h(b"\x00c"))


def test_root_is_independent_of_input_order_and_sensitive_to_content() -> None:
    one = TransferLeaf("sh-pudong", "tr-0000000001", 120, "0" * 64)
    two = TransferLeaf("nj-gulou", "tr-0000000002", 60, "1" * 64)
    assert transfers_root([one, two]) == transfers_root([two, one])
    changed = TransferLeaf("sh-pudong", "tr-0000000001", 121, "0" * 64)
    assert transfers_root([one, two]) != transfers_root([changed, two])
    assert len(transfers_root([])) == 64
