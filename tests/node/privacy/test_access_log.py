"""The access log's hash chain on a real SQLite node: appended, verified, tampered with (a row
changed, removed, cut from the end), pruned after 180 days with its anchor kept."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from node.clock import FakeClock
from node.db.schema import access_log as log_table
from node.db.schema import access_log_head
from node.privacy import access_log
from node.privacy.access_log import Action, Result
from node.runtime import Node


def _append(node: Node, clock: FakeClock, count: int, *, member: str = "ann") -> None:
    with node.db.write() as conn:
        for _ in range(count):
            access_log.append(conn, member_local_id=member, actor="staff:east:t1",
                              action=Action.READ, fields=["phone", "home_address"],
                              result=Result.ALLOWED, now_ms=clock.now_ms())
            clock.advance(1_000)


def _verify(node: Node) -> access_log.Verified:
    with node.db.read() as conn:
        return access_log.verify(conn)


def test_rows_chain_and_verify(sqlite_node: Node, clock: FakeClock) -> None:
    assert _verify(sqlite_node).ok and _verify(sqlite_node).rows == 0
    _append(sqlite_node, clock, 3)
    verified = _verify(sqlite_node)
    assert (verified.ok, verified.rows, verified.last_seq) == (True, 3, 3)
    with sqlite_node.db.read() as conn:
        rows = list(access_log.rows(conn))
    assert rows[0].prev_hash == access_log.GENESIS_HASH
    assert [r.prev_hash for r in rows[1:]] == [r.row_hash for r in rows[:-1]]
    assert rows[0].fields == "phone,home_address"


def test_a_changed_row_is_detected(sqlite_node: Node, clock: FakeClock) -> None:
    _append(sqlite_node, clock, 3)
    with sqlite_node.db.write() as conn:
        conn.execute(update(log_table).where(log_table.c.seq == 2).values(actor="admin:x"))
    assert _verify(sqlite_node).problems == ("row 2 was changed after it was written",)


def test_a_removed_row_and_a_cut_end_are_detected(sqlite_node: Node, clock: FakeClock) -> None:
    _append(sqlite_node, clock, 4)
    with sqlite_node.db.write() as conn:
        conn.execute(delete(log_table).where(log_table.c.seq == 2))
    problems = _verify(sqlite_node).problems
    assert "row 2 is missing (next is 3)" in problems
    assert "row 3 does not follow the row before it" in problems
    with sqlite_node.db.write() as conn:
        conn.execute(delete(log_table).where(log_table.c.seq >= 3))
    assert any("cut from the end" in p for p in _verify(sqlite_node).problems)


def test_prune_keeps_180_days_and_the_chain_verifiable(sqlite_node: Node,
                                                       clock: FakeClock) -> None:
    start_ms = clock.now_ms()
    _append(sqlite_node, clock, 3)  # at start, +1 s, +2 s
    clock.advance(access_log.RETENTION_MS)
    _append(sqlite_node, clock, 2)
    with sqlite_node.db.write() as conn:  # 180 days after start + 1.5 s: rows 1 and 2 go
        now_ms = start_ms + access_log.RETENTION_MS + 1_500
        assert access_log.prune(conn, now_ms=now_ms) == 2
    with sqlite_node.db.read() as conn:
        assert [r.seq for r in access_log.rows(conn)] == [3, 4, 5]
        anchor = conn.execute(select(access_log_head)).one()
    assert anchor.anchor_seq == 2
    verified = _verify(sqlite_node)
    assert verified.ok and verified.rows == 3
    with sqlite_node.db.write() as conn:  # the anchor itself is checked: row 3 must follow it
        conn.execute(update(access_log_head).values(anchor_hash="1" * 64))
    assert _verify(sqlite_node).problems == ("row 3 does not follow the row before it",)


def test_prune_of_everything_leaves_an_empty_verifiable_chain(sqlite_node: Node,
                                                              clock: FakeClock) -> None:
    _append(sqlite_node, clock, 2)
    clock.advance(access_log.RETENTION_MS + 1)
    with sqlite_node.db.write() as conn:
        assert access_log.prune(conn, now_ms=clock.now_ms()) == 2
        assert access_log.prune(conn, now_ms=clock.now_ms()) == 0
    assert _verify(sqlite_node).ok
    _append(sqlite_node, clock, 1)
    verified = _verify(sqlite_node)
    assert verified.ok and verified.last_seq == 3
