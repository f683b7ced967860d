"""Background jobs of a running node (apscheduler). For now: periodic signed checkpoints."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from node.runtime import Node

log = logging.getLogger("hourbridge.scheduler")


def _checkpoint(node: Node) -> None:
    document = node.ledger_admin.checkpoint()
    log.info("checkpoint at height %s", document["height"])


def start_scheduler(node: Node) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
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
