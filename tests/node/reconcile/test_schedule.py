"""The scheduled job that closes settlement windows, and how often it runs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.scheduler import _close_windows, start_scheduler, window_interval_s
from tests.factories import ADMIN
from tests.federation import Federation

SH, NJ = "sh-pudong", "nj-gulou"


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ], members=2, grant_minutes=600)
    yield federation
    federation.close()


def test_the_interval_follows_the_policy_unless_configured(fed: Federation) -> None:
    node = fed.nodes[SH]
    assert window_interval_s(node) == 86_400  # the policy's settlement_window_ms: a day
    node.config = node.config.model_copy(update={"settlement_window_s": 600})
    assert window_interval_s(node) == 600
    node.config = node.config.model_copy(update={"settlement_window_s": -1})
    assert window_interval_s(node) is None
    scheduler = start_scheduler(node)
    try:
        assert scheduler.get_job("windows") is None
    finally:
        scheduler.shutdown(wait=False)
    node.config = node.config.model_copy(update={"settlement_window_s": 0})
    scheduler = start_scheduler(node)
    try:
        assert scheduler.get_job("windows").trigger.interval.total_seconds() == 86_400
    finally:
        scheduler.shutdown(wait=False)


def test_the_job_closes_the_links_this_node_closes_on_the_servers_loop(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m1@{NJ}", 30)
    fed.send(f"m0@{NJ}", f"m1@{SH}", 10)
    fed.settle()
    server = threading.Thread(target=fed.loop.run_forever, daemon=True)
    for node in fed.nodes.values():
        node.reconciler.attach(fed.loop)
    server.start()
    try:
        _close_windows(fed.nodes[SH])  # SH > NJ: not the closer of this link
        _close_windows(fed.nodes[NJ])  # from the scheduler's thread, as apscheduler runs it
    finally:
        fed.loop.call_soon_threadsafe(fed.loop.stop)
        server.join(5)
    windows = fed.nodes[SH].reconciler.windows(ADMIN)
    assert [(w["window_index"], w["state"]) for w in windows] == [(1, "matched")]
    # SH gave 30 and received 10: NJ owes SH -20, i.e. SH owes NJ 20.
    assert windows[0]["statement"]["closing_position_minutes"] == -20


def test_without_a_running_server_the_job_says_so(fed: Federation) -> None:
    with pytest.raises(RuntimeError, match="server is not running"):
        _close_windows(fed.nodes[NJ])
