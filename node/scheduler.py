"""Background jobs of a running node (apscheduler): signed checkpoints, and keeping the
federation directory and the node's keys current."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from node.errors import NodeError
from node.runtime import Node

log = logging.getLogger("hourbridge.scheduler")


def _checkpoint(node: Node) -> None:
    document = node.ledger_admin.checkpoint()
    log.info("checkpoint at height %s", document["height"])


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


def _close_windows(node: Node) -> None:
    """Close a settlement window on every link this node closes, on the server's event loop."""
    interval_s = window_interval_s(node) or 86_400
    views = node.reconciler.run_on_server(
        node.reconciler.close_all(scheduled_every_ms=interval_s * 1000))
    for view in views:
        log.warning("window %s with %s: %s", view["window_index"], view["peer"], view["state"])


def window_interval_s(node: Node) -> int | None:
    """Seconds between scheduled window closes, or None when they are off."""
    configured = node.config.settlement_window_s
    if configured < 0:
        return None
    if configured > 0:
        return configured
    directory = node.federation.current()
    policy_ms = directory.policy.settlement_window_ms if directory else 86_400_000
    return policy_ms // 1000


def start_scheduler(node: Node) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
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
    interval = window_interval_s(node)
    if interval is not None:
        scheduler.add_job(
            _close_windows, "interval", seconds=interval, args=[node], id="windows",
            max_instances=1, coalesce=True,
        )
    scheduler.start()
    return scheduler
