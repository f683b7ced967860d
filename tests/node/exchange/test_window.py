"""A window of several transactions in flight per link (standard §6.5): two real SQLite nodes in
process, one prepare per transaction (batch_size_max 1), so that a few transfers fill the window.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from node.exchange import store
from node.exchange.ahead import GapWatch
from node.exchange.outbound import Pumped, Round
from node.exchange.transport import Reply
from node.exchange.window import (
    HOLD_WAITS_MAX,
    WINDOW_MAX,
    Claims,
    parse_window,
    wait_turns,
)
from tests.federation import Fault, Federation, audit

SH, NJ = "sh-pudong", "nj-gulou"


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    """SH has sent NJ one transfer, so it knows NJ's window (4, the default)."""
    federation = Federation(tmp_path, [SH, NJ], members=2, grant_minutes=600,
                            policy={"batch_size_max": 1})
    federation.send(f"m0@{SH}", f"m1@{NJ}", 5, transfer_id="first")
    federation.settle()
    assert federation.nodes[SH].exchange.courier.window(NJ) == 4
    yield federation
    federation.close()


def _queue(fed: Federation, count: int) -> list[str]:
    ids = [f"w{i}" for i in range(count)]
    for transfer_id in ids:
        assert fed.send(f"m0@{SH}", f"m1@{NJ}", 3, transfer_id=transfer_id).status_code == 201
    return ids


def _together(fed: Federation, lanes: int) -> list[Round]:
    courier = fed.nodes[SH].exchange.courier

    async def go() -> list[Round]:
        return list(await asyncio.gather(*(courier.pump(NJ) for _ in range(lanes))))
    return fed.run(go())


def _out_head(fed: Federation) -> int:
    with fed.nodes[SH].db.read() as conn:
        return store.link(conn, NJ).out_sequence


def _frozen(fed: Federation, node_id: str, peer: str) -> str | None:
    with fed.nodes[node_id].db.read() as conn:
        return store.link(conn, peer).frozen_reason


class Lagging:
    """The sender's transport, the n-th post held back `lags[n]` turns of the loop: a later
    transaction of the window overtakes it on the way."""

    def __init__(self, inner: Any, lags: list[int]) -> None:
        self.inner, self.lags = inner, lags

    async def post(self, base_url: str, body: bytes) -> Reply:
        for _ in range(self.lags.pop(0) if self.lags else 0):
            await asyncio.sleep(0)
        return await self.inner.post(base_url, body)  # type: ignore[no-any-return]


def _count_holds(fed: Federation) -> dict[str, int]:
    counts = {"held": 0, "placed": 0}

    async def hold(event: asyncio.Event) -> bool:
        counts["held"] += 1
        moved = await wait_turns(event)
        counts["placed"] += moved
        return moved
    fed.nodes[NJ].exchange.inbox.arrivals.wait = hold
    return counts


def test_a_window_overtaken_on_the_way_is_held_and_committed_in_order(fed: Federation) -> None:
    ids = _queue(fed, 3)
    courier = fed.nodes[SH].exchange.courier
    courier.transport = Lagging(courier.transport, [8, 0, 0])  # type: ignore[assignment]
    holds = _count_holds(fed)
    rounds = _together(fed, 3)
    assert [r.outcome for r in rounds] == [Pumped.DELIVERED] * 3, rounds
    assert holds["held"] >= 1 and holds["placed"] == holds["held"]  # none refused
    assert _out_head(fed) == 4
    assert [fed.transfer(SH, t)["state"] for t in ids] == ["committed"] * 3
    audit(fed)


def test_an_answer_before_its_predecessors_waits_and_is_applied_after_it(
        fed: Federation) -> None:
    ids = _queue(fed, 2)
    fed.network.plan(SH, NJ, Fault.DROP_RESPONSE, None)  # NJ commits both; one answer is lost
    first, second = _together(fed, 2)
    assert (first.outcome, second.outcome) == (Pumped.RETRY, Pumped.DELIVERED)
    assert _out_head(fed) == 1  # the second's answer is stored, not applied
    assert [fed.transfer(SH, t)["state"] for t in ids] == ["pending"] * 2
    audit(fed, quiescent=False)
    assert fed.pump(SH, NJ).outcome is Pumped.DELIVERED  # the first again: NJ's stored answer
    assert _out_head(fed) == 3
    assert [fed.transfer(SH, t)["state"] for t in ids] == ["committed"] * 2
    audit(fed)


