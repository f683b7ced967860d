from __future__ import annotations

from node.clock import FakeClock
from node.console.sessions import SessionStore, same_secret


def test_sessions_end_when_idle_or_too_old() -> None:
    clock = FakeClock(0)
    store = SessionStore(clock, idle_ms=10, lifetime_ms=25)
    sid, session = store.open("hb_token")
    assert store.get(sid) == session
    for _ in range(2):
        clock.advance(10)
        assert store.get(sid) is not None  # each request keeps it alive
    clock.advance(6)
    assert store.get(sid) is None  # 26 ms after login: past its lifetime, though not idle
    sid, _ = store.open("hb_token")
    clock.advance(11)
    assert store.get(sid) is None
    assert len(store) == 0


def test_the_store_is_bounded_and_forgets_the_least_recently_used() -> None:
    store = SessionStore(FakeClock(0), sessions_max=2)
    first, _ = store.open("a")
    second, _ = store.open("b")
    assert store.get(first) is not None  # now the second is the least recently used
    third, _ = store.open("c")
    assert len(store) == 2
    assert store.get(second) is None
    assert store.get(first) is not None and store.get(third) is not None


def test_cookie_values_are_random_and_checked() -> None:
    store = SessionStore(FakeClock(0))
    one, a = store.open("t")
    two, b = store.open("t")
    assert one != two and a.csrf != b.csrf
    assert store.get("") is None and store.get("x" * 200) is None
    store.close(one)
    assert store.get(one) is None


def test_secrets_compare_only_when_both_are_given() -> None:
    assert same_secret("abc", "abc")
    assert not same_secret("", "")
    assert not same_secret("abc", "abd")
