from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.merkle import (
    LeafKey,
    TransferLeaf,
    leaf_hash,
    root_from_leaf_hashes,
    transfers_root,
    tree_hash,
)
from protocol.merkle_diff import (
    Bound,
    Difference,
    DifferenceKind,
    LeafIndex,
    PeerAnswerError,
    RangeSummary,
    range_digest,
    reconcile,
)

DEBTORS = ("nj-gulou", "sh-pudong")


def _leaf(number: int, debtor: str = "sh-pudong", amount: int = 60) -> TransferLeaf:
    return TransferLeaf(
        debtor, f"tr-{number:010d}", amount, hashlib.sha256(b"%d" % number).hexdigest()
    )


def _window(count: int) -> list[TransferLeaf]:
    return [_leaf(number, DEBTORS[number % 2], 1 + number % 500) for number in range(count)]


def _kinds(differences: Sequence[Difference]) -> list[tuple[DifferenceKind, LeafKey]]:
    return [(difference.kind, difference.key) for difference in differences]


def _digest_bound(local: int, peer: int, differences: int) -> int:
    """The stated bound: at most 1 + 4 · k · ceil(log2 n) digests (c = 4)."""
    return 1 + 4 * differences * math.ceil(math.log2(max(local, peer, 1)))


# --- merkle.py additions ---------------------------------------------------------------------


def test_root_from_leaf_hashes_is_the_rfc6962_tree_hash() -> None:
    for count in range(0, 40):
        data = [b"leaf %d" % number for number in range(count)]
        assert root_from_leaf_hashes([leaf_hash(item) for item in data]) == tree_hash(data)


def test_index_root_is_the_published_root_and_key_is_the_order() -> None:
    window = _window(37)
    assert LeafIndex(window).root().hex() == transfers_root(window)
    assert LeafIndex([]).root().hex() == transfers_root([])
    assert _leaf(5).key == ("sh-pudong", "tr-0000000005")


# --- the range digest and the index ----------------------------------------------------------


def test_range_digest_definition() -> None:
    one, two = _leaf(1), _leaf(2)
    index = LeafIndex([two, one])
    hashes = [leaf_hash(one.leaf_bytes()), leaf_hash(two.leaf_bytes())]
    assert index.summary(None, None) == RangeSummary(
        2, hashlib.sha256(b"\x02" + hashes[0] + hashes[1]).digest()
    )
    assert index.summary(two.key, None) == RangeSummary(1, range_digest(hashes[1]))
    assert index.summary(None, one.key) == RangeSummary(0, hashlib.sha256(b"\x02").digest())
    # A reversed range is empty, not an error.
    assert index.summary(two.key, one.key).count == 0
    assert list(index.leaves(one.key, two.key)) == [one]
    assert len(index) == 2


def test_index_refuses_duplicate_keys_and_splitting_a_single_leaf() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        LeafIndex([_leaf(1), replace(_leaf(1), amount_minutes=5)])
    with pytest.raises(ValueError, match="fewer than two"):
        LeafIndex([_leaf(1)]).split_key(None, None)
    assert LeafIndex(_window(5)).split_key(None, None) == sorted(_window(5))[2].key


# --- the descent on small ledgers ------------------------------------------------------------


def test_identical_sides_cost_one_digest() -> None:
    window = _window(1000)
    result = reconcile(LeafIndex(window), LeafIndex(reversed(window)))
    assert (result.differences, result.digests_exchanged) == ((), 1)
    assert (result.keys_exchanged, result.leaves_exchanged) == (0, 0)
    empty = reconcile(LeafIndex([]), LeafIndex([]))
    assert (empty.differences, empty.digests_exchanged) == ((), 1)


def test_each_class_of_difference() -> None:
    window = _window(300)
    dropped_at_peer, dropped_locally = window[10], window[200]
    amount = replace(window[50], amount_minutes=window[50].amount_minutes + 1)
    prepare = replace(window[120], prepare_hash="f" * 64)
    ours = [leaf for leaf in window if leaf is not dropped_locally]
    theirs = [leaf for leaf in window if leaf is not dropped_at_peer]
    theirs = [amount if leaf is window[50] else leaf for leaf in theirs]
    theirs = [prepare if leaf is window[120] else leaf for leaf in theirs]

    result = reconcile(LeafIndex(ours), LeafIndex(theirs))

    expected = {
        (DifferenceKind.MISSING_AT_PEER, dropped_at_peer.key),
        (DifferenceKind.MISSING_LOCALLY, dropped_locally.key),
        (DifferenceKind.FIELD_MISMATCH, amount.key),
        (DifferenceKind.FIELD_MISMATCH, prepare.key),
    }
    assert set(_kinds(result.differences)) == expected
    assert [d.key for d in result.differences] == sorted(d.key for d in result.differences)
    by_key = {d.key: d for d in result.differences}
    assert by_key[amount.key].local == window[50] and by_key[amount.key].peer == amount
    assert by_key[dropped_at_peer.key].peer is None
    assert by_key[dropped_locally.key].local is None
    assert result.digests_exchanged <= _digest_bound(299, 299, 4)
    assert result.leaves_exchanged <= 8 * 4


