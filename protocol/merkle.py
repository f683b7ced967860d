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

LeafKey = tuple[str, str]
"""(debtor_node, transfer_id): Python compares str by code point, which is UTF-8 byte order."""


@dataclass(frozen=True, order=True)
class TransferLeaf:
    """One committed transfer of a window; ordered by (debtor_node, transfer_id)."""

    debtor_node: str
    transfer_id: str
    amount_minutes: int
    prepare_hash: str

    @property
    def key(self) -> LeafKey:
        """The position of this leaf in the window: (debtor_node, transfer_id)."""
        return (self.debtor_node, self.transfer_id)

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


def leaf_hash(leaf_bytes: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 ‖ d): the hash of one leaf."""
    return hashlib.sha256(LEAF_PREFIX + leaf_bytes).digest()


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """The same root as `tree_hash`, from the leaves' hashes, without recursion.

    Pairing neighbours level by level and carrying an odd last node up unchanged builds the
    RFC 6962 tree exactly: its left subtree always holds the largest power of two below n.
    """
    if not hashes:
        return hashlib.sha256(b"").digest()
    level = list(hashes)
    while len(level) > 1:
        paired = [
            hashlib.sha256(NODE_PREFIX + level[index] + level[index + 1]).digest()
            for index in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def transfers_root(leaves: Iterable[TransferLeaf]) -> str:
    """Hex Merkle root of a window's transfers in the standard's order."""
    ordered = sorted(leaves, key=lambda leaf: (leaf.debtor_node, leaf.transfer_id))
    return tree_hash([leaf.leaf_bytes() for leaf in ordered]).hex()
