"""When reports are made: once at start when none is fresh, daily at 06:00 Beijing time, and
one at a time on demand."""

from __future__ import annotations

import time

import pytest

from node.errors import ErrorCode
from node.portal.schedule import DAILY_HOUR_UTC, DAY_MS, Busy, start_schedule
from node.portal.web import Portal
from tests.federation import Federation

WAIT_S = 30.0


def test_a_report_at_start_then_daily(fed_portal: tuple[Federation, Portal]) -> None:
    fed, portal = fed_portal
    assert portal.maker.due()
    scheduler = start_schedule(portal.maker)
    try:
        assert str(scheduler.get_job("daily-report").trigger).startswith(
            f"cron[hour='{DAILY_HOUR_UTC}', minute='0'")
        deadline = time.monotonic() + WAIT_S
        while not portal.history.ids():  # the catch-up job runs on the scheduler's thread
            assert time.monotonic() < deadline, "no report made at start"
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
    assert not portal.maker.due()
    again = start_schedule(portal.maker)
    try:
        assert again.get_job("catch-up") is None  # the newest report is fresh
    finally:
        again.shutdown(wait=False)
    fed.clock.advance(DAY_MS)
    assert portal.maker.due()


def test_one_report_at_a_time(fed_portal: tuple[Federation, Portal]) -> None:
    _, portal = fed_portal
    assert portal.maker._busy.acquire(blocking=False)
    try:
        with pytest.raises(Busy) as busy:
            portal.maker.make("on demand")
        assert busy.value.code == ErrorCode.OVERLOADED
    finally:
        portal.maker._busy.release()
    assert portal.history.ids() == []
