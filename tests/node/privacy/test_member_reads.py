"""Every read of personal data through the API or the console is in the access log, checked by
enumeration: every GET route of the app under /api/v1/members/{local_id} and every console page
under /console/members/{local_id}, read by staff of the member's station (an `allowed` row) and
by staff of another station (refused, and a `refused` row). A route that logs nothing must be
named below with the reason, so a new route cannot ship unlogged without a decision.

Then the reads in between: lists (a row per member shown), duplicates, admins, the regulator,
a delegate, and the member herself (not logged: node/privacy/reads.py).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select

from node.access import Principal, Role
from node.db.schema import access_log
from node.privacy import access_log as log_module
from node.privacy import reads
from tests.conftest import Api
from tests.factories import ADMIN
from tests.node.console.support import fresh_client, log_in
from tests.node.privacy.support import REGULATOR, STAFF_EAST, log_rows, member, register

API_PREFIX = "/api/v1/members/{local_id}"
CONSOLE_PREFIX = "/console/members/{local_id}"
OWN, OTHER = "wang.fang", "zhao.lei"  # at lujiazui (the staff's station), at huamu
# Not personal data in the sense of the access log: the ledger, which the regulator audits
# and which names accounts and amounts, never a name, contact or care field.
LEDGER: dict[str, str] = {
    f"{API_PREFIX}/balance": "her balance by credit class: the ledger",
    f"{API_PREFIX}/statement": "the ledger's lines: heights, kinds, amounts, addresses",
    f"{API_PREFIX}/payment-requests": "requests to pay between nodes: amounts and addresses",
    f"{API_PREFIX}/visit-code": "a short-lived code for a visit, not data about her",
}
# Not logged, by decision (docs/decisions.md, "Access log of member reads"): whether she can
# sign in, and a certificate's record (ids and totals). Each still refuses another station's
# staff.
NOT_LOGGED: dict[str, str] = {
    f"{API_PREFIX}/credential": "whether she can sign in (node/people)",
    f"{API_PREFIX}/certificates/{{certificate_id}}": "a certificate (node/certificates)",
}
# No death is recorded for her: nothing shown, so no row (the refusal is still logged).
OWN_STATUS = {f"{API_PREFIX}/death": 404}


def _get_paths(app: FastAPI, prefix: str) -> list[str]:
    return sorted({str(c.path) for c in iter_route_contexts(app.routes)
                   if "GET" in (c.methods or ()) and str(c.path).startswith(prefix)})


def _rows_after(api: Api, seq: int) -> list[tuple[str, str, str]]:
    with api.node.db.read() as conn:
        return [(r.member_local_id, r.actor, r.result) for r in conn.execute(
            select(access_log).where(access_log.c.seq > seq).order_by(access_log.c.seq))]


def _last_seq(api: Api) -> int:
    with api.node.db.read() as conn:
        return max([r.seq for r in conn.execute(select(access_log.c.seq))], default=0)


def _world(api: Api) -> str:
    """Two members at two stations; the staff token of lujiazui."""
    for local_id, station in ((OWN, "lujiazui"), (OTHER, "huamu")):
        made = api.client.post("/api/v1/members", headers=api.admin, json={
            "local_id": local_id, "display_name": local_id, "station": station,
            "birth_year": 1948})
        assert made.status_code == 201, made.text
        # the home-visit contact is shown only with her consent (node/privacy/visit_contact.py)
        given = api.client.put(f"/api/v1/members/{local_id}/consents/home_visit_contact",
                               headers=api.admin, json={"given": True})
        assert given.status_code == 200, given.text
    return api.token("staff", Role.STAFF, station="lujiazui")


def _check_reads(api: Api, client: TestClient, paths: list[str],
                 headers: dict[str, str] | None = None) -> list[str]:
    """Every path read for OWN (allowed, logged) and OTHER (refused, logged), by the staff of
    lujiazui; the paths that logged nothing for OWN."""
    unlogged = []
    for path in paths:
        seq = _last_seq(api)
        own = client.get(path.replace("{local_id}", OWN), headers=headers)
        assert own.status_code == OWN_STATUS.get(path, 200), (path, own.status_code)
        rows = _rows_after(api, seq)
        if not rows and own.status_code == 200:
            unlogged.append(path)
        assert {(who, result) for who, _, result in rows} <= {(OWN, "allowed")}, (path, rows)
        assert all(actor.startswith("staff:lujiazui:") for _, actor, _ in rows), rows
        seq = _last_seq(api)
        other = client.get(path.replace("{local_id}", OTHER), headers=headers)
        assert other.status_code == 403, (path, other.status_code)
        refused = [(who, result) for who, _, result in _rows_after(api, seq)]
        assert refused == ([] if path in unlogged else [(OTHER, "refused")]), (path, refused)
    return unlogged


def test_every_api_read_of_a_member_is_logged_or_named(api: Api) -> None:
    token = _world(api)
    app = api.client.app
    assert isinstance(app, FastAPI)
    paths = _get_paths(app, API_PREFIX)
    assert len(paths) >= 15
    named = LEDGER.keys() | NOT_LOGGED.keys()
    assert named <= set(paths), "a named route is gone: drop it from the lists"
    checked = [p for p in paths if "{certificate_id}" not in p]
    headers = api.headers(token)
    unlogged = _check_reads(api, api.client, checked, headers)
    assert set(unlogged) == named - {f"{API_PREFIX}/certificates/{{certificate_id}}"}
    assert f"{API_PREFIX}/contacts" not in unlogged  # injected from node/runtime.py
    with api.node.db.read() as conn:
        assert log_module.verify(conn).ok


def test_every_console_page_of_a_member_is_logged(api: Api) -> None:
    token = _world(api)
    app = api.client.app
    assert isinstance(app, FastAPI)
    paths = _get_paths(app, CONSOLE_PREFIX)
    assert {CONSOLE_PREFIX, f"{CONSOLE_PREFIX}/privacy", f"{CONSOLE_PREFIX}/contacts"} <= set(
        paths)
    browser = fresh_client(api)
    assert log_in(browser, token).status_code == 303
    assert _check_reads(api, browser, paths) == []


def test_lists_log_a_row_per_member_shown(api: Api) -> None:
    token = _world(api)
    register(api.node, "li.ming", name="李明", station="lujiazui")
    seq = _last_seq(api)
    listed = api.client.get("/api/v1/members", headers=api.headers(token))
    assert [m["local_id"] for m in listed.json()["items"]] == ["li.ming", OWN]
    rows = _rows_after(api, seq)
    assert [(who, result) for who, _, result in rows] == [("li.ming", "allowed"),
                                                          (OWN, "allowed")]
    assert {actor for _, actor, _ in rows} == {f"staff:lujiazui:{_token_id(token)}"}
    seq = _last_seq(api)
    api.node.members.list(REGULATOR, after=None, limit=10, search="zhao")
    assert _rows_after(api, seq) == [(OTHER, REGULATOR.actor, "allowed")]
    api.node.members.create(ADMIN, local_id="drifter", display_name="Drifter", station=None,
                            birth_year=None)  # as an arrival by relocation: no station yet
    seq = _last_seq(api)
    assert [m.local_id for m in api.node.member_edits.unplaced(ADMIN, after=None, limit=10)
            ] == ["drifter"]
    assert _rows_after(api, seq) == [("drifter", ADMIN.actor, "allowed")]


def _token_id(token: str) -> str:
    """The id part of a token `hb_<id>_<secret>`: how its principal signs."""
    return token.split("_")[1]


def test_duplicates_shown_are_logged(api: Api) -> None:
    _world(api)
    staff = Principal(Role.STAFF, "s1", station="lujiazui")
    seq = _last_seq(api)
    again = api.node.members.create(staff, local_id="wang.fang2", display_name="wang.fang",
                                    station=None, birth_year=1948)
    assert [d.local_id for d in api.node.member_edits.duplicates(staff, again)] == [OWN]
    assert _rows_after(api, seq) == [(OWN, staff.actor, "allowed")]


def test_who_is_logged_reading_a_record(api: Api) -> None:
    register(api.node, "ann", name="Ann", station="east")
    son = Principal(Role.MEMBER, "tok-son", member_local_id="son", acts_for=frozenset({"ann"}))
    for principal in (ADMIN, REGULATOR, STAFF_EAST, son, member("ann")):
        assert api.node.members.get(principal, "ann").display_name == "Ann"
    rows = [(actor, result) for actor, _, _, result in log_rows(api.node, "ann")]
    assert rows == [(ADMIN.actor, "allowed"), (REGULATOR.actor, "allowed"),
                    (STAFF_EAST.actor, "allowed"), (son.actor, "allowed")]  # not hers
    assert log_rows(api.node, "ann")[0][2] == ",".join(reads.RECORD_FIELDS)
