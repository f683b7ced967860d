"""The scheduler's daily prune of the access log, on a real node with a fake clock."""

from __future__ import annotations

from node.clock import FakeClock
from node.privacy import access_log
from node.privacy.access_log import Action, Result
from node.runtime import Node
from node.scheduler import ACCESS_LOG_PRUNE_INTERVAL_S, _prune_access_log, start_scheduler


def _read(node: Node, clock: FakeClock, member: str) -> None:
    with node.db.write() as conn:
        access_log.append(conn, member_local_id=member, actor="admin:t1", action=Action.READ,
                          fields=["display_name"], result=Result.ALLOWED, now_ms=clock.now_ms())


def test_the_prune_job_drops_rows_older_than_180_days(sqlite_node: Node,
                                                      clock: FakeClock) -> None:
    _read(sqlite_node, clock, "ann")
    _read(sqlite_node, clock, "bo")
    clock.advance(access_log.RETENTION_MS - 1)
    _read(sqlite_node, clock, "cy")
    _prune_access_log(sqlite_node)  # 180 days less a millisecond: all kept
    with sqlite_node.db.read() as conn:
        assert [r.member_local_id for r in access_log.rows(conn)] == ["ann", "bo", "cy"]
    clock.advance(2)  # now 180 days and a millisecond after the first two
    _prune_access_log(sqlite_node)
    with sqlite_node.db.read() as conn:
        assert [r.member_local_id for r in access_log.rows(conn)] == ["cy"]
        verified = access_log.verify(conn)
    assert verified.ok and verified.anchor_seq == 2


def test_the_prune_runs_daily(sqlite_node: Node) -> None:
    scheduler = start_scheduler(sqlite_node)
    try:
        job = scheduler.get_job("access-log-prune")
        assert job.trigger.interval.total_seconds() == ACCESS_LOG_PRUNE_INTERVAL_S == 86_400
    finally:
        scheduler.shutdown(wait=False)
