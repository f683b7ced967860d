"""Member sessions in memory: timeouts, the bound on their number, nothing usable in the store."""

from __future__ import annotations

from node.clock import FakeClock
from node.people.sessions import MemberSessionStore, same_secret


def test_a_session_ends_after_idling_or_at_its_lifetime(clock: FakeClock) -> None:
    store = MemberSessionStore(clock, idle_ms=1_000, lifetime_ms=2_500)
    sid, session = store.open("alice", 3)
    assert (session.local_id, session.version) == ("alice", 3)
    clock.advance(1_000)
    assert store.get(sid) is not None  # exactly at the idle limit: still on
    clock.advance(1_001)
    assert store.get(sid) is None
    sid, _ = store.open("alice", 3)
    for _ in range(3):
        clock.advance(900)
        live = store.get(sid)
    assert live is None  # kept busy, it still ends 2.5 s after opening


def test_expiry_is_the_earlier_of_idle_and_lifetime(clock: FakeClock) -> None:
    store = MemberSessionStore(clock, idle_ms=1_000, lifetime_ms=2_500)
    _, session = store.open("alice", 1)
    assert store.expires_at_ms(session) == clock.now_ms() + 1_000


def test_the_least_recently_used_session_goes_first(clock: FakeClock) -> None:
    store = MemberSessionStore(clock, sessions_max=2)
    first, _ = store.open("alice", 1)
    second, _ = store.open("bob", 1)
    assert store.get(first) is not None  # first is now the most recently used
    store.open("carol", 1)
    assert len(store) == 2
    assert store.get(second) is None
    assert store.get(first) is not None


def test_the_store_holds_no_cookie_value_and_refuses_odd_ones(clock: FakeClock) -> None:
    store = MemberSessionStore(clock)
    sid, _ = store.open("alice", 1)
    assert sid not in store._sessions
    assert store.get("") is None and store.get("x" * 101) is None
    store.close(sid)
    assert store.get(sid) is None


def test_secrets_compare_and_an_empty_one_never_matches() -> None:
    assert same_secret("abc", "abc")
    assert not same_secret("abc", "abd")
    assert not same_secret("", "")
    assert not same_secret("é", "e")
