"""Find which transfers two nodes disagree about, by descending key ranges (DESIGN §7).

A window's published `merkle_root` is the RFC 6962 root (standard §11, `protocol.merkle`). When
two nodes' roots differ, this module finds exactly which leaves differ while exchanging
O(k log n) digests for k differences, instead of the whole window.

Why key ranges, not the RFC 6962 subtrees: a subtree covers leaves by *index*, and one missing
transfer shifts every index after it, so no subtree right of the first difference would match.
The descent therefore compares the two sides over the same *key* range [lo, hi) of
(debtor_node, transfer_id), which means the same thing on both sides whatever each side holds.

Range digest (a definition of this descent only, not of the standard's root): for the leaves of
a key range in key order, with h_i = SHA-256(0x00 ‖ leaf bytes) the RFC 6962 leaf hash,

    range digest = SHA-256(0x02 ‖ h_lo ‖ … ‖ h_hi-1)        (empty range: SHA-256(0x02))

It depends only on the leaves in the range, is order-sensitive, and the fixed 32-byte width of
each h_i makes the concatenation unambiguous. Each side keeps its sorted keys and one contiguous
buffer of leaf hashes (`LeafIndex`); a key range maps to an index span by bisection, and its
digest is one SHA-256 call over a slice of that buffer, at the machine's bulk hashing rate (no
per-leaf Python work). Ranges split in halves, so a query at depth d costs n / 2^d bytes × 32,
and the whole descent hashes about n × 32 × (log2(2k) + 2) bytes per side.

The descent (`reconcile`), from the whole key space down:

1. Ask the peer for (count, digest) of the range; equal to ours → the range agrees, skip it.
2. The peer holds at most `leaf_threshold` leaves there → fetch them and diff directly.
3. Otherwise split at a key: our median if we hold at least two leaves there and at least half
   as many as the peer, else the peer's median (one key fetched). The side that chose the split
   has at least one leaf in each half, so the descent always makes progress, even when the
   other side holds none there.

Every split range holds at least one difference, ranges at one depth are disjoint, and each
split halves (rounding up) the count of the side that chose it, which can happen at most
ceil(log2 n) times per side along a path: so a path has at most 2·ceil(log2 n) splits, and at
most 1 + 4·k·ceil(log2 n) digests and `leaf_threshold`·k leaves are exchanged.

The peer is not trusted: every answer is checked against the others (split keys inside the range,
halves whose counts add up, fetched leaves that hash to the summarized digest) and a
contradiction raises `PeerAnswerError`, which also bounds the descent for a lying peer.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from operator import attrgetter
from typing import Protocol

from protocol.merkle import LeafKey, TransferLeaf, leaf_hash, root_from_leaf_hashes

RANGE_PREFIX = b"\x02"
# The same as `TransferLeaf.key`, in C: sorting a million leaves by it is about twice as fast.
_leaf_key = attrgetter("debtor_node", "transfer_id")
HASH_SIZE = 32
LEAF_THRESHOLD_DEFAULT = 8
# A window larger than this is refused rather than descended: a peer's claimed count bounds
# the descent's work.
PEER_LEAVES_MAX_DEFAULT = 10_000_000

Bound = LeafKey | None
"""A range end; None is unbounded (below every key for `lo`, above every key for `hi`)."""


def range_digest(leaf_hashes: bytes | memoryview) -> bytes:
    """SHA-256(0x02 ‖ concatenated leaf hashes), the digest the descent compares."""
    digest = hashlib.sha256(RANGE_PREFIX)
    digest.update(leaf_hashes)
    return digest.digest()


@dataclass(frozen=True)
class RangeSummary:
    """What a side holds in one key range: how many leaves, and their range digest."""

    count: int
    digest: bytes


class RangeHasher(Protocol):
    """The narrow interface the descent needs from the peer (over HTTP in a node)."""

    def summary(self, lo: Bound, hi: Bound) -> RangeSummary:
        """Count and range digest of the leaves with lo <= key < hi."""
        ...

    def split_key(self, lo: Bound, hi: Bound) -> LeafKey:
        """A key strictly inside (lo, hi) leaving at least one leaf on each side (the median);
        only asked when the range holds at least two leaves."""
        ...

    def leaves(self, lo: Bound, hi: Bound) -> Sequence[TransferLeaf]:
        """The leaves with lo <= key < hi, in key order; only asked for small ranges."""
        ...


class PeerAnswerError(ValueError):
    """The peer's answers contradict each other or the question; the descent stops."""


class DifferenceKind(StrEnum):
    MISSING_AT_PEER = "missing_at_peer"
    MISSING_LOCALLY = "missing_locally"
    FIELD_MISMATCH = "field_mismatch"


@dataclass(frozen=True)
class Difference:
    """One key the two sides disagree about, with each side's leaf (None where it is absent)."""

    kind: DifferenceKind
    key: LeafKey
    local: TransferLeaf | None
    peer: TransferLeaf | None


@dataclass(frozen=True)
class Reconciliation:
    """The differences in key order, and what crossing the link cost."""

    differences: tuple[Difference, ...]
    digests_exchanged: int
    keys_exchanged: int
    leaves_exchanged: int


