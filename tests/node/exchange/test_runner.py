"""The per-peer sender loop: delivers while there is work, backs off with jitter on failure,
opens its circuit after repeated failures, and wakes at once when work is queued."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from node.errors import ConfigError
from node.exchange import store
from node.exchange.outbound import Pumped, Round
from node.exchange.runner import Runner, RunnerSettings
from tests.federation import Fault, Federation

SH, NJ, BJ = "sh-pudong", "nj-gulou", "bj-chaoyang"
# Every wait is zero seconds: the loop's decisions are tested, not the passing of time.
INSTANT = RunnerSettings(poll_s=0, tick_s=0, backoff_base_s=0, backoff_max_s=0,
                         breaker_failures=3, breaker_open_s=0)


@dataclass
class FakeCourier:
    script: list[Pumped]
    calls: list[str] = field(default_factory=list)
    lanes: int = 1

    def window(self, peer: str) -> int:
        return 1

    async def pump(self, peer: str) -> Round:
        self.calls.append(peer)
        outcome = self.script.pop(0) if self.script else Pumped.IDLE
        if not self.script:
            await asyncio.sleep(0)
        return Round(outcome, "down" if outcome is Pumped.RETRY else "", messages=3)


@dataclass
class FakeDirectory:
    nodes: list[Any]


@dataclass
class FakeEntry:
    node_id: str


class FakeFederation:
    def current(self) -> FakeDirectory:
        return FakeDirectory([FakeEntry("sh-pudong"), FakeEntry("nj-gulou")])


class NoCapabilities:
    """The peers' node_info are not what these tests look at (tests/node/exchange/
    test_capabilities.py reads them): nothing is ever due."""

    def refresh_soon(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class FakeExchange:
    node_id = "sh-pudong"

    def __init__(self, courier: FakeCourier) -> None:
        self.courier = courier
        self.federation = FakeFederation()
        self.capabilities = NoCapabilities()

    async def tick(self) -> list[str]:
        return []


def _run(script: list[Pumped], rounds: int) -> tuple[Runner, FakeCourier]:
    courier = FakeCourier(list(script))
    runner = Runner(FakeExchange(courier), INSTANT, rng=random.Random(1))  # type: ignore[arg-type]

    async def go() -> None:
        await runner.start()
        while len(courier.calls) < rounds:
            await asyncio.sleep(0)
        await runner.stop()

    asyncio.run(go())
    return runner, courier


def test_the_loop_sends_to_every_peer_but_itself() -> None:
    runner, courier = _run([Pumped.DELIVERED, Pumped.DELIVERED], rounds=3)
    # (the third round found nothing: both deliveries were counted before it)
    assert set(courier.calls) == {"nj-gulou"}
    health = runner.health["nj-gulou"]
    assert health.delivered_transactions >= 2
    assert health.delivered_messages >= 6


def test_failures_open_the_circuit_and_a_delivery_closes_it() -> None:
    script = [Pumped.RETRY] * 3
    # One round more than scripted: by then the loop has acted on every scripted outcome.
    runner, _ = _run(script, rounds=4)
    assert runner.health["nj-gulou"].breaker_open
    assert runner.health["nj-gulou"].last_error == "down"
    runner, _ = _run([*script, Pumped.DELIVERED], rounds=5)
    assert not runner.health["nj-gulou"].breaker_open
    assert runner.health["nj-gulou"].failures == 0


@pytest.mark.parametrize("failures", [1, 2, 5, 12, 40])
def test_backoff_is_full_jitter_under_a_doubling_ceiling(failures: int) -> None:
    settings = RunnerSettings(backoff_base_s=0.2, backoff_max_s=30.0)
    runner = Runner(FakeExchange(FakeCourier([])), settings,  # type: ignore[arg-type]
                    rng=random.Random(failures))
    ceiling = min(30.0, 0.2 * 2 ** (failures - 1))
    samples = [runner.backoff_s(failures) for _ in range(500)]
    assert all(0 <= s <= ceiling for s in samples)
    assert max(samples) > 0.8 * ceiling and min(samples) < 0.2 * ceiling  # spread, not fixed


def test_wake_reaches_the_peer_loop_from_another_thread() -> None:
    courier = FakeCourier([])
    settings = RunnerSettings(poll_s=3600, tick_s=3600)  # only a wake-up can start a round
    runner = Runner(FakeExchange(courier), settings)  # type: ignore[arg-type]

    async def go() -> int:
        await runner.start()
        while not courier.calls:
            await asyncio.sleep(0)
        before = len(courier.calls)
        await asyncio.to_thread(runner.wake, "nj-gulou")
        while len(courier.calls) == before:
            await asyncio.sleep(0)
        await runner.stop()
        return len(courier.calls) - before

    assert asyncio.run(asyncio.wait_for(go(), timeout=10)) >= 1


def test_the_tick_wakes_the_links_with_work_due_and_no_others(tmp_path: Path) -> None:
    """Idle sender loops sleep (poll_s is a safety net): the node's one tick names the links
    whose outbox has a message due or whose transaction is unanswered, unless the link is
    frozen, with a real node's database."""
    fed = Federation(tmp_path, [SH, NJ, BJ], members=1, grant_minutes=600)
    try:
        sh = fed.nodes[SH]
        assert fed.run(sh.exchange.tick()) == []  # nothing queued: nobody to wake
        assert fed.send(f"m0@{SH}", f"m0@{NJ}", 30).status_code == 201
        assert fed.send(f"m0@{SH}", f"m0@{BJ}", 30).status_code == 201
        assert fed.run(sh.exchange.tick()) == [BJ, NJ]
        with sh.db.write() as conn:
            store.freeze(conn, BJ, reason="prev_hash_mismatch", detail="test", now_ms=0)
        assert fed.run(sh.exchange.tick()) == [NJ]  # a frozen link waits for its operator
        fed.network.plan(SH, NJ, Fault.DROP_REQUEST)
        fed.pump(SH, NJ)  # the transaction is made, but never arrives: still unanswered
        assert fed.run(sh.exchange.tick()) == [NJ]  # so its loop is woken to send it again
        fed.pump(SH, NJ)
        assert fed.run(sh.exchange.tick()) == []  # answered: only the frozen link holds work
        with sh.db.write() as conn:  # an operator unfreezes it from another process
            store.unfreeze(conn, BJ)
        assert fed.run(sh.exchange.tick()) == [BJ]  # and the next tick resumes it
    finally:
        fed.close()


