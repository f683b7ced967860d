"""The member session on the JSON API: a cookie-authenticated request that changes anything must
carry the session's CSRF secret; a token always wins over a cookie; signing out."""

from __future__ import annotations

from node.people.sessions import CSRF_HEADER, MEMBER_COOKIE
from tests.node.api.support import assert_problem, writes_nothing
from tests.node.people.support import ALICE_PIN, Family, family

__all__ = ["family"]  # the fixture

TRANSFER = {"id": "t-csrf", "from": "alice", "to": "bob", "amount_minutes": 30}


def _alice_with_hours(family: Family) -> None:
    family.enrol("alice", ALICE_PIN, family.east)
    grant = family.api.client.post("/api/v1/grants", headers=family.api.admin, json={
        "id": "g-alice", "member": "alice", "amount_minutes": 600, "credit_class": "granted",
        "reason": "care plan"})
    assert grant.status_code == 201, grant.text


def test_a_cookie_request_that_writes_needs_the_csrf_header(family: Family) -> None:
    _alice_with_hours(family)
    phone = family.signed_in("alice", ALICE_PIN)
    with writes_nothing(family.node):
        assert_problem(phone.post("/api/v1/transfers", TRANSFER, csrf=False), 403,
                       "csrf_refused")
        forged = phone.client.post("/api/v1/transfers", json=TRANSFER,
                                   headers={CSRF_HEADER: "x" * 43})
        assert_problem(forged, 403, "csrf_refused")
    # Reading needs no secret; writing with it works.
    assert phone.get("/api/v1/members/alice/balance").status_code == 200
    sent = phone.post("/api/v1/transfers", TRANSFER)
    assert sent.status_code == 201, sent.text


def test_the_secret_of_one_session_does_not_serve_another(family: Family) -> None:
    _alice_with_hours(family)
    first = family.signed_in("alice", ALICE_PIN)
    second = family.signed_in("alice", ALICE_PIN)
    assert first.csrf != second.csrf
    second.csrf = first.csrf
    assert_problem(second.post("/api/v1/transfers", TRANSFER), 403, "csrf_refused")


def test_a_token_wins_over_a_cookie(family: Family) -> None:
    _alice_with_hours(family)
    phone = family.signed_in("alice", ALICE_PIN)
    # A staff token of another station sent from a browser holding alice's cookie: judged as
    # that token, which may not read alice.
    response = phone.client.get("/api/v1/members/alice/balance", headers=family.west)
    assert_problem(response, 403, "forbidden")
    bad = phone.client.get("/api/v1/members/alice/balance",
                           headers={"Authorization": "Basic YWxpY2U6eA=="})
    assert_problem(bad, 401, "unauthenticated")


def test_an_unknown_or_ended_cookie_is_unauthenticated(family: Family) -> None:
    family.enrol("alice", ALICE_PIN, family.east)
    stranger = family.phone()
    stranger.client.cookies.set(MEMBER_COOKIE, "made-up")
    assert_problem(stranger.get("/api/v1/members/alice/balance"), 401, "unauthenticated")


def test_signing_out_needs_the_secret_and_ends_the_session(family: Family) -> None:
    family.enrol("alice", ALICE_PIN, family.east)
    phone = family.signed_in("alice", ALICE_PIN)
    assert_problem(phone.delete("/api/v1/people/sessions/current", csrf=False), 403,
                   "csrf_refused")
    cookie = phone.client.cookies[MEMBER_COOKIE]
    out = phone.delete("/api/v1/people/sessions/current")
    assert out.status_code == 200 and out.json() == {"signed_out": True}
    assert MEMBER_COOKIE not in phone.client.cookies
    phone.client.cookies.set(MEMBER_COOKIE, cookie)  # replayed after signing out
    assert_problem(phone.get("/api/v1/people/sessions/current"), 401, "unauthenticated")


def test_a_token_has_no_session_to_end(family: Family) -> None:
    refused = family.api.client.delete("/api/v1/people/sessions/current", headers=family.east)
    assert_problem(refused, 403, "forbidden")
    who = family.api.client.get("/api/v1/people/sessions/current", headers=family.east).json()
    assert who == {"role": "staff", "member": None, "station": "east", "acts_for": [],
                   "session": False, "csrf_token": None, "expires_at_ms": None}


def test_sign_in_answers_are_never_cached(family: Family) -> None:
    family.enrol("alice", ALICE_PIN, family.east)
    signed = family.phone().sign_in("alice", ALICE_PIN)
    assert signed.headers["cache-control"] == "no-store"
    invitation = family.api.client.post("/api/v1/members/bob/invitations",
                                        headers=family.east)
    assert invitation.headers["cache-control"] == "no-store"


def test_signing_in_again_on_one_browser_ends_the_earlier_session(family: Family) -> None:
    family.enrol("alice", ALICE_PIN, family.east)
    family.enrol("bob", "905817", family.east)
    tablet = family.signed_in("alice", ALICE_PIN)  # the station's shared tablet
    alices = tablet.client.cookies[MEMBER_COOKIE]
    assert tablet.sign_in("bob", "905817").status_code == 201
    assert tablet.client.cookies[MEMBER_COOKIE] != alices
    assert tablet.get("/api/v1/people/sessions/current").json()["member"] == "bob"
    tablet.client.cookies.set(MEMBER_COOKIE, alices)
    assert_problem(tablet.get("/api/v1/people/sessions/current"), 401, "unauthenticated")