class LeafIndex:
    """One side's leaves of a window: sorted keys, leaves, and one buffer of leaf hashes."""

    def __init__(self, leaves: Iterable[TransferLeaf]) -> None:
        ordered = sorted(leaves, key=_leaf_key)
        keys: list[LeafKey] = [_leaf_key(leaf) for leaf in ordered]
        for before, after in pairwise(keys):
            if before == after:
                raise ValueError(f"duplicate leaf key {after!r}")
        self._leaves = ordered
        self._keys = keys
        self._hashes = b"".join([leaf_hash(leaf.leaf_bytes()) for leaf in ordered])

    def __len__(self) -> int:
        return len(self._keys)

    def _span(self, lo: Bound, hi: Bound) -> tuple[int, int]:
        first = 0 if lo is None else bisect_left(self._keys, lo)
        end = len(self._keys) if hi is None else bisect_left(self._keys, hi)
        return first, max(first, end)

    def summary(self, lo: Bound, hi: Bound) -> RangeSummary:
        first, end = self._span(lo, hi)
        view = memoryview(self._hashes)[first * HASH_SIZE : end * HASH_SIZE]
        return RangeSummary(end - first, range_digest(view))

    def split_key(self, lo: Bound, hi: Bound) -> LeafKey:
        first, end = self._span(lo, hi)
        if end - first < 2:
            raise ValueError("a range of fewer than two leaves cannot be split")
        return self._keys[first + (end - first) // 2]

    def leaves(self, lo: Bound, hi: Bound) -> Sequence[TransferLeaf]:
        first, end = self._span(lo, hi)
        return self._leaves[first:end]

    def root(self) -> bytes:
        """The window's RFC 6962 root (`merkle_root` of the statement), from the stored hashes."""
        hashes = self._hashes
        return root_from_leaf_hashes(
            [hashes[offset : offset + HASH_SIZE] for offset in range(0, len(hashes), HASH_SIZE)]
        )


def _inside(key: LeafKey, lo: Bound, hi: Bound) -> bool:
    return (lo is None or lo <= key) and (hi is None or key < hi)


def _checked_leaves(
    peer: RangeHasher, lo: Bound, hi: Bound, summary: RangeSummary
) -> Sequence[TransferLeaf]:
    theirs = peer.leaves(lo, hi)
    keys = [leaf.key for leaf in theirs]
    ascending = all(before < after for before, after in pairwise(keys))
    if not ascending or not all(_inside(key, lo, hi) for key in keys):
        raise PeerAnswerError("peer leaves out of key order or outside the asked range")
    digest = range_digest(b"".join([leaf_hash(leaf.leaf_bytes()) for leaf in theirs]))
    if len(theirs) != summary.count or digest != summary.digest:
        raise PeerAnswerError("peer leaves do not match the peer's summary of the range")
    return theirs


def _diff(ours: Sequence[TransferLeaf], theirs: Sequence[TransferLeaf]) -> list[Difference]:
    by_key = {leaf.key: leaf for leaf in theirs}
    found: list[Difference] = []
    for leaf in ours:
        other = by_key.pop(leaf.key, None)
        if other is None:
            found.append(Difference(DifferenceKind.MISSING_AT_PEER, leaf.key, leaf, None))
        elif other != leaf:
            found.append(Difference(DifferenceKind.FIELD_MISMATCH, leaf.key, leaf, other))
    found.extend(
        Difference(DifferenceKind.MISSING_LOCALLY, key, None, leaf) for key, leaf in by_key.items()
    )
    return found


def reconcile(
    local: LeafIndex,
    peer: RangeHasher,
    *,
    leaf_threshold: int = LEAF_THRESHOLD_DEFAULT,
    peer_leaves_max: int = PEER_LEAVES_MAX_DEFAULT,
) -> Reconciliation:
    """Every key where `local` and `peer` differ, found by descending key ranges."""
    if leaf_threshold < 1:
        raise ValueError("leaf_threshold must be at least 1")
    top = peer.summary(None, None)
    if not 0 <= top.count <= peer_leaves_max:
        raise PeerAnswerError(f"peer claims {top.count} leaves (limit {peer_leaves_max})")
    digests, keys, leaves = 1, 0, 0
    found: list[Difference] = []
    stack: list[tuple[Bound, Bound, RangeSummary]] = [(None, None, top)]
    while stack:
        lo, hi, theirs = stack.pop()
        ours = local.summary(lo, hi)
        if ours == theirs:
            continue
        if theirs.count <= leaf_threshold:
            fetched = _checked_leaves(peer, lo, hi, theirs)
            leaves += len(fetched)
            found.extend(_diff(local.leaves(lo, hi), fetched))
            continue
        # Split where it halves the most: at our median unless we hold under half the peer's
        # leaves there (then ours would leave most of the peer's range in one half).
        peer_splits = ours.count < 2 or 2 * ours.count < theirs.count
        if peer_splits:
            middle = peer.split_key(lo, hi)
            keys += 1
            if not (_inside(middle, lo, hi) and (lo is None or lo < middle)):
                raise PeerAnswerError(f"peer split key {middle!r} is not inside the range")
        else:
            middle = local.split_key(lo, hi)
        left, right = peer.summary(lo, middle), peer.summary(middle, hi)
        digests += 2
        if left.count + right.count != theirs.count:
            raise PeerAnswerError("peer counts of the two halves do not add up to the range")
        # The side that chose the split holds a leaf in each half: that is the progress.
        if min(left.count, right.count) < (1 if peer_splits else 0):
            raise PeerAnswerError("peer counts a half below what its split key promises")
        stack.append((middle, hi, right))
        stack.append((lo, middle, left))
    found.sort(key=lambda difference: difference.key)
    return Reconciliation(tuple(found), digests, keys, leaves)