@dataclass
class FailingCourier(FakeCourier):
    """Pumps that raise the same error (a clock behind the node's key start) until scripted."""

    async def pump(self, peer: str) -> Round:
        if len(self.calls) < 4:
            self.calls.append(peer)
            await asyncio.sleep(0)
            raise ConfigError("no signing key is valid at this node's clock: fix NTP")
        return await super().pump(peer)


def test_the_same_failure_again_is_logged_once_until_a_delivery(
        caplog: pytest.LogCaptureFixture) -> None:
    courier = FailingCourier([Pumped.DELIVERED])
    runner = Runner(FakeExchange(courier), INSTANT, rng=random.Random(1))  # type: ignore[arg-type]

    async def go() -> None:
        await runner.start()
        while len(courier.calls) < 6:
            await asyncio.sleep(0)
        await runner.stop()

    asyncio.run(go())
    logged = [r for r in caplog.records if r.getMessage().startswith("pumping the link")]
    assert len(logged) == 1 and "fix NTP" in str(logged[0].exc_info[1])  # type: ignore[index]
    assert runner.health[NJ].logged_error == ""  # the delivery cleared it


@dataclass
class WindowCourier(FakeCourier):
    """A courier whose link to nj-gulou has a window of `open_window` (standard §6.5): each
    round trip stays in flight a few turns of the loop, so lanes overlap."""

    lanes: int = 3
    open_window: int = 3
    flying: int = 0
    most: int = 0

    def window(self, peer: str) -> int:
        return self.open_window

    async def pump(self, peer: str) -> Round:
        self.calls.append(peer)
        self.flying += 1
        self.most = max(self.most, self.flying)
        for _ in range(5):
            await asyncio.sleep(0)
        self.flying -= 1
        return Round(Pumped.DELIVERED, messages=1)


