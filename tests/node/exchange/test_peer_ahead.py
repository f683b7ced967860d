"""A node restored from a backup and started without `hourbridge recover`: its peer is ahead of
its chain. Two real SQLite nodes in process (node/exchange/ahead.py)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from node.exchange import store
from node.exchange.ahead import (
    PEER_AHEAD,
    GapWatch,
    LinkCondition,
    ahead_by_peer,
    clear,
    condition,
)
from node.exchange.outbound import Pumped, Round
from node.exchange.runner import Runner, RunnerSettings
from node.runtime import Node
from tests.factories import ADMIN
from tests.federation import Federation, audit
from tests.node.exchange.test_runner import FakeCourier, FakeExchange
from tests.node.reconcile.test_recover import restore, snapshot

SH, NJ = "sh-pudong", "nj-gulou"


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    """SH restored from a backup taken before a transfer each way: NJ holds more of both
    chains than SH."""
    federation = Federation(tmp_path, [SH, NJ], members=2, grant_minutes=600)
    federation.send(f"m0@{SH}", f"m1@{NJ}", 30, transfer_id="before")
    federation.settle()
    backup = tmp_path / "sh-backup.db"
    snapshot(federation, SH, backup)
    federation.send(f"m0@{SH}", f"m1@{NJ}", 20, transfer_id="after-out")
    federation.send(f"m1@{NJ}", f"m0@{SH}", 12, transfer_id="after-in")
    federation.settle()
    restore(federation, SH, backup)
    yield federation
    federation.close()


def _link(fed: Federation, node_id: str, peer: str) -> dict[str, object]:
    return next(v for v in fed.nodes[node_id].exchange.links(ADMIN) if v["peer"] == peer)


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "hourbridge.exchange" and r.levelno >= logging.ERROR
            and r.getMessage().startswith("link with")]


def _gauge(fed: Federation, node_id: str, peer: str) -> str:
    text = fed.call(node_id, "GET", "/metrics").text
    (line,) = [ln for ln in text.splitlines()
               if ln.startswith(f'hourbridge_link_peer_ahead{{peer="{peer}"}}')]
    return line.rsplit(" ", 1)[1]


def test_a_peer_sending_past_our_head_freezes_the_link_once_and_says_run_recover(
        fed: Federation, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hourbridge.exchange")
    assert fed.send(f"m1@{NJ}", f"m0@{SH}", 5, transfer_id="late").status_code == 201
    first = fed.pump(NJ, SH)
    # One sighting: the standard's temporary refusal, nothing stored, no error yet; the sender
    # rests at once instead of retrying fast.
    assert first.outcome is Pumped.RETRY and first.rest, first
    assert "sequence_gap" in first.detail and "hourbridge recover" in first.detail
    assert _link(fed, SH, NJ)["state"] == "ok" and _errors(caplog) == []
    assert _gauge(fed, SH, NJ) == "0"

    for _ in range(3):  # the same transaction again and again: logged once
        assert fed.pump(NJ, SH).outcome is Pumped.RETRY
    (error,) = _errors(caplog)
    assert NJ in error and "hourbridge recover" in error and "incoming" in error
    view = _link(fed, SH, NJ)
    assert (view["state"], view["frozen_reason"]) == ("peer_ahead", PEER_AHEAD)
    assert "hourbridge recover" in str(view["frozen_detail"])
    assert _gauge(fed, SH, NJ) == "1" and _gauge(fed, NJ, SH) == "0"
    api = fed.call(SH, "GET", "/api/v1/federation/links").json()["items"]
    assert [item["state"] for item in api] == ["peer_ahead"]

    # Recovering from the peer clears it; the waiting transfer then goes through.
    report = fed.run(fed.nodes[SH].reconciler.recover())
    assert all("error" not in row for row in report), report
    assert _link(fed, SH, NJ)["state"] == "ok" and _gauge(fed, SH, NJ) == "0"
    fed.settle()
    assert fed.transfer(NJ, "late")["state"] == "committed"
    assert len(_errors(caplog)) == 1
    audit(fed)


def test_a_write_command_run_twice_is_one_sighting_of_a_gap(fed: Federation) -> None:
    """The batch writer may run a command twice (node/db/batch.py: its batch failed and it is
    retried alone): the gap's sighting is counted once per delivery, outside the command."""
    inbox = fed.nodes[SH].exchange.inbox
    once = inbox._apply

    def twice(*args: Any) -> Any:  # as WriteBatcher does after a failed batch
        conn = args[-1]
        savepoint = conn.begin_nested()
        once(*args)
        savepoint.rollback()
        return once(*args)

    inbox._apply = twice  # type: ignore[method-assign]
    assert fed.send(f"m1@{NJ}", f"m0@{SH}", 5, transfer_id="late").status_code == 201
    assert fed.pump(NJ, SH).outcome is Pumped.RETRY
    assert _link(fed, SH, NJ)["state"] == "ok"  # one sighting: not yet persistent
    assert fed.pump(NJ, SH).outcome is Pumped.RETRY
    assert _link(fed, SH, NJ)["state"] == "peer_ahead"  # the same transaction again


