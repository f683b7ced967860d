"""Merkle root over a window's transfers (RFC 6962 §2.1 tree hash, SHA-256).

Two nodes that disagree about a window compare roots, then descend the tree, instead of
exchanging every row (DESIGN §7). The leaf and node prefixes (0x00, 0x01) keep a leaf from ever
being confused with an inner node.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from protocol.canonical import canonical_bytes

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


@dataclass(frozen=True, order=True)
class TransferLeaf:
    """One committed transfer of a window; ordered by (debtor_node, transfer_id)."""

    debtor_node: str
    transfer_id: str
    amount_minutes: int
    prepare_hash: str

    def leaf_bytes(self) -> bytes:
        return canonical_bytes(
            {
                "amount_minutes": self.amount_minutes,
                "debtor_node": self.debtor_node,
                "prepare_hash": self.prepare_hash,
                "transfer_id": self.transfer_id,
            }
        )


def _split(count: int) -> int:
    """Largest power of two strictly below `count` (count >= 2)."""
    split = 1
    while split * 2 < count:
        split *= 2
    return split


def tree_hash(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(LEAF_PREFIX + leaves[0]).digest()
    split = _split(len(leaves))
    left = tree_hash(leaves[:split])
    right = tree_hash(leaves[split:])
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def transfers_root(leaves: Iterable[TransferLeaf]) -> str:
    """Hex Merkle root of a window's transfers in the standard's order."""
    ordered = sorted(leaves, key=lambda leaf: (leaf.debtor_node, leaf.transfer_id))
    return tree_hash([leaf.leaf_bytes() for leaf in ordered]).hex()