@pytest.mark.parametrize(("open_window", "most"), [(3, 3), (1, 1)])
def test_a_link_pumps_on_as_many_lanes_as_its_window_is_long(open_window: int,
                                                             most: int) -> None:
    courier = WindowCourier([], open_window=open_window)
    runner = Runner(FakeExchange(courier), INSTANT, rng=random.Random(1))  # type: ignore[arg-type]

    async def go() -> None:
        await runner.start()
        while len(courier.calls) < 12:
            await asyncio.sleep(0)
        await runner.stop()

    asyncio.run(go())
    assert courier.most == most  # lanes past the window rest
    assert runner.health[NJ].delivered_transactions >= 12 - courier.lanes  # (some cut short)


@dataclass
class RestingCourier(WindowCourier):
    """The first round trip meets a refusal only the peer's operator can mend; any later one
    would find nothing to send."""

    async def pump(self, peer: str) -> Round:
        self.calls.append(peer)
        if len(self.calls) == 1:
            return Round(Pumped.RETRY, "sequence_gap", rest=True)
        return Round(Pumped.IDLE)


def test_while_the_circuit_rests_no_lane_pumps() -> None:
    courier = RestingCourier([], open_window=3)
    settings = RunnerSettings(poll_s=0, tick_s=0, backoff_base_s=0, backoff_max_s=0,
                              breaker_failures=3, breaker_open_s=60)
    runner = Runner(FakeExchange(courier), settings, rng=random.Random(1))  # type: ignore[arg-type]

    async def go() -> None:
        await runner.start()
        for _ in range(50):
            await asyncio.sleep(0)
        await runner.stop()

    asyncio.run(go())
    assert runner.health[NJ].breaker_open
    assert len(courier.calls) == 1  # lanes 1 and 2 rest with lane 0 (standard §6.5 rule 5)


class SkewedCourier(WindowCourier):
    """Its signing time is refused (clock_skew) until the clock is mended, then it delivers."""

    mended = False
    delivered = 0

    async def pump(self, peer: str) -> Round:
        self.calls.append(peer)
        if not self.mended:
            return Round(Pumped.RETRY, "clock_skew", clock=True)
        self.delivered += 1
        return Round(Pumped.DELIVERED, messages=1) if self.delivered == 1 else Round(Pumped.IDLE)


def test_a_refused_signing_time_never_opens_the_circuit() -> None:
    """A clock to mend is no failing peer: however many refusals, the circuit stays closed and
    the link goes on trying every clock_retry_s, so a corrected clock drains it at once."""
    courier = SkewedCourier([], open_window=1)
    settings = RunnerSettings(poll_s=0, tick_s=0, backoff_base_s=0, backoff_max_s=0,
                              breaker_failures=3, breaker_open_s=60, clock_retry_s=0)
    runner = Runner(FakeExchange(courier), settings, rng=random.Random(1))  # type: ignore[arg-type]

    async def go() -> None:
        await runner.start()
        for _ in range(50):
            await asyncio.sleep(0)
        assert not runner.health[NJ].breaker_open and runner.health[NJ].failures == 0
        courier.mended = True
        for _ in range(10):
            await asyncio.sleep(0)
        await runner.stop()

    asyncio.run(go())
    assert len(courier.calls) > 10  # tried again and again, never rested for the circuit
    assert runner.health[NJ].delivered_transactions >= 1