def test_a_transaction_with_an_answered_successor_is_never_withdrawn(fed: Federation) -> None:
    _queue(fed, 2)
    fed.network.plan(SH, NJ, Fault.DROP_RESPONSE, None)  # the second answered, the first not
    _together(fed, 2)
    with fed.nodes[SH].db.read() as conn:
        before = store.ahead_of_head(conn, NJ, _out_head(fed))
    assert [row.response is None for row in before] == [True, False]
    with fed.nodes[SH].db.write() as conn:
        assert store.withdraw_out(conn, before[0].transaction_id) is False
    with fed.nodes[SH].db.read() as conn:
        assert store.ahead_of_head(conn, NJ, _out_head(fed)) == before
    fed.settle()
    audit(fed)


def test_a_gap_in_the_window_goes_one_at_a_time_and_freezes_nothing(fed: Federation) -> None:
    ids = _queue(fed, 2)
    holds = _count_holds(fed)
    fed.network.plan(SH, NJ, Fault.DROP_REQUEST, None)  # the first is lost on the way
    first, second = _together(fed, 2)
    assert first.outcome is Pumped.RETRY
    assert second.outcome is Pumped.IDLE and "sequence_gap in the window" in second.detail
    assert holds == {"held": 1, "placed": 0}
    courier = fed.nodes[SH].exchange.courier
    assert courier.window(NJ) == 1
    # The network delivers the refused copy again, late, twice: the same signing is no sign.
    late = fed.network.sent[(SH, NJ)][-1]
    for _ in range(2):
        assert b'"sequence_gap"' in fed.run(fed.network.deliver(NJ, late)).body
    assert _frozen(fed, NJ, SH) is None and _frozen(fed, SH, NJ) is None
    fed.settle()
    assert [fed.transfer(SH, t)["state"] for t in ids] == ["committed"] * 2
    assert courier.window(NJ) == 4  # the head passed the gap: the window is back
    audit(fed)


def test_a_receiver_that_shrank_its_window_counts_only_a_later_signing_as_a_sign(
        fed: Federation) -> None:
    fed.nodes[NJ].exchange.inbox.window = 1  # SH still believes the 4 NJ announced before
    _queue(fed, 2)
    fed.network.plan(SH, NJ, Fault.DROP_REQUEST, None)
    first, second = _together(fed, 2)
    assert first.outcome is Pumped.RETRY and "sequence_gap in the window" in second.detail
    late = fed.network.sent[(SH, NJ)][-1]  # the refused copy, delivered again late
    for _ in range(2):
        assert b'"sequence_gap"' in fed.run(fed.network.deliver(NJ, late)).body
    assert _frozen(fed, NJ, SH) is None and _frozen(fed, SH, NJ) is None
    fed.settle()
    assert _out_head(fed) == 3
    audit(fed)


def test_after_an_outage_a_stale_later_transaction_waits_to_be_the_lowest(
        fed: Federation, caplog: pytest.LogCaptureFixture) -> None:
    ids = _queue(fed, 2)
    fed.network.plan(SH, NJ, Fault.DROP_REQUEST, Fault.DROP_REQUEST)  # NJ is unreachable
    assert [r.outcome for r in _together(fed, 2)] == [Pumped.RETRY] * 2
    fed.clock.advance(fed.nodes[SH].federation.require_current().policy.skew_ms + 1)
    rounds = _together(fed, 2)  # the lowest re-signed; the later one, stale, is not sent
    assert sorted(r.outcome for r in rounds) == [Pumped.DELIVERED, Pumped.IDLE], rounds
    assert "clock_skew" not in caplog.text
    fed.settle()
    assert [fed.transfer(SH, t)["state"] for t in ids] == ["committed"] * 2
    audit(fed)