def test_one_side_empty() -> None:
    window = _window(100)
    peer_empty = reconcile(LeafIndex(window), LeafIndex([]))
    assert {d.kind for d in peer_empty.differences} == {DifferenceKind.MISSING_AT_PEER}
    assert len(peer_empty.differences) == 100
    # The peer holds nothing, so nothing crosses but its one summary.
    assert (peer_empty.digests_exchanged, peer_empty.leaves_exchanged) == (1, 0)

    local_empty = reconcile(LeafIndex([]), LeafIndex(window), leaf_threshold=4)
    assert {d.kind for d in local_empty.differences} == {DifferenceKind.MISSING_LOCALLY}
    assert [d.peer for d in local_empty.differences] == sorted(window)
    # Only the peer can split here: every split key came from it.
    assert local_empty.keys_exchanged > 0
    assert local_empty.leaves_exchanged == 100


def test_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="leaf_threshold"):
        reconcile(LeafIndex([]), LeafIndex([]), leaf_threshold=0)


# --- a peer whose answers contradict each other ----------------------------------------------


class LyingPeer(LeafIndex):
    """An honest index with one answer replaced, for the checks on the peer's answers."""

    def __init__(self, window: Sequence[TransferLeaf], **lies: object) -> None:
        super().__init__(window)
        self.lies = lies

    def summary(self, lo: Bound, hi: Bound) -> RangeSummary:
        honest = super().summary(lo, hi)
        lie = self.lies.get("summary")
        return lie(lo, hi, honest) if callable(lie) else honest

    def split_key(self, lo: Bound, hi: Bound) -> LeafKey:
        lie = self.lies.get("split_key")
        return lie(lo, hi) if callable(lie) else super().split_key(lo, hi)

    def leaves(self, lo: Bound, hi: Bound) -> Sequence[TransferLeaf]:
        honest = super().leaves(lo, hi)
        lie = self.lies.get("leaves")
        return lie(honest) if callable(lie) else honest


def _lie_top(count: int) -> object:
    def lie(lo: Bound, hi: Bound, honest: RangeSummary) -> RangeSummary:
        return RangeSummary(count, honest.digest) if lo is hi is None else honest

    return lie


@pytest.mark.parametrize("count", [-1, 101])
def test_peer_claiming_an_impossible_window_size(count: int) -> None:
    with pytest.raises(PeerAnswerError, match="claims"):
        reconcile(LeafIndex([]), LyingPeer(_window(3), summary=_lie_top(count)),
                  peer_leaves_max=100)


@pytest.mark.parametrize(
    "split",
    [
        lambda lo, hi: ("a", "a"),  # below the range
        lambda lo, hi: lo,  # lo itself: the left half would be empty, no progress
        lambda lo, hi: hi,  # hi itself is outside the half-open range
    ],
)
def test_peer_split_key_outside_the_range(split: object) -> None:
    window = _window(40)
    base = LeafIndex(window)

    def lie(lo: Bound, hi: Bound) -> LeafKey:
        # Honest along the leftmost path, so the first lie answers a range bounded both ways.
        return base.split_key(lo, hi) if lo is None else split(lo, hi)  # type: ignore[operator]

    with pytest.raises(PeerAnswerError, match="split key"):
        reconcile(LeafIndex([]), LyingPeer(window, split_key=lie), leaf_threshold=2)


def test_peer_halves_that_do_not_add_up() -> None:
    def lie(lo: Bound, hi: Bound, honest: RangeSummary) -> RangeSummary:
        return honest if lo is hi is None else RangeSummary(honest.count + 1, honest.digest)

    with pytest.raises(PeerAnswerError, match="add up"):
        reconcile(LeafIndex(_window(30)), LyingPeer(_window(31), summary=lie))


