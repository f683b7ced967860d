"""A window of several transactions in flight per link (standard §6.5).

A sender may have up to W transactions on a link unanswered at once, W the smaller of its own
window and the one the receiver announces in the `HourBridge-Window` header of its answers
(§21.1). A receiver that announces nothing (every node before 1.3) gets one at a time, as
before. The announcement is only a hint for speed: a sender that pipelines to a receiver which
does not hold early arrivals meets `sequence_gap`, which §6.5 makes harmless.

    Claims      which unanswered transactions this process is sending now, so that two of
                the link's lanes (node/exchange/runner.py) never send the same one at once
    Arrivals    at the receiver, each link's head as it moves, so that a transaction that
                arrived before its predecessor is held until the predecessor commits
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from protocol.chain import WINDOW_DEFAULT, WINDOW_MAX

WINDOW_HEADER = "HourBridge-Window"
# WINDOW_MAX bounds what a node announces or uses. A receiver holds at most its window's length
# of early arrivals per link at once (Arrivals.hold; any copy beyond is refused `sequence_gap`
# at once), each for at most HOLD_WAITS_MAX waits of at most HOLD_S: 8 s in all, under the
# sender's 10 s timeout.
# How long a receiver waits, each time, for the head to move under a transaction that arrived
# before its predecessor (on another connection).
HOLD_S = 1.0
HOLD_WAITS_MAX = 8


def parse_window(value: str | None) -> int:
    """A peer's announced window; anything missing or malformed is 1 (one at a time)."""
    if value is None or not value.strip().isdigit():
        return 1
    return max(1, min(WINDOW_MAX, int(value.strip())))


Waiter = Callable[[asyncio.Event], Awaitable[bool]]


async def wait_hold(event: asyncio.Event) -> bool:
    """Production's hold: True if `event` was set within HOLD_S."""
    try:
        await asyncio.wait_for(event.wait(), timeout=HOLD_S)
    except TimeoutError:
        return False
    return True


@dataclass
class Arrivals:
    """One event per sender, set (and replaced) whenever that sender's chain head moves here."""

    wait: Waiter = wait_hold
    _moved: dict[str, asyncio.Event] = field(default_factory=dict)
    _holds: dict[str, int] = field(default_factory=dict)  # per sender, arrivals held now

    def hold(self, sender: str, most: int) -> bool:
        """Count one more arrival held for `sender`, if fewer than `most` are; else False."""
        held = self._holds.get(sender, 0)
        if held >= most:
            return False
        self._holds[sender] = held + 1
        return True

    def unhold(self, sender: str) -> None:
        held = self._holds.pop(sender, 0) - 1
        if held > 0:
            self._holds[sender] = held

    def event(self, sender: str) -> asyncio.Event:
        event = self._moved.get(sender)
        if event is None:
            event = self._moved[sender] = asyncio.Event()
        return event

    def moved(self, sender: str) -> None:
        event = self._moved.pop(sender, None)
        if event is not None:
            event.set()


@dataclass
class Claims:
    """Per peer, the sequences being sent now and the pump holding each. A claim is taken in
    the framing write command, which the batch writer may run twice: a pump's new claim
    replaces its old one, so a rerun leaves no stray claim. Taken on the writer's thread,
    released on the event loop's: every access holds the lock."""

    _held: dict[str, dict[int, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def taken(self, peer: str) -> set[int]:
        with self._lock:
            return set(self._held.get(peer, {}))

    def take(self, peer: str, sequence: int, pump: int) -> None:
        with self._lock:
            self._release(peer, pump)
            self._held.setdefault(peer, {})[sequence] = pump

    def release(self, peer: str, pump: int) -> None:
        with self._lock:
            self._release(peer, pump)

    def _release(self, peer: str, pump: int) -> None:
        held = self._held.get(peer, {})
        for sequence in [s for s, p in list(held.items()) if p == pump]:
            held.pop(sequence, None)


# A hold counted in turns of the event loop: for an in-process network (tests, the
# simulation), where every arrival that can come is already on its way, and time must not
# decide what happens (a seed replays exactly).
HOLD_TURNS = 64


async def wait_turns(event: asyncio.Event) -> bool:
    """True if `event` is set within HOLD_TURNS turns of the event loop."""
    for _ in range(HOLD_TURNS):
        if event.is_set():
            return True
        await asyncio.sleep(0)
    return event.is_set()


__all__ = ["HOLD_S", "HOLD_TURNS", "HOLD_WAITS_MAX", "WINDOW_DEFAULT", "WINDOW_HEADER",
           "WINDOW_MAX", "Arrivals", "Claims", "Waiter", "parse_window", "wait_hold", "wait_turns"]
