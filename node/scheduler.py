"""Background jobs of a running node (apscheduler): signed checkpoints (hourly, and at start
and after the first activity so the first report is never empty), keeping the federation
directory and the node's keys current, delivering members' notifications, and
pruning the access log of personal data daily."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]

from node.errors import NodeError
from node.privacy import access_log
from node.reconcile.cuts import OVERDUE_WINDOWS
from node.runtime import Node
from node.services.first_checkpoints import FIRST_ACTIVITY_POLL_S, FirstCheckpoints

log = logging.getLogger("hourbridge.scheduler")
ACCESS_LOG_PRUNE_INTERVAL_S = 86_400  # daily: a row outlives its 180 days by a day at most
FIRST_ACTIVITY_JOB = "first-activity-checkpoint"


def _checkpoint(node: Node) -> None:
    document = node.ledger_admin.checkpoint()
    log.info("checkpoint at height %s", document["height"])


def _first_activity_checkpoint(watch: FirstCheckpoints, scheduler: BackgroundScheduler) -> None:
    """A node that started with an empty journal signs its first activity, then stops asking
    (node/services/first_checkpoints.py)."""
    if watch.after_first_activity():
        scheduler.remove_job(FIRST_ACTIVITY_JOB)
        log.info("checkpoint after the first activity")


def _refresh_federation(node: Node) -> None:
    """Keys rotated by the CLI, a directory the CLI stored, and a newer one from the configured
    source (`POST /api/v1/federation/directory/refresh` runs the same now)."""
    try:
        if node.refresh_federation():
            current = node.federation.current()
            log.warning("accepted directory serial %s", current.serial if current else None)
    except NodeError as exc:
        # A bad or unreachable source keeps the directory in force; operators see the reason.
        log.error("federation refresh failed (%s): %s", exc.code, exc.detail)


def _deliver_notifications(node: Node) -> None:
    """One delivery tick (node/notify/delivery.py): its limits are the config's."""
    report = node.notifications.deliver()
    if report.delivered or report.retrying or report.failed:
        log.info("notifications: %s delivered, %s to retry, %s failed", report.delivered,
                 report.retrying, report.failed)


def _prune_access_log(node: Node) -> None:
    """Rows of the access log older than its 180 days go (node/privacy/access_log.py's `prune`,
    as `hourbridge access-log prune` runs it); the node's clock decides what is old."""
    removed = node.privacy.prune_log()
    if removed:
        log.info("access log: %s rows older than %s days pruned", removed,
                 access_log.RETENTION_DAYS)


def _close_windows(node: Node) -> None:
    """Close a settlement window on every link this node closes, on the server's event loop."""
    views = node.reconciler.run_on_server(node.reconciler.close_all(
        scheduled=True, overdue_after_ms=overdue_after_ms(node)))
    for view in views:
        log.warning("window %s with %s: %s", view["window_index"], view["peer"], view["state"])


def _close_overdue(node: Node) -> None:
    """With scheduled closes off, still close the links a transaction has waited on too long."""
    views = node.reconciler.run_on_server(
        node.reconciler.close_all(overdue_after_ms=overdue_after_ms(node)))
    for view in views:
        log.warning("window %s with %s: %s", view["window_index"], view["peer"], view["state"])


def _policy_window_ms(node: Node) -> int:
    directory = node.federation.current()
    return directory.policy.settlement_window_ms if directory else 86_400_000


def overdue_after_ms(node: Node) -> int:
    """How long a transaction may wait past the last co-signed cut before this node closes the
    link's window itself (standard §11.1): the federation policy's windows, never the node's
    own schedule, which an operator may set longer or turn off."""
    return OVERDUE_WINDOWS * _policy_window_ms(node)


def window_interval_s(node: Node) -> int | None:
    """Seconds between scheduled window closes, or None when they are off."""
    configured = node.config.settlement_window_s
    if configured < 0:
        return None
    if configured > 0:
        return configured
    return _policy_window_ms(node) // 1000


def start_scheduler(node: Node) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    # At start, a checkpoint if there is none, so the first report is never empty.
    first = FirstCheckpoints(node.ledger_admin)
    if first.at_start():
        scheduler.add_job(
            _first_activity_checkpoint, "interval", seconds=FIRST_ACTIVITY_POLL_S,
            args=[first, scheduler], id=FIRST_ACTIVITY_JOB, max_instances=1, coalesce=True,
        )
    if node.config.directory_refresh_s > 0:
        scheduler.add_job(
            _refresh_federation, "interval", seconds=node.config.directory_refresh_s,
            args=[node], id="federation", max_instances=1, coalesce=True,
        )
    if node.config.checkpoint_interval_s > 0:
        scheduler.add_job(
            _checkpoint,
            "interval",
            seconds=node.config.checkpoint_interval_s,
            args=[node],
            id="checkpoint",
            max_instances=1,
            coalesce=True,
        )
    if node.config.notify_interval_s > 0:
        scheduler.add_job(
            _deliver_notifications, "interval", seconds=node.config.notify_interval_s,
            args=[node], id="notifications", max_instances=1, coalesce=True,
        )
    scheduler.add_job(
        _prune_access_log, "interval", seconds=ACCESS_LOG_PRUNE_INTERVAL_S, args=[node],
        id="access-log-prune", max_instances=1, coalesce=True,
    )
    interval = window_interval_s(node)
    if interval is not None:
        scheduler.add_job(
            _close_windows, "interval", seconds=interval, args=[node], id="windows",
            max_instances=1, coalesce=True,
        )
    else:
        scheduler.add_job(
            _close_overdue, "interval", seconds=_policy_window_ms(node) // 1000, args=[node],
            id="overdue-windows", max_instances=1, coalesce=True,
        )
    scheduler.start()
    return scheduler