def _early_copy(fed: Federation) -> bytes:
    """A transaction of SH that NJ refused for a gap: its predecessor was lost on the way."""
    _queue(fed, 2)
    fed.network.plan(SH, NJ, Fault.DROP_REQUEST, None)
    inbox = fed.nodes[NJ].exchange.inbox

    async def no_move(event: asyncio.Event) -> bool:
        return False
    inbox.arrivals.wait = no_move
    _together(fed, 2)
    return fed.network.sent[(SH, NJ)][-1]


def test_a_receiver_holds_at_most_its_window_of_early_copies_per_sender(
        fed: Federation) -> None:
    late, inbox = _early_copy(fed), fed.nodes[NJ].exchange.inbox
    gate, held = asyncio.Event(), {"now": 0, "most": 0}

    async def until_gate(event: asyncio.Event) -> bool:
        held["now"] += 1
        held["most"] = max(held["most"], held["now"])
        await gate.wait()
        held["now"] -= 1
        return False
    inbox.arrivals.wait = until_gate
    copies = inbox.window + 3

    async def go() -> list[Reply]:
        tasks = [asyncio.create_task(fed.network.deliver(NJ, late)) for _ in range(copies)]
        for _ in range(5_000):  # until each copy is held or answered (writer thread's turns)
            if held["now"] + sum(t.done() for t in tasks) == copies:
                break
            await asyncio.sleep(0.001)
        gate.set()
        return list(await asyncio.gather(*tasks))
    replies = fed.run(go())
    assert held["most"] == inbox.window  # the others were refused at once
    assert all(b'"sequence_gap"' in r.body for r in replies)
    assert _frozen(fed, NJ, SH) is None


def test_an_early_copy_waits_at_most_hold_waits_max_times(fed: Federation) -> None:
    late, inbox = _early_copy(fed), fed.nodes[NJ].exchange.inbox
    inbox.window = WINDOW_MAX
    waits = {"n": 0}

    async def moved_elsewhere(event: asyncio.Event) -> bool:
        waits["n"] += 1
        return True  # the head "moved" (another sender's), never to this one
    inbox.arrivals.wait = moved_elsewhere
    assert b'"sequence_gap"' in fed.run(fed.network.deliver(NJ, late)).body
    assert waits["n"] == HOLD_WAITS_MAX < WINDOW_MAX


class _RolledBack(Exception):
    pass


def test_a_resign_flag_outlives_a_framing_command_rolled_back(fed: Federation) -> None:
    """The batch writer may run a command twice, the first run's writes lost (node/db/batch.py):
    the promise to sign later than a refused copy must survive it (standard §6.5 rule 5)."""
    _queue(fed, 1)
    fed.network.plan(SH, NJ, Fault.DROP_REQUEST)
    assert fed.pump(SH, NJ).outcome is Pumped.RETRY
    refused = json.loads(fed.network.log[-1].body)["created_at_ms"]
    courier, node = fed.nodes[SH].exchange.courier, fed.nodes[SH]
    courier._regap.add(NJ)  # as after a gap met with every earlier one answered
    directory = node.federation.require_current()
    with pytest.raises(_RolledBack), node.db.write() as conn:
        courier._frame(NJ, directory, fed.clock.now_ms(), 0, conn)
        raise _RolledBack
    courier.claims.release(NJ, 0)
    assert fed.pump(SH, NJ).outcome is Pumped.DELIVERED
    assert json.loads(fed.network.log[-1].body)["created_at_ms"] > refused
    assert NJ not in courier._regap


def test_a_sender_that_dies_with_a_window_in_flight_resends_the_same_bytes(
        fed: Federation) -> None:
    ids = _queue(fed, 3)
    fed.network.plan(SH, NJ, Fault.DROP_REQUEST, Fault.DROP_REQUEST, Fault.DROP_REQUEST)
    assert [r.outcome for r in _together(fed, 3)] == [Pumped.RETRY] * 3
    sent_before = {json.loads(d.body)["sequence"]: d.body for d in fed.network.log[-3:]}
    fed.restart(SH)
    fed.settle()
    again = [d.body for d in fed.network.log if d.body in sent_before.values()]
    assert len(again) >= 6  # every one of the three sent again, byte for byte
    assert [fed.transfer(SH, t)["state"] for t in ids] == ["committed"] * 3
    assert _out_head(fed) == 4
    audit(fed)


