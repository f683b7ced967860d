"""Regulator accounts: staff password rules and hashing, lockout as staff logins have it."""

from __future__ import annotations

import json
import threading
import time

import pytest

from node.clock import FakeClock
from node.errors import AuthError, Conflict, ErrorCode, NodeError
from node.people.errors import SignInLocked, SignInRefused, TooManyAttempts
from node.people.throttle import LOCK_AFTER_FAILURES, LOCK_MS
from node.portal.web import Portal
from tests.node.portal.conftest import PASSWORD


def test_an_account_keeps_an_argon2id_hash_never_the_password(portal: Portal) -> None:
    portal.accounts.add("MZJ.Li", PASSWORD)
    stored = json.loads(portal.folder.accounts_path.read_text())
    assert list(stored) == ["mzj.li"]
    assert stored["mzj.li"]["hash"].startswith("$argon2id$")
    assert PASSWORD not in portal.folder.accounts_path.read_text()
    with pytest.raises(Conflict):
        portal.accounts.add("mzj.li", PASSWORD)


@pytest.mark.parametrize("username, password, code", [
    ("mzj.li", "1234567890", ErrorCode.PASSWORD_TOO_WEAK),
    ("mzj.li", "mzj.li-Password-9", ErrorCode.PASSWORD_TOO_WEAK),
    ("x", PASSWORD, ErrorCode.VALIDATION_FAILED),
])
def test_weak_passwords_and_bad_usernames_are_refused(portal: Portal, username: str,
                                                      password: str, code: ErrorCode) -> None:
    with pytest.raises(NodeError) as refused:
        portal.accounts.add(username, password)
    assert refused.value.code == code


def test_sign_in_and_the_session_check(portal: Portal) -> None:
    portal.accounts.add("mzj.li", PASSWORD)
    done = portal.accounts.sign_in(username=" MZJ.li ", password=PASSWORD, client="c")
    assert (done.username, done.version) == ("mzj.li", 1)
    portal.accounts.check("mzj.li", 1)
    with pytest.raises(AuthError):
        portal.accounts.check("mzj.li", 2)
    actions = [json.loads(line)["action"]
               for line in portal.folder.audit_path.read_text().splitlines()]
    assert actions == ["portal_account_added", "portal_signed_in"]


def test_five_wrong_passwords_lock_the_account_until_the_lock_ends(
        portal: Portal, clock: FakeClock) -> None:
    portal.accounts.add("mzj.li", PASSWORD)
    for _ in range(LOCK_AFTER_FAILURES - 1):
        with pytest.raises(SignInRefused):
            portal.accounts.sign_in(username="mzj.li", password="wrong-guess", client="c")
    with pytest.raises(SignInLocked):
        portal.accounts.sign_in(username="mzj.li", password="wrong-guess", client="c")
    with pytest.raises(SignInLocked):  # the right password too, while locked
        portal.accounts.sign_in(username="mzj.li", password=PASSWORD, client="c")
    clock.advance(LOCK_MS)
    assert portal.accounts.sign_in(username="mzj.li", password=PASSWORD, client="c")


def test_an_unknown_username_answers_and_locks_like_a_known_one(portal: Portal) -> None:
    for _ in range(LOCK_AFTER_FAILURES - 1):
        with pytest.raises(SignInRefused):
            portal.accounts.sign_in(username="nobody", password="wrong-guess", client="c")
    with pytest.raises(SignInLocked):
        portal.accounts.sign_in(username="nobody", password="wrong-guess", client="c")


def test_a_client_past_its_limit_is_refused_before_any_check(portal: Portal) -> None:
    portal.accounts.add("mzj.li", PASSWORD)
    limiter = portal.accounts.limiter
    for _ in range(limiter.failures_max):
        limiter.failed("guesser")
    with pytest.raises(TooManyAttempts):
        portal.accounts.sign_in(username="mzj.li", password=PASSWORD, client="guesser")
    assert portal.accounts.sign_in(username="mzj.li", password=PASSWORD, client="station")


GUESSES_AT_ONCE = 30


def test_guesses_sent_at_once_cannot_pass_the_lockout(portal: Portal) -> None:
    """Thirty wrong passwords from thirty addresses arrive together while the slow hash runs:
    only as many are checked as the lockout allows; the rest are refused unchecked."""
    portal.accounts.add("mzj.li", PASSWORD)
    hasher = portal.accounts.hasher
    real_verify = hasher.verify
    checked: list[str] = []
    refused: list[str] = []
    release = threading.Event()

    def held_verify(stored: str | None, password: str) -> bool:
        checked.append(password)  # the real check, held until every guess has arrived
        release.wait(timeout=10)
        return real_verify(stored, password)

    hasher.verify = held_verify  # type: ignore[method-assign]

    def guess(i: int) -> None:
        try:
            portal.accounts.sign_in(username="mzj.li", password=f"guess-{i}",
                                    client=f"10.0.0.{i}")
        except (SignInRefused, SignInLocked, TooManyAttempts) as exc:
            refused.append(type(exc).__name__)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(GUESSES_AT_ONCE)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(checked) + len(refused) < GUESSES_AT_ONCE and time.monotonic() < deadline:
        time.sleep(0.01)  # waiting for the threads to arrive, not for time to pass
    release.set()
    for thread in threads:
        thread.join(timeout=10)
    assert len(checked) == LOCK_AFTER_FAILURES
    assert len(refused) == GUESSES_AT_ONCE  # every guess was wrong
    with pytest.raises(SignInLocked):  # and the account is now locked, right password or not
        portal.accounts.sign_in(username="mzj.li", password=PASSWORD, client="10.0.1.1")


def test_a_removed_account_or_a_new_password_ends_its_sessions(portal: Portal) -> None:
    portal.accounts.add("mzj.li", PASSWORD)
    portal.accounts.add("mzj.wang", PASSWORD)
    li = portal.accounts.sign_in(username="mzj.li", password=PASSWORD, client="10.0.0.1")
    wang = portal.accounts.sign_in(username="mzj.wang", password=PASSWORD, client="10.0.0.2")
    portal.accounts.remove("mzj.li")
    with pytest.raises(AuthError):
        portal.accounts.check(li.username, li.version)
    with pytest.raises(SignInRefused):
        portal.accounts.sign_in(username="mzj.li", password=PASSWORD, client="10.0.0.1")
    portal.accounts.set_password("mzj.wang", "Another-Password-2027")
    with pytest.raises(AuthError):
        portal.accounts.check(wang.username, wang.version)
    again = portal.accounts.sign_in(username="mzj.wang", password="Another-Password-2027",
                                    client="10.0.0.2")
    portal.accounts.check(again.username, again.version)
    with pytest.raises(NodeError) as missing:
        portal.accounts.remove("nobody")
    assert missing.value.code is ErrorCode.STAFF_ACCOUNT_NOT_FOUND
