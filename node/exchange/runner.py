"""The exchange's moving parts in a running node: one sender loop per peer, and the expiry tick.

Each peer's loop pumps its link (outbound.Courier.pump) whenever the outbox has work: woken at
once when a transfer is queued, and by the node's one tick (every `tick_s`) when a delayed
resend or a status query falls due. An idle loop sleeps; `poll_s` is only a safety net, so
idle links cost no database reads however many peers there are. On failure it
backs off exponentially with full jitter, so peers recovering from an outage are not hit by every
node at the same instant. After `breaker_failures` failures in a row the circuit opens: the loop
waits `breaker_open_s` before the next probe, and wake-ups do not cut that short. A refusal
only the peer's operator can mend (the peer lost part of our chain: `Round.rest`) opens the
circuit at once.

A link has as many loops (lanes) as the node's window (standard §6.5); each does one round trip
at a time, and lane k pumps only while the courier's window for the peer is over k (the peer
announced a window, and no gap sent the link back to one at a time). Lane 0 alone is today's
one transaction in flight. The lanes share the peer's health, backoff and circuit: while the
circuit rests, no lane pumps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from node.exchange.outbound import Pumped, Round

if TYPE_CHECKING:
    from node.exchange.service import Exchange

log = logging.getLogger("hourbridge.exchange")


@dataclass(frozen=True)
class RunnerSettings:
    poll_s: float = 60.0  # an idle loop's safety net: work wakes it (the module docstring)
    tick_s: float = 1.0
    backoff_base_s: float = 0.2
    backoff_max_s: float = 30.0
    breaker_failures: int = 5
    breaker_open_s: float = 30.0
    # After a refused signing time (our clock or the peer's is off): retry this soon, without
    # opening the circuit, so a corrected clock drains the queue within it.
    clock_retry_s: float = 2.0


@dataclass
class PeerHealth:
    failures: int = 0
    breaker_open: bool = False
    last_error: str = ""
    last_delivered_at: float | None = None
    delivered_transactions: int = 0
    delivered_messages: int = 0
    frozen: str = ""
    logged_error: str = ""  # the failure last logged: the same one again is not (a clock fault)
    rest_until: float = 0.0  # the event loop's time the open circuit rests until, every lane
    event: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    lanes: list[asyncio.Event] = field(default_factory=list, repr=False)  # lanes 1.. of §6.5

    def wakes(self, lane: int) -> asyncio.Event:
        while len(self.lanes) < lane:
            self.lanes.append(asyncio.Event())
        return self.event if lane == 0 else self.lanes[lane - 1]

    def view(self) -> dict[str, Any]:
        return {
            "circuit": "open" if self.breaker_open else "closed",
            "failures_in_a_row": self.failures,
            "last_error": self.last_error or None,
            "delivered_transactions": self.delivered_transactions,
            "delivered_messages": self.delivered_messages,
        }


class Runner:
    def __init__(self, exchange: Exchange, settings: RunnerSettings | None = None,
                 rng: random.Random | None = None) -> None:
        self.exchange = exchange
        self.settings = settings or RunnerSettings()
        self.rng = rng or random.Random()
        self.health: dict[str, PeerHealth] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False

    # control --------------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._tasks["~tick"] = asyncio.create_task(self._tick_loop())
        self._ensure_peers()

    async def stop(self) -> None:
        self._stopping = True
        await self.exchange.capabilities.stop()
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()
        self._loop = None

    def wake(self, peer: str) -> None:
        """Safe from any thread (the writer thread runs commands on PostgreSQL)."""
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed while stopping
            loop.call_soon_threadsafe(self._set, peer)

    def _set(self, peer: str) -> None:
        health = self._peer(peer)
        health.event.set()
        for event in health.lanes:
            event.set()

    def _peer(self, peer: str) -> PeerHealth:
        health = self.health.get(peer)
        if health is None:
            health = self.health[peer] = PeerHealth()
        return health

    def _ensure_peers(self) -> None:
        directory = self.exchange.federation.current()
        if directory is None or self._stopping:
            return
        for entry in directory.nodes:
            peer = entry.node_id
            if peer != self.exchange.node_id and peer not in self._tasks:
                self._peer(peer)
                self._tasks[peer] = asyncio.create_task(self._peer_loop(peer))
                for lane in range(1, self.exchange.courier.lanes):
                    self._tasks[f"{peer}#{lane}"] = asyncio.create_task(
                        self._peer_loop(peer, lane))

    # loops ----------------------------------------------------------------------------------

    async def _tick_loop(self) -> None:
        while not self._stopping:
            try:
                # The peers' node_info: at the first tick (the node's start), after a directory
                # change, once per settlement window; in a task of its own (capabilities.py).
                self.exchange.capabilities.refresh_soon()
                for peer in await self.exchange.tick():
                    self._set(peer)
                self._ensure_peers()
            except Exception:  # keep ticking; the log says what failed
                log.exception("exchange tick failed")
            await asyncio.sleep(self.settings.tick_s)

    def backoff_s(self, failures: int) -> float:
        """Full jitter: uniform in [0, min(max, base * 2^(failures-1))]."""
        ceiling = min(self.settings.backoff_max_s,
                      self.settings.backoff_base_s * 2 ** max(failures - 1, 0))
        return self.rng.uniform(0, ceiling)

    async def _peer_loop(self, peer: str, lane: int = 0) -> None:
        health = self._peer(peer)
        event = health.wakes(lane)
        while not self._stopping:
            event.clear()
            if lane and lane >= self.exchange.courier.window(peer):
                with contextlib.suppress(TimeoutError):  # the window is shorter: rest
                    await asyncio.wait_for(event.wait(), timeout=self.settings.poll_s)
                continue
            rest_s = health.rest_until - asyncio.get_running_loop().time()
            if rest_s > 0:  # another lane opened the circuit: it rests for every lane (§6.5)
                await asyncio.sleep(rest_s)
                continue
            try:
                result = await self.exchange.courier.pump(peer)
            except Exception as exc:  # a bug, a database error, no key valid: log, back off
                detail = f"{type(exc).__name__}: {exc}"
                if detail != health.logged_error:  # once until it changes or a delivery
                    health.logged_error = detail
                    log.exception("pumping the link to %s failed", peer)
                result = Round(Pumped.RETRY, detail)
            if result.outcome is Pumped.DELIVERED:
                health.failures, health.breaker_open = 0, False
                health.logged_error = ""
                health.last_delivered_at = time.time()
                health.delivered_transactions += 1
                health.delivered_messages += result.messages
                continue
            if result.outcome is Pumped.RETRY and result.clock:
                health.last_error = result.detail  # logged once by the clock watch
                await asyncio.sleep(self.settings.clock_retry_s)
                continue
            if result.outcome is Pumped.RETRY:
                health.failures += 1
                if result.rest:  # only the peer's operator can mend it: rest at once
                    health.failures = max(health.failures, self.settings.breaker_failures)
                health.last_error = result.detail
                if health.failures >= self.settings.breaker_failures:
                    if not health.breaker_open:
                        log.warning("circuit to %s open after %s: %s", peer,
                                    "a refusal only its operator can mend" if result.rest
                                    else f"{health.failures} failures", result.detail)
                    health.breaker_open = True
                    rest_s = self.settings.breaker_open_s * self.rng.uniform(0.5, 1.0)
                    health.rest_until = asyncio.get_running_loop().time() + rest_s
                    await asyncio.sleep(rest_s)
                else:
                    await asyncio.sleep(self.backoff_s(health.failures))
                continue
            health.frozen = result.detail if result.outcome is Pumped.FROZEN else ""
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=self.settings.poll_s)
