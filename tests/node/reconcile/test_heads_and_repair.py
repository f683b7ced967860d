"""Issue 20: one compare-and-set writer for chain heads, a repair that never swallows a broken
invariant, and a leaf-index cache that is bounded and never holds an index of a rolled-back
write. (The forked-evidence tests are with the other hostile peers in test_hostile_peer.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from node.db.schema import in_transactions, remote_transfers, transfers
from node.errors import ErrorCode, InvariantViolation, RuleViolation
from node.exchange import store
from node.reconcile.context import LEAF_INDEX_CACHE_MAX, LeafIndexCache
from node.reconcile.evidence import find_pairs
from protocol.chain import LinkState
from protocol.fields import GENESIS_HASH
from protocol.merkle_diff import LeafIndex
from protocol.transaction import Transaction, decode_transaction
from tests.federation import Federation

SH, NJ = "sh-pudong", "nj-gulou"


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ], members=3, grant_minutes=600)
    assert federation.send(f"m0@{SH}", f"m1@{NJ}", 30, transfer_id="x0").status_code == 201
    federation.settle()
    assert federation.close_window(SH, NJ)["state"] == "matched"
    yield federation
    federation.close()


def first_transaction(fed: Federation) -> Transaction:
    """SH's transaction 1 to NJ, as NJ stored it."""
    with fed.nodes[NJ].db.read() as conn:
        document = conn.execute(select(in_transactions.c.document).where(
            in_transactions.c.sender == SH, in_transactions.c.sequence == 1)).scalar_one()
    return decode_transaction(json.loads(document))


def out_head(fed: Federation) -> LinkState:
    with fed.nodes[SH].db.read() as conn:
        return store.head(store.link(conn, NJ), store.Chain.OUT)


# one writer for chain heads ----------------------------------------------------------------

def test_a_head_moves_only_to_a_transaction_that_follows_it(fed: Federation) -> None:
    transaction = first_transaction(fed)
    head = out_head(fed)
    assert head == LinkState(1, transaction.transaction_hash())

    # The same transaction again: not the next one.
    with (pytest.raises(InvariantViolation, match="does not follow"),
          fed.nodes[SH].db.write() as conn):
        store.advance(conn, NJ, store.Chain.OUT, head, transaction)

    assert out_head(fed) == head


def test_a_head_read_before_another_writer_moved_it_is_a_lost_race(fed: Federation) -> None:
    transaction = first_transaction(fed)  # follows genesis; the head is at 1 already
    stale = LinkState(0, GENESIS_HASH)

    with (pytest.raises(InvariantViolation, match="lost a race"),
          fed.nodes[SH].db.write() as conn):
        store.advance(conn, NJ, store.Chain.OUT, stale, transaction)

    assert out_head(fed) == LinkState(1, transaction.transaction_hash())


# repair catches operating errors only --------------------------------------------------------

def lost_record(fed: Federation) -> tuple[tuple[str, str], list[dict[str, Any]]]:
    """NJ loses its record of x0; SH's evidence for it."""
    with fed.nodes[SH].db.read() as conn:
        wire_id = str(conn.execute(select(transfers.c.wire_id).where(
            transfers.c.id == "x0")).scalar_one())
        items = find_pairs(conn, SH, NJ, [(SH, wire_id)])
    with fed.nodes[NJ].db.write() as conn:
        conn.execute(delete(remote_transfers).where(remote_transfers.c.transfer_id == wire_id))
    return (SH, wire_id), items


def test_a_ledger_rule_refusing_a_replay_is_a_dispute(
        fed: Federation, monkeypatch: pytest.MonkeyPatch) -> None:
    key, items = lost_record(fed)
    repairs = fed.nodes[NJ].reconciler.sides.repairs

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuleViolation(ErrorCode.INSUFFICIENT_FUNDS, "below the floor")

    monkeypatch.setattr(repairs.ctx.books, "apply_pair", refuse)
    with fed.nodes[NJ].db.write() as conn:
        (outcome,) = repairs.repair(conn, SH, 1, [key], items)

    assert outcome["outcome"] == "disputed"
    assert "evidence verified but not applied: below the floor" in outcome["detail"]


def test_a_broken_invariant_in_a_repair_is_never_swallowed(
        fed: Federation, monkeypatch: pytest.MonkeyPatch) -> None:
    key, items = lost_record(fed)
    repairs = fed.nodes[NJ].reconciler.sides.repairs

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise InvariantViolation("a tampered store")

    monkeypatch.setattr(repairs.ctx.books, "apply_pair", broken)
    with (pytest.raises(InvariantViolation, match="a tampered store"),
          fed.nodes[NJ].db.write() as conn):
        repairs.repair(conn, SH, 1, [key], items)


# the leaf-index cache ------------------------------------------------------------------------

def test_an_index_computed_in_a_rolled_back_write_is_never_cached(fed: Federation) -> None:
    repairs = fed.nodes[SH].reconciler.sides.repairs

    with pytest.raises(RuntimeError), fed.nodes[SH].db.write() as conn:
        conn.execute(delete(transfers))
        inside = repairs.compute_leaf_index(conn, NJ, 1)
        assert inside is not None and len(inside) == 0
        raise RuntimeError("the batch fails: all of it rolls back")

    index = fed.run(repairs.leaf_index(NJ, 1))
    assert index is not None and len(index) == 1
    assert repairs.ctx.leaf_indexes.get(NJ, 1) is index  # kept: its write committed


def test_the_cache_is_bounded_and_drops_what_an_invalidation_may_have_staled() -> None:
    cache = LeafIndexCache()
    for index in range(LEAF_INDEX_CACHE_MAX + 3):
        cache.put("peer", index, LeafIndex([]), generation=cache.generation)

    assert len(cache) == LEAF_INDEX_CACHE_MAX
    assert cache.get("peer", 0) is None  # the oldest went first
    assert cache.get("peer", LEAF_INDEX_CACHE_MAX + 2) is not None

    before = cache.generation  # a command computes an index of window 1 ...
    cache.invalidate("peer", 1)  # ... and a repair of the same batch changes its leaves
    cache.put("peer", 1, LeafIndex([]), generation=before)
    assert cache.get("peer", 1) is None