def test_a_node_that_announces_no_window_is_sent_to_one_at_a_time(fed: Federation) -> None:
    fed.nodes[NJ].exchange.inbox.window = 1  # as a node before 1.3 (no header: the same)
    fed.send(f"m0@{SH}", f"m1@{NJ}", 5, transfer_id="learn")
    fed.settle()
    assert fed.nodes[SH].exchange.courier.window(NJ) == 1
    _queue(fed, 3)
    rounds = _together(fed, 3)
    assert sorted(r.outcome for r in rounds) == [Pumped.DELIVERED, Pumped.IDLE, Pumped.IDLE]
    assert all(r.detail == "window full" for r in rounds if r.outcome is Pumped.IDLE)


def test_the_announced_window_is_read_strictly() -> None:
    assert [parse_window(v) for v in (None, "", "abc", "0", "-2", " 3 ", "8", "99")] == [
        1, 1, 1, 1, 1, 3, 8, WINDOW_MAX]


def test_only_a_later_signing_of_a_refused_gap_is_the_persistent_sign() -> None:
    watch = GapWatch()
    assert not watch.persistent(NJ, "t1", 100)
    assert not watch.persistent(NJ, "t1", 100)  # a delayed copy of the same signing
    assert not watch.persistent(NJ, "t1", 99)
    assert watch.persistent(NJ, "t1", 101)  # signed after every earlier one was answered
    legacy = GapWatch()  # a receiver without a window: the same transaction twice
    assert not legacy.persistent(NJ, "t1") and legacy.persistent(NJ, "t1")


def test_claims_taken_on_one_thread_and_released_on_another_stay_whole() -> None:
    """Framing takes claims on the writer's thread while a pump's end releases its own on the
    event loop's: neither may break on the other's change (a stranded claim stalls a link)."""
    claims, errors, rounds = Claims(), [], 60_000

    def framer() -> None:
        try:
            for i in range(rounds):
                claims.take(NJ, i % 64, 1 + i % 8)
                claims.taken(NJ)
        except RuntimeError as exc:
            errors.append(exc)

    def ender() -> None:
        try:
            for i in range(rounds):
                claims.release(NJ, 1 + i % 8)
        except RuntimeError as exc:
            errors.append(exc)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=framer), threading.Thread(target=ender)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert errors == []
    for pump in range(1, 9):
        claims.release(NJ, pump)
    assert claims.taken(NJ) == set()


@pytest.mark.parametrize(("queued", "pipelined"), [(3, False), (60, True)])
def test_only_a_batch_at_least_half_full_goes_out_beside_one_in_flight(
        tmp_path: Path, queued: int, pipelined: bool) -> None:
    """batch_size_max 100: 3 ready wait for the one in flight (one transaction later instead of
    several small ones); 60 ready go out at once beside it."""
    fed = Federation(tmp_path, [SH, NJ], members=2, grant_minutes=6_000,
                     policy={"batch_size_max": 100})
    try:
        fed.send(f"m0@{SH}", f"m1@{NJ}", 5, transfer_id="first")
        fed.settle()
        _queue(fed, 100)  # the first transaction takes 100 ...
        for i in range(queued):  # ... and these are what is ready beside it
            fed.send(f"m0@{SH}", f"m1@{NJ}", 1, transfer_id=f"x{i}")
        rounds = _together(fed, 2)
        outcomes = sorted(r.outcome for r in rounds)
        if pipelined:
            assert outcomes == [Pumped.DELIVERED, Pumped.DELIVERED], rounds
        else:
            assert outcomes == [Pumped.DELIVERED, Pumped.IDLE], rounds
            [idle] = [r for r in rounds if r.outcome is Pumped.IDLE]
            assert idle.detail == "a small batch waits for the transaction in flight"
        fed.settle()  # either way every transfer commits, the small batch after the first
        audit(fed)
        assert _out_head(fed) == 3
    finally:
        fed.close()
