"""When the portal makes a federation report: daily (apscheduler, as node/scheduler.py runs a
node's jobs), on demand ("现在生成" on the dashboard), and once at start when the newest kept
report is older than a day (a portal that was down at the scheduled time catches up).

One report at a time: a second request while one is being made is told so, not queued. The
time a report carries comes from the injected clock (History.make), never from the scheduler.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]

from node.errors import ErrorCode, NodeError
from node.portal.history import History, Kept

log = logging.getLogger("hourbridge.portal")
DAY_MS = 86_400_000
# 06:00 Beijing time: the nodes' daily windows of the night before are closed by then.
DAILY_HOUR_UTC = 22
DAILY_MINUTE_UTC = 0


class Busy(NodeError):
    """A report is being made now; the person is asked to wait a moment."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.OVERLOADED, "a report is being made now; try again shortly")


class ReportMaker:
    def __init__(self, history: History) -> None:
        self.history = history
        self._busy = threading.Lock()

    def make(self, trigger: str) -> Kept:
        """Make one report now, in the calling thread (Busy if one is being made)."""
        if not self._busy.acquire(blocking=False):
            raise Busy
        try:
            return asyncio.run(self.history.make(trigger))
        finally:
            self._busy.release()

    def due(self) -> bool:
        """No report yet, or the newest is older than a day."""
        ids = self.history.ids()
        if not ids:
            return True
        newest = self.history.read(ids[0]).document.get("issued_at_ms")
        return not isinstance(newest, int) or self.history.clock.now_ms() - newest >= DAY_MS

    def scheduled(self, trigger: str) -> None:
        """A job of the scheduler: a failure is logged, the next run tries again."""
        try:
            kept = self.make(trigger)
            log.warning("federation report %s made (%s)", kept.id, trigger)
        except NodeError as exc:
            log.error("federation report not made (%s): %s", exc.code, exc.detail)


def start_schedule(maker: ReportMaker, *, catch_up: bool = True) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(maker.scheduled, "cron", hour=DAILY_HOUR_UTC, minute=DAILY_MINUTE_UTC,
                      args=["daily"], id="daily-report", max_instances=1, coalesce=True)
    if catch_up and maker.due():
        scheduler.add_job(maker.scheduled, args=["start"], id="catch-up", max_instances=1)
    scheduler.start()
    return scheduler
