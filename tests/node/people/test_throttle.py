"""The lockout rule, its in-memory twin for numbers without a PIN, and the client limiter, on a
FakeClock (nothing sleeps)."""

from __future__ import annotations

import pytest

from node.clock import FakeClock
from node.people.errors import SignInLocked, TooManyAttempts
from node.people.throttle import (
    LOCK_AFTER_FAILURES,
    LOCK_MS,
    ClientLimiter,
    Phantoms,
    after_failure,
    refuse_if_locked,
)


def test_the_lock_comes_at_the_limit_and_the_count_restarts_after_it() -> None:
    now = 1_000
    count, locked = 0, None
    for expected in range(1, LOCK_AFTER_FAILURES):
        count, locked = after_failure(count, locked, now)
        assert (count, locked) == (expected, None)
    count, locked = after_failure(count, locked, now)
    assert (count, locked) == (LOCK_AFTER_FAILURES, now + LOCK_MS)
    refuse_if_locked(locked, now + LOCK_MS)  # ended
    with pytest.raises(SignInLocked) as refused:
        refuse_if_locked(locked, now + LOCK_MS - 1)
    assert refused.value.retry_after_s == 1
    assert after_failure(count, locked, now + LOCK_MS) == (1, None)


def test_a_number_without_a_pin_locks_like_one_with(clock: FakeClock) -> None:
    phantoms = Phantoms(clock)
    for _ in range(LOCK_AFTER_FAILURES - 1):
        phantoms.refuse_if_locked("nobody")
        assert phantoms.failed("nobody") is None
    assert phantoms.failed("nobody") == clock.now_ms() + LOCK_MS
    with pytest.raises(SignInLocked) as refused:
        phantoms.refuse_if_locked("nobody")
    assert refused.value.retry_after_s == LOCK_MS // 1000
    phantoms.refuse_if_locked("somebody-else")
    clock.advance(LOCK_MS)
    phantoms.refuse_if_locked("nobody")


def test_phantoms_keep_a_bounded_number_of_numbers(clock: FakeClock) -> None:
    phantoms = Phantoms(clock, tracked_max=3)
    for number in ("a", "b", "c", "d"):
        phantoms.failed(number)
    assert list(phantoms._state) == ["b", "c", "d"]


def test_a_client_is_held_after_its_failures_until_the_window_passes(clock: FakeClock) -> None:
    limiter = ClientLimiter(clock, failures_max=3, window_ms=60_000)
    for _ in range(3):
        limiter.check("10.0.0.1")
        limiter.failed("10.0.0.1")
        clock.advance(10_000)
    with pytest.raises(TooManyAttempts) as refused:
        limiter.check("10.0.0.1")
    assert refused.value.retry_after_s == 30  # the first failure leaves the window then
    limiter.check("10.0.0.2")  # another client is not held
    clock.advance(30_000)
    limiter.check("10.0.0.1")
    limiter.failed("10.0.0.1")
    with pytest.raises(TooManyAttempts):
        limiter.check("10.0.0.1")  # the second and third are still in the window
