"""The first report is never empty: a node signs a checkpoint at start if it has none, and
again after its first activity (node/services/first_checkpoints.py, run by node/scheduler.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from sqlalchemy import select

from node.clock import FakeClock
from node.db.schema import checkpoints
from node.runtime import Node
from node.scheduler import FIRST_ACTIVITY_JOB, start_scheduler
from node.services.first_checkpoints import FIRST_ACTIVITY_POLL_S
from tests.conftest import Api
from tests.factories import add_members, grant, transfer


def heights(node: Node) -> list[int]:
    with node.db.read() as conn:
        return [int(h) for h in conn.execute(select(checkpoints.c.height)
                                             .order_by(checkpoints.c.height)).scalars()]


@pytest.fixture
def started(api: Api) -> Iterator[BackgroundScheduler]:
    scheduler = start_scheduler(api.node)
    yield scheduler
    scheduler.shutdown(wait=False)


def test_a_fresh_node_reports_on_day_one(api: Api, clock: FakeClock) -> None:
    before = api.client.get("/api/v1/reports/node", headers=api.admin)
    assert before.status_code == 404 and before.json()["code"] == "checkpoint_not_found"
    scheduler = start_scheduler(api.node)
    try:
        assert heights(api.node) == [0]
        job = scheduler.get_job(FIRST_ACTIVITY_JOB)
        assert job.trigger.interval.total_seconds() == FIRST_ACTIVITY_POLL_S
    finally:
        scheduler.shutdown(wait=False)
    reply = api.client.get("/api/v1/reports/node", headers=api.admin)
    assert reply.status_code == 200, reply.text
    report = reply.json()["report"]
    assert report["checkpoint"]["height"] == 0


def test_the_first_activity_signs_a_new_checkpoint_then_the_watch_stops(
        api: Api, started: BackgroundScheduler, clock: FakeClock) -> None:
    job = started.get_job(FIRST_ACTIVITY_JOB)
    job.func(*job.args)  # nothing happened yet: nothing signed, still watching
    assert heights(api.node) == [0] and started.get_job(FIRST_ACTIVITY_JOB) is not None
    add_members(api.node, "ann", "bo")
    grant(api.node, "ann", 120)
    transfer(api.node, "ann", "bo", 30)
    clock.advance(FIRST_ACTIVITY_POLL_S * 1000)
    job.func(*job.args)
    (first, after) = heights(api.node)
    assert first == 0 and after > 0
    assert started.get_job(FIRST_ACTIVITY_JOB) is None  # signed once; the hourly job goes on
    report = api.client.get("/api/v1/reports/node", headers=api.admin).json()["report"]
    assert report["checkpoint"]["height"] == after


def test_a_node_with_entries_but_no_checkpoint_signs_at_start_and_does_not_watch(
        sqlite_node: Node) -> None:
    add_members(sqlite_node, "ann")
    grant(sqlite_node, "ann", 60)
    scheduler = start_scheduler(sqlite_node)
    try:
        (height,) = heights(sqlite_node)
        assert height > 0 and scheduler.get_job(FIRST_ACTIVITY_JOB) is None
    finally:
        scheduler.shutdown(wait=False)
    scheduler = start_scheduler(sqlite_node)  # a restart with a checkpoint signs nothing new
    scheduler.shutdown(wait=False)
    assert heights(sqlite_node) == [height]