def test_peer_half_below_what_the_split_promises() -> None:
    window = _window(30)
    top = LeafIndex(window).summary(None, None)

    def empty_half(lo: Bound, hi: Bound, honest: RangeSummary) -> RangeSummary:
        if lo is hi is None:
            return honest
        return RangeSummary(0 if hi is None else top.count, honest.digest)

    # The peer chose the split (we hold nothing), so each half must hold one of its leaves.
    with pytest.raises(PeerAnswerError, match="below"):
        reconcile(LeafIndex([]), LyingPeer(window, summary=empty_half))

    def negative_half(lo: Bound, hi: Bound, honest: RangeSummary) -> RangeSummary:
        if lo is hi is None:
            return honest
        return RangeSummary(-1 if hi is None else 20 + 1, honest.digest)

    # We chose the split: the peer's halves may be empty, but never negative.
    with pytest.raises(PeerAnswerError, match="below"):
        reconcile(LeafIndex(window), LyingPeer(window[:20], summary=negative_half))


@pytest.mark.parametrize(
    "lie",
    [
        lambda honest: list(reversed(honest)),
        lambda honest: [*honest, _leaf(10**6, "zz-outside")],
    ],
)
def test_peer_leaves_out_of_order_or_range(lie: object) -> None:
    # The first fetch is the leftmost range of 5 leaves, bounded above.
    with pytest.raises(PeerAnswerError, match="order or outside"):
        reconcile(LeafIndex([]), LyingPeer(_window(40), leaves=lie))


@pytest.mark.parametrize(
    "lie",
    [
        lambda honest: honest[:-1],
        lambda honest: [*honest[:-1], replace(honest[-1], amount_minutes=1)],
    ],
)
def test_peer_leaves_that_do_not_match_its_summary(lie: object) -> None:
    with pytest.raises(PeerAnswerError, match="do not match"):
        reconcile(LeafIndex(_window(20)), LyingPeer(_window(5), leaves=lie))


# --- property: the descent finds exactly the true differences, within the digest bound ---------

CHANGES = st.sampled_from(["same"] * 6 + ["drop_local", "drop_peer", "amount", "prepare"])


@settings(max_examples=150, deadline=None)
@given(
    numbers=st.lists(st.integers(0, 10**6), max_size=400, unique=True),
    debtors=st.lists(st.sampled_from(["nj-gulou", "sh-pudong", "wx-binhu"]), min_size=1),
    threshold=st.sampled_from([1, 2, 8]),
    data=st.data(),
)
def test_descent_finds_the_symmetric_difference(
    numbers: list[int], debtors: list[str], threshold: int, data: st.DataObject
) -> None:
    ours: list[TransferLeaf] = []
    theirs: list[TransferLeaf] = []
    expected: set[tuple[DifferenceKind, LeafKey]] = set()
    for position, number in enumerate(numbers):
        leaf = _leaf(number, debtors[position % len(debtors)], 1 + number % 600)
        change = data.draw(CHANGES)
        other = leaf
        if change == "amount":
            other = replace(leaf, amount_minutes=leaf.amount_minutes + 1)
        elif change == "prepare":
            changed = hashlib.sha256(leaf.prepare_hash.encode()).hexdigest()
            other = replace(leaf, prepare_hash=changed)
        if change != "drop_local":
            ours.append(leaf)
        if change != "drop_peer":
            theirs.append(other)
        kind = {
            "drop_local": DifferenceKind.MISSING_LOCALLY,
            "drop_peer": DifferenceKind.MISSING_AT_PEER,
            "amount": DifferenceKind.FIELD_MISMATCH,
            "prepare": DifferenceKind.FIELD_MISMATCH,
        }.get(change)
        if kind is not None:
            expected.add((kind, leaf.key))

    result = reconcile(LeafIndex(ours), LeafIndex(theirs), leaf_threshold=threshold)

    assert _kinds(result.differences) == sorted(expected, key=lambda item: item[1])
    for difference in result.differences:
        if difference.kind is DifferenceKind.FIELD_MISMATCH:
            assert difference.local is not None and difference.peer is not None
            assert difference.local.key == difference.peer.key
            assert difference.local != difference.peer
    k = len(expected)
    assert result.digests_exchanged <= _digest_bound(len(ours), len(theirs), k)
    assert result.leaves_exchanged <= threshold * k
    assert result.keys_exchanged <= (result.digests_exchanged - 1) // 2
