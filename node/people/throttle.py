"""Limits on guessing: the lockout rule per member number, its in-memory twin for numbers that
have no PIN, and the limiter per client.

lockout      after `LOCK_AFTER_FAILURES` wrong PINs in a row a member number is locked for
             `LOCK_MS`, right PIN or not; the count starts again when the lock ends. For a member
             with a PIN the count is stored (member_credentials), so it survives a restart.
Phantoms     the same rule, in memory, for member numbers with no PIN (unknown, not activated,
             deactivated): they answer and lock exactly like real ones, so the lock tells a
             guesser nothing about who exists.
ClientLimiter  at most `CLIENT_FAILURES_MAX` failed sign-ins or activations per client in any
             `CLIENT_WINDOW_MS`; past that the client is refused before any PIN is checked.
             Generous, because a station's tablet signs in many elders from one address.

Time comes from the injected clock; both in-memory maps keep at most `TRACKED_MAX` keys.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque

from node.clock import Clock
from node.people.errors import SignInLocked, TooManyAttempts

MINUTE_MS = 60_000
LOCK_AFTER_FAILURES = 5
LOCK_MS = 15 * MINUTE_MS
CLIENT_FAILURES_MAX = 30
CLIENT_WINDOW_MS = 10 * MINUTE_MS
TRACKED_MAX = 10_000
LOCKED = (f"signing in with this member number is paused for {LOCK_MS // MINUTE_MS} minutes "
          f"after {LOCK_AFTER_FAILURES} wrong tries; try again later or ask your station")


def after_failure(failed_count: int, locked_until_ms: int | None,
                  now_ms: int) -> tuple[int, int | None]:
    """The count and lock after one more wrong PIN. An ended lock starts the count afresh."""
    count = 0 if locked_until_ms is not None and locked_until_ms <= now_ms else failed_count
    count += 1
    return count, (now_ms + LOCK_MS if count >= LOCK_AFTER_FAILURES else None)


def refuse_if_locked(locked_until_ms: int | None, now_ms: int) -> None:
    if locked_until_ms is not None and locked_until_ms > now_ms:
        raise SignInLocked(LOCKED, retry_after_ms=locked_until_ms - now_ms)


class Phantoms:
    """Failure counts of member numbers without a stored PIN."""

    def __init__(self, clock: Clock, *, tracked_max: int = TRACKED_MAX) -> None:
        self.clock = clock
        self.tracked_max = tracked_max
        self._state: OrderedDict[str, tuple[int, int | None]] = OrderedDict()
        self._lock = threading.Lock()

    def refuse_if_locked(self, key: str) -> None:
        with self._lock:
            _, locked_until_ms = self._state.get(key, (0, None))
        refuse_if_locked(locked_until_ms, self.clock.now_ms())

    def failed(self, key: str) -> int | None:
        """Count one failure; the time the number is locked until, if this one locked it."""
        with self._lock:
            count, locked_until_ms = after_failure(*self._state.get(key, (0, None)),
                                                   self.clock.now_ms())
            self._state[key] = (count, locked_until_ms)
            self._state.move_to_end(key)
            while len(self._state) > self.tracked_max:
                self._state.popitem(last=False)
        return locked_until_ms


class ClientLimiter:
    """Failures per client in a sliding window."""

    def __init__(self, clock: Clock, *, failures_max: int = CLIENT_FAILURES_MAX,
                 window_ms: int = CLIENT_WINDOW_MS, tracked_max: int = TRACKED_MAX) -> None:
        assert failures_max > 0 and window_ms > 0 and tracked_max > 0
        self.clock = clock
        self.failures_max = failures_max
        self.window_ms = window_ms
        self.tracked_max = tracked_max
        self._failures: OrderedDict[str, deque[int]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, client: str, now_ms: int) -> deque[int]:
        times = self._failures.get(client, deque())
        while times and times[0] <= now_ms - self.window_ms:
            times.popleft()
        return times

    def check(self, client: str) -> None:
        """TooManyAttempts (429) while this client has used up its failures."""
        now_ms = self.clock.now_ms()
        with self._lock:
            times = self._recent(client, now_ms)
            wait_ms = times[0] + self.window_ms - now_ms if len(times) >= self.failures_max else 0
        if wait_ms > 0:
            raise TooManyAttempts(f"too many failed tries from here ({self.failures_max} in "
                                  f"{self.window_ms // MINUTE_MS} minutes); wait and try again",
                                  retry_after_ms=wait_ms)

    def failed(self, client: str) -> None:
        now_ms = self.clock.now_ms()
        with self._lock:
            times = self._recent(client, now_ms)
            times.append(now_ms)
            while len(times) > self.failures_max:
                times.popleft()
            self._failures[client] = times
            self._failures.move_to_end(client)
            while len(self._failures) > self.tracked_max:
                self._failures.popitem(last=False)