def test_a_peer_refusing_our_next_transaction_as_replayed_is_ahead_of_our_outgoing_chain(
        fed: Federation, caplog: pytest.LogCaptureFixture) -> None:
    assert fed.send(f"m0@{SH}", f"m1@{NJ}", 7, transfer_id="new").status_code == 201
    result = fed.pump(SH, NJ)
    assert result.outcome is Pumped.FROZEN and "hourbridge recover" in result.detail
    (error,) = _errors(caplog)
    assert NJ in error and "outgoing" in error and "hourbridge recover" in error
    assert _link(fed, SH, NJ)["state"] == "peer_ahead"
    assert fed.pump(SH, NJ).outcome is Pumped.FROZEN  # the sender stops: nothing more sent
    assert len(_errors(caplog)) == 1

    # The transaction the peer refused never counted: recovery takes the peer's one at that
    # sequence and sends the transfer again after the recovered chain.
    report = fed.run(fed.nodes[SH].reconciler.recover())
    assert all("error" not in row for row in report), report
    assert _link(fed, SH, NJ)["state"] == "ok"
    fed.settle()
    assert fed.transfer(SH, "new")["state"] == "committed"
    assert fed.balance(f"m1@{NJ}") == 600 + 30 + 20 - 12 + 7
    audit(fed)


def test_an_ordinary_freeze_is_not_peer_ahead_and_keeps_its_reason(sqlite_node: Node) -> None:
    with sqlite_node.db.write() as conn:
        assert store.freeze(conn, NJ, reason="dispute_missing", detail="x", now_ms=0)
        assert not store.freeze(conn, NJ, reason=PEER_AHEAD, detail="y", now_ms=0)
        assert not clear(conn, NJ)  # recover clears only its own freeze
        assert ahead_by_peer(conn) == {NJ: False}
    assert condition("dispute_missing") is LinkCondition.FROZEN
    assert condition(PEER_AHEAD) is LinkCondition.PEER_AHEAD
    assert condition(None) is LinkCondition.OK


def test_one_sighting_is_not_persistent_the_same_transaction_again_is() -> None:
    watch = GapWatch()
    assert not watch.persistent(NJ, "t1")
    assert watch.persistent(NJ, "t1")
    assert not watch.persistent(NJ, "t2")  # a new transaction starts afresh
    assert not watch.persistent("gz-nansha", "t2")


class RestingCourier(FakeCourier):
    async def pump(self, peer: str) -> Round:
        self.calls.append(peer)
        await asyncio.sleep(0)
        return Round(Pumped.RETRY, "sequence_gap: signed refusal", rest=True)


def test_a_refusal_only_the_peers_operator_can_mend_opens_the_circuit_at_once() -> None:
    courier = RestingCourier([])
    settings = RunnerSettings(poll_s=0, tick_s=0, backoff_base_s=0, backoff_max_s=0,
                              breaker_failures=5, breaker_open_s=0)
    runner = Runner(FakeExchange(courier), settings, rng=random.Random(1))  # type: ignore[arg-type]

    async def go() -> None:
        await runner.start()
        while not courier.calls:
            await asyncio.sleep(0)
        await asyncio.sleep(0)
        await runner.stop()

    asyncio.run(go())
    assert runner.health[NJ].breaker_open  # after one refusal, not five
