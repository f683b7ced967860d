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
    """Keys rotated by the CLI, and a newer directory from the configured source."""
    node.reload_keys()
    try:
        if node.refresh_directory():
            current = node.federation.current()
            log.warning("accepted directory serial %s", current.serial if current else None)
    except NodeError as exc:
        # A bad or unreachable source keeps the directory in force; operators see the reason.
        log.error("directory refresh failed (%s): %s", exc.code, exc.detail)


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
    scheduler.start()
    return scheduler
