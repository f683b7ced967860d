"""Signing in: the session's principal, lockout after a few wrong PINs (and its end, on a
FakeClock), answers that never tell who exists, the client limiter, staff resets, the audit."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from node.access import Role
from node.db.schema import tb_audit
from node.errors import AuthError, ErrorCode
from node.people.sessions import IDLE_MS, MEMBER_COOKIE
from node.people.throttle import CLIENT_FAILURES_MAX, LOCK_AFTER_FAILURES, LOCK_MS
from tests.node.api.support import assert_problem, writes_nothing
from tests.node.people.support import ALICE_PIN, Family, Phone

WRONG = "905817"


def _answer(response: httpx.Response) -> tuple[int, str, str, str | None]:
    body = response.json()
    return response.status_code, body["code"], body["detail"], response.headers.get("retry-after")


def _guesses(phone: Phone, member: str, count: int) -> list[tuple[int, str, str, str | None]]:
    return [_answer(phone.sign_in(member, WRONG)) for _ in range(count)]


def test_invitation_activation_sign_in_and_the_sessions_principal(family: Family) -> None:
    family.enrol("alice", ALICE_PIN, family.east)
    phone = family.phone()
    signed = phone.sign_in(" Alice", ALICE_PIN)  # typed as on the card, with a slip
    assert signed.status_code == 201, signed.text
    assert signed.json()["member"] == "alice" and signed.json()["acts_for"] == []
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    session_id = phone.client.cookies[MEMBER_COOKIE]

    signed_in = family.node.people.principal_for_session(session_id)
    assert signed_in.principal.role == Role.MEMBER
    assert signed_in.principal.member_local_id == "alice"
    assert signed_in.principal.actor == "member:alice"
    assert signed_in.session.csrf == signed.json()["csrf_token"]
    who = phone.get("/api/v1/people/sessions/current").json()
    assert (who["role"], who["member"], who["session"]) == ("member", "alice", True)


def test_wrong_pins_lock_the_number_until_the_period_ends(family: Family) -> None:
    family.enrol("alice", ALICE_PIN, family.east)
    phone = family.phone()
    answers = _guesses(phone, "alice", LOCK_AFTER_FAILURES)
    assert {a[:2] for a in answers[:-1]} == {(401, "sign_in_failed")}
    assert answers[-1][:2] == (429, "sign_in_locked")
    assert answers[-1][3] == str(LOCK_MS // 1000)
    # Locked: the right PIN is refused too, without being checked.
    assert _answer(phone.sign_in("alice", ALICE_PIN))[:2] == (429, "sign_in_locked")
    family.clock.advance(LOCK_MS - 1000)
    assert _answer(phone.sign_in("alice", ALICE_PIN))[3] == "1"
    family.clock.advance(1000)
    assert phone.sign_in("alice", ALICE_PIN).status_code == 201
    # A success starts the count afresh.
    assert _guesses(phone, "alice", LOCK_AFTER_FAILURES - 1)[-1][:2] == (401, "sign_in_failed")


def test_the_answers_never_tell_whether_a_member_exists(family: Family) -> None:
    """A member with a PIN, one invited but without a PIN, a deactivated one and a number
    nobody has: the same answers, in the same order, lock included."""
    family.enrol("alice", ALICE_PIN, family.east)
    family.invite("bob")
    family.enrol("carol", "318204", family.west)
    family.api.client.post("/api/v1/members/carol/deactivate", headers=family.west,
                           json={"reason": "passed away"})
    phone = family.phone()
    runs = {member: _guesses(phone, member, LOCK_AFTER_FAILURES + 1)
            for member in ("alice", "bob", "carol", "nobody")}
    assert len({tuple(run) for run in runs.values()}) == 1, runs
    assert runs["nobody"][-1][:2] == (429, "sign_in_locked")
    assert "alice" not in str(runs["alice"])


def test_a_client_that_fails_too_often_is_held(family: Family) -> None:
    family.enrol("alice", ALICE_PIN, family.east)
    guesser = family.phone(("198.51.100.9", 40000))
    # One wrong PIN for each of many numbers: no number locks, the client is held.
    for n in range(CLIENT_FAILURES_MAX):
        assert guesser.sign_in(f"m{n}", WRONG).status_code == 401
    with writes_nothing(family.node):
        held = guesser.sign_in("alice", ALICE_PIN)
    assert_problem(held, 429, "too_many_attempts")
    assert int(held.headers["retry-after"]) > 0
    # Activations count and are held alike; another address is not held.
    assert_problem(guesser.client.post("/api/v1/people/activate",
                                       json={"code": "AAAA-BBBB-CCCC", "pin": "583920"}),
                   429, "too_many_attempts")
    assert family.phone(("198.51.100.10", 40000)).sign_in("alice", ALICE_PIN).status_code == 201


def test_staff_reset_unlocks_voids_the_pin_and_ends_sessions(family: Family) -> None:
    family.enrol("alice", ALICE_PIN, family.east)
    at_home = family.signed_in("alice", ALICE_PIN)
    _guesses(family.phone(), "alice", LOCK_AFTER_FAILURES)  # someone guessed: locked

    assert_problem(family.api.client.post("/api/v1/members/alice/credential/reset",
                                          headers=family.west), 403, "forbidden")
    reset = family.api.client.post("/api/v1/members/alice/credential/reset",
                                   headers=family.east)
    assert reset.status_code == 201, reset.text

    assert_problem(at_home.get("/api/v1/people/sessions/current"), 401, "unauthenticated")
    assert _answer(family.phone().sign_in("alice", ALICE_PIN))[:2] == (401, "sign_in_failed")
    assert family.activate(reset.json()["code"], "583920").status_code == 200
    assert family.phone().sign_in("alice", "583920").status_code == 201
    status = family.api.client.get("/api/v1/members/alice/credential", headers=family.east)
    assert status.json()["failed_count"] == 0 and status.json()["locked_until_ms"] is None


def test_deactivation_ends_live_sessions(family: Family) -> None:
    family.enrol("alice", ALICE_PIN, family.east)
    phone = family.signed_in("alice", ALICE_PIN)
    session_id = phone.client.cookies[MEMBER_COOKIE]
    family.api.client.post("/api/v1/members/alice/deactivate", headers=family.east,
                           json={"reason": "moved to a care home"})
    with pytest.raises(AuthError) as ended:
        family.node.people.principal_for_session(session_id)
    assert ended.value.code == ErrorCode.UNAUTHENTICATED
    assert_problem(phone.get("/api/v1/members/alice/balance"), 401, "unauthenticated")


def test_an_idle_session_ends(family: Family) -> None:
    family.enrol("alice", ALICE_PIN, family.east)
    phone = family.signed_in("alice", ALICE_PIN)
    family.clock.advance(IDLE_MS)
    assert phone.get("/api/v1/members/alice/balance").status_code == 200
    family.clock.advance(IDLE_MS + 1)
    assert_problem(phone.get("/api/v1/members/alice/balance"), 401, "unauthenticated")


def test_every_outcome_is_audited_without_the_pin(family: Family) -> None:
    family.enrol("alice", ALICE_PIN, family.east)
    phone = family.phone()
    phone.sign_in("alice", ALICE_PIN)
    _guesses(phone, "alice", LOCK_AFTER_FAILURES + 1)
    phone.sign_in("nobody", WRONG)
    family.api.client.post("/api/v1/members/alice/credential/reset", headers=family.east)
    with family.node.db.read() as conn:
        rows = conn.execute(select(tb_audit).where(tb_audit.c.subject.like("person:%"))
                            .order_by(tb_audit.c.id)).all()
    actions = [(row.subject, row.action) for row in rows]
    assert actions[2:] == [
        ("person:alice", "sign_in"),
        *[("person:alice", "sign_in_failed")] * LOCK_AFTER_FAILURES,
        ("person:alice", "sign_in_locked"),
        ("person:alice", "sign_in_refused"),
        ("person:nobody", "sign_in_failed"),
        ("person:alice", "invitation_created"),
        ("person:alice", "credential_reset"),
    ]
    text = repr([tuple(row) for row in rows])
    assert ALICE_PIN not in text and WRONG not in text
    assert "client:203.0.113.7" in text
