"""The personal centre's authorization matrix: every /me route × every kind of caller → what
happens, as one table (tests/node/api/test_authorization_matrix.py is the API's).

The subject is always alice (82, station east, 12 h 30 min of hours). The callers:

    out        nobody signed in
    alice      alice herself, on her own centre
    sam        her son and delegate, with `for=alice` (how his pages link to hers)
    carol      nobody to her, on her own centre: where a route names one of alice's records
               by id (a request, a transfer, a message), carol asks for that id
    carol_for  carol again, trying `for=alice` on every route
    chen       a volunteer who took alice's request (where a cell needs one), on his centre

A route of the app missing from the table fails `test_every_centre_route_is_in_the_matrix`, so
a new page cannot ship without deciding who may open it: add ONE line to MATRIX. A cell that
must write runs on a fresh copy of the world (conftest.py's `home`, built once per module and
copied); the reads and refusals of one route share one copy. Every cell compares a digest of all
tables before and after (tests/node/api/support.db_digest): a GET, a refusal or a signed-out form
writes nothing; an accepted form (303 from a signed-in caller) writes. A refusal shows its
stable code (`data-code`) on the page. A page shown to alice or sam holds alice's data; one
shown to carol or chen never holds alice's name, number or balance.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select

from node.access import Role
from node.clock import FakeClock
from node.db.schema import notifications
from tests.conftest import Api
from tests.node.api.support import db_digest
from tests.node.centre.conftest import CAROL_PIN, CHEN_PIN, Home, make_home, serve
from tests.node.centre.support import Phone, csrf_of
from tests.node.centre.test_bank import donated, redeemed, with_goods
from tests.node.centre.test_home import text_of
from tests.node.centre.test_move import bob_moves
from tests.node.centre.test_scan import scan_path
from tests.node.people.support import ALICE_PIN, SAM_PIN, Family, make_family
from tests.support import START_MS, build_node, make_config

Endpoint = tuple[str, str]
Setup = Callable[[Home], None]
CALLERS = ("out", "alice", "sam", "carol", "carol_for", "chen")
PINS = {"alice": ALICE_PIN, "sam": SAM_PIN, "carol": CAROL_PIN, "carol_for": CAROL_PIN,
        "chen": CHEN_PIN}
FOR_ALICE = frozenset({"sam", "carol_for"})
REQUEST = "r-m"  # alice's service request, in the state a cell's setup puts it


# -- one world, built once, copied for every cell -------------------------------------------------

@dataclass(frozen=True)
class Template:
    """conftest's `home` world, built once per module (PIN hashing and migrations are slow):
    its data folder, closed, and what the test objects held."""

    data: Path
    now_ms: int
    tokens: dict[str, str]
    east: dict[str, str]
    west: dict[str, str]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    clock = FakeClock(START_MS)
    data = tmp_path_factory.mktemp("centre-matrix") / "sh-pudong"
    node = build_node(make_config(data, "sh-pudong"), clock, bootstrap=True)
    try:
        api = Api(node)
        made = make_home(make_family(api, clock), api, clock)
        return Template(data=data, now_ms=clock.now_ms(), tokens=dict(api.tokens),
                        east=made.family.east, west=made.family.west)
    finally:
        node.close()


def open_home(template: Template, folder: Path) -> Home:
    """A copy of the template's world in `folder`: its own files, node and clock."""
    data = folder / "sh-pudong"
    shutil.copytree(template.data, data)
    clock = FakeClock(template.now_ms)
    node = build_node(make_config(data, "sh-pudong"), clock, bootstrap=False)
    api = Api(node)
    api.tokens.update(template.tokens)
    family = Family(api=api, clock=clock, east=template.east, west=template.west)
    return Home(family=family, api=api, clock=clock)


@pytest.fixture
def home(template: Template, tmp_path: Path) -> Iterator[Home]:
    """A fresh copy of the template's world for one test."""
    opened = open_home(template, tmp_path)
    yield opened
    opened.api.node.close()


@pytest.fixture(scope="module")
def shared_homes(template: Template,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Endpoint, Home]]:
    """One world per endpoint for the cells that must write nothing (see test_cell)."""
    homes: dict[Endpoint, Home] = {}
    yield homes
    for opened in homes.values():
        opened.api.node.close()


# -- the worlds a cell may need ----------------------------------------------------------------

def _api_post(home: Home, path: str, headers: dict[str, str], body: dict[str, Any] | None
              ) -> dict[str, Any]:
    response = home.api.client.post(path, headers=headers, json=body)
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


def _member(home: Home, local_id: str) -> dict[str, str]:
    return home.api.headers(home.api.token(local_id, Role.MEMBER, member_local_id=local_id))


def open_need(home: Home) -> None:
    _api_post(home, "/api/v1/service-requests", home.family.east, {
        "id": REQUEST, "recipient": "alice", "category": "daily_living"})


def carols_need(home: Home) -> None:
    """An open request of carol's, for alice (or whoever acts for her) to take."""
    _api_post(home, "/api/v1/service-requests", home.family.west, {
        "id": REQUEST, "recipient": "carol", "category": "daily_living"})


def taken(home: Home) -> None:
    """alice's request taken by chen, and her visit code made."""
    open_need(home)
    _api_post(home, f"/api/v1/service-requests/{REQUEST}/accept", _member(home, "chen"),
              {"volunteer": "chen"})
    _api_post(home, "/api/v1/members/alice/visit-code", home.api.admin, None)


def arrived(home: Home) -> None:
    taken(home)
    _api_post(home, f"/api/v1/service-requests/{REQUEST}/check-in", home.family.east, None)


def done(home: Home) -> None:
    """chen's visit to alice is over; its payment is held until she confirms."""
    serve(home, REQUEST, minutes=60, confirm=False)


def transfer(home: Home) -> None:
    _api_post(home, "/api/v1/transfers", _member(home, "alice"), {
        "id": "t-1", "from": "alice", "to": "sam", "amount_minutes": 30})


def alices_code(home: Home) -> str:
    return str(home.api.client.get("/api/v1/members/alice/visit-code",
                                   headers=home.api.admin).json()["code"])


def alices_note(home: Home) -> str:
    """Her newest notification's form, found in the database: any read through the API would
    write (a staff read is a row of the access log, a new token a row of its own)."""
    with home.api.node.db.read() as conn:
        newest = conn.execute(select(func.max(notifications.c.id)).where(
            notifications.c.member_local_id == "alice")).scalar_one()
    assert newest is not None, "alice has no notification"
    return f"/me/notifications/{newest}/read"


# -- the table -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Call:
    """How a cell calls its route: the path (or how to make it from the world), the query, the
    form's fields (POST; the caller's CSRF secret and `for` are added), and the world's setup."""

    path: str | Callable[[Home], str]
    query: str = ""
    form: dict[str, str] | Callable[[Home], dict[str, str]] = field(default_factory=dict)
    setup: Setup | None = None
    mark: str = ""  # what alice's view of a shown page holds (her data), if anything


OK, NO, LOGIN, GO = "200", "403 forbidden", "303 login", "303"
CSRF, SAME, NOTE = "403 csrf_refused", "422 same_account", "404 notification_not_found"
GONE, KIN, BAD = "404 delegate_not_found", "422 delegate_not_kin", "422 validation_failed"
Row = tuple[Call, str, str, str, str, str, str]
SEND = {"id": "centre-send-m1", "to": "sam", "hours": "0", "minutes": "30"}
POOR, MOVE_TO = "422 insufficient_funds", "to_node=nj-gulou&new_local_id=wang.fang"
NEED = {"id": "centre-need-m1", "service": "category:daily_living", "description": "买菜"}

# fmt: off
MATRIX: dict[Endpoint, Row] = {
    # endpoint: (call,                                out, alice, sam, carol, carol_for, chen)
    ("GET", "/me/activate"): (Call("/me/activate"),              OK, OK, OK, OK, OK, OK),
    ("POST", "/me/activate"): (Call("/me/activate"),             *(CSRF,) * len(CALLERS)),
    ("GET", "/me/login"): (Call("/me/login"),                    OK, OK, OK, OK, OK, OK),
    ("POST", "/me/login"): (Call("/me/login"),                   *(CSRF,) * len(CALLERS)),
    ("POST", "/me/logout"): (Call("/me/logout"),                 LOGIN, GO, GO, GO, GO, GO),
    ("GET", "/me/lang"): (Call("/me/lang", "to=en&next=/me"),    GO, GO, GO, GO, GO, GO),
    ("GET", "/me/size"): (Call("/me/size", "to=big&next=/me"),   GO, GO, GO, GO, GO, GO),
    ("GET", "/me/static/centre.css"): (Call("/me/static/centre.css"), OK, OK, OK, OK, OK, OK),
    ("GET", "/me"): (Call("/me", mark="12 小时 30 分"),           LOGIN, OK, OK, OK, NO, OK),
    ("GET", "/me/send"): (Call("/me/send", mark="Sam"),          LOGIN, OK, OK, OK, NO, OK),
    ("POST", "/me/send"): (Call("/me/send", form=SEND),          LOGIN, GO, GO, POOR, NO, POOR),
    ("GET", "/me/transfers/{transfer_id}"): (
        Call("/me/transfers/t-1", setup=transfer, mark="30 分"), LOGIN, OK, OK, NO, NO, NO),
    ("GET", "/me/notifications"): (Call("/me/notifications"),    LOGIN, OK, OK, OK, NO, OK),
    ("POST", "/me/notifications/{notification_id}/read"): (Call(alices_note, setup=arrived),
                                                                 LOGIN, GO, GO, NOTE, NO, NOTE),
    ("GET", "/me/needs"): (Call("/me/needs", setup=open_need, mark="生活照料"),
                                                                 LOGIN, OK, OK, OK, NO, OK),
    ("GET", "/me/needs/new"): (Call("/me/needs/new"),            LOGIN, OK, OK, OK, NO, OK),
    ("POST", "/me/needs/new"): (Call("/me/needs/new", form=NEED), LOGIN, GO, GO, GO, NO, GO),
    ("GET", "/me/needs/{request_id}"): (
        Call(f"/me/needs/{REQUEST}", setup=taken, mark="生活照料"), LOGIN, OK, OK, NO, NO, NO),
    ("POST", "/me/needs/{request_id}/confirm"): (
        Call(f"/me/needs/{REQUEST}/confirm", form={"rating": "5", "comment": ""}, setup=done),
                                                                 LOGIN, GO, GO, NO, NO, NO),
    ("POST", "/me/needs/{request_id}/complaint"): (
        Call(f"/me/needs/{REQUEST}/complaint", form={"reason": "没有来"}, setup=done),
                                                                 LOGIN, GO, GO, NO, NO, NO),
    ("GET", "/me/rates"): (Call("/me/rates"),                    LOGIN, OK, OK, OK, NO, OK),
    ("GET", "/me/volunteer"): (Call("/me/volunteer"),            LOGIN, OK, OK, OK, NO, OK),
    ("POST", "/me/volunteer/take"): (Call("/me/volunteer/take", form={"request": REQUEST},
                                          setup=carols_need),    LOGIN, GO, GO, SAME, NO, GO),
    ("GET", "/me/volunteer/{request_id}/check-in"): (
        Call(f"/me/volunteer/{REQUEST}/check-in", setup=taken),  LOGIN, OK, OK, OK, NO, OK),
    ("POST", "/me/volunteer/{request_id}/check-in"): (
        Call(f"/me/volunteer/{REQUEST}/check-in", form=lambda h: {"code": alices_code(h)},
             setup=taken),                                       LOGIN, NO, NO, NO, NO, GO),
    ("POST", "/me/volunteer/{request_id}/check-out"): (
        Call(f"/me/volunteer/{REQUEST}/check-out", setup=arrived), LOGIN, NO, NO, NO, NO, GO),
    ("GET", "/me/visit-code"): (Call("/me/visit-code", setup=taken, mark="第 1 张"),
                                                                 LOGIN, OK, OK, OK, NO, OK),
    ("POST", "/me/visit-code"): (Call("/me/visit-code"),         LOGIN, GO, GO, GO, NO, GO),
    # node/centre/pages_certificate.py: each member's own certificate, or a delegate's for her
    ("GET", "/me/certificate"): (Call("/me/certificate"),       LOGIN, OK, OK, OK, NO, OK),
    ("POST", "/me/certificate"): (Call("/me/certificate"),      LOGIN, GO, GO, GO, NO, GO),
    ("GET", "/me/scan"): (Call(lambda h: scan_path(h, alices_code(h)), setup=taken),
                                                                 LOGIN, GO, GO, GO, NO, OK),
    ("GET", "/me/goods"): (Call("/me/goods", mark="12 小时 30 分"),  LOGIN, OK, OK, OK, NO, OK),
    ("POST", "/me/goods"): (
        Call("/me/goods", form={"id": "centre-goods-m1", "goods": "rice", "quantity": "1"},
             setup=with_goods),                                  LOGIN, GO, GO, POOR, NO, POOR),
    ("GET", "/me/redemptions/{redemption_id}"): (
        Call("/me/redemptions/rd-m", setup=redeemed, mark="1 小时"), LOGIN, OK, OK, NO, NO, NO),
    ("GET", "/me/donate"): (Call("/me/donate", mark="12 小时 30 分"), LOGIN, OK, OK, OK, NO, OK),
    ("POST", "/me/donate"): (Call("/me/donate", form={"id": "centre-donate-m1", "hours": "1"}),
                                                                 LOGIN, GO, GO, POOR, NO, POOR),
    ("GET", "/me/donations/{donation_id}"): (
        Call("/me/donations/dn-m", setup=donated, mark="30 分"),  LOGIN, OK, OK, NO, NO, NO),
    ("GET", "/me/move"): (Call("/me/move", mark="nj-gulou"),     LOGIN, OK, OK, OK, NO, OK),
    ("GET", "/me/move/check"): (Call("/me/move/check", MOVE_TO, mark="12 小时 30 分"),
                                                                 LOGIN, OK, OK, OK, NO, OK),
    ("POST", "/me/move"): (Call("/me/move", form={"id": "centre-move-m1", "to_node": "nj-gulou",
                                                  "new_local_id": "wang.fang"}),
                                                                 LOGIN, GO, NO, GO, NO, GO),
    ("GET", "/me/moved"): (Call("/me/moved", MOVE_TO),           OK, OK, OK, OK, OK, OK),
    ("GET", "/me/moves/{relocation_id}"): (Call("/me/moves/move-m", setup=bob_moves),
                                                                 LOGIN, NO, NO, NO, NO, NO),
    # node/centre/pages_family.py
    ("GET", "/me/family"): (Call("/me/family", mark="Sam"),      LOGIN, OK, OK, OK, NO, OK),
    ("GET", "/me/family/grant"): (Call("/me/family/grant", "delegate=chen"),
                                                                 LOGIN, OK, OK, OK, NO, OK),
    ("POST", "/me/family/grant"): (Call("/me/family/grant", form={"delegate": "chen"}),
                                                                 LOGIN, KIN, NO, KIN, NO, BAD),
    ("GET", "/me/family/end"): (Call("/me/family/end", "delegate=sam"),
                                                                 LOGIN, OK, OK, GONE, NO, GONE),
    ("POST", "/me/family/end"): (Call("/me/family/end", form={"delegate": "sam"}),
                                                                 LOGIN, GO, GO, GONE, NO, GONE),
    # Leaving is about the caller's own grant (`member` is whom he stops acting for): no `for`.
    ("GET", "/me/family/leave"): (Call("/me/family/leave", "member=alice"),
                                                                 LOGIN, GONE, OK, GONE, GONE, GONE),
    ("POST", "/me/family/leave"): (Call("/me/family/leave", form={"member": "alice"}),
                                                                 LOGIN, GONE, GO, GONE, GONE, GONE),
    ("GET", "/me/contacts"): (Call("/me/contacts"),              LOGIN, OK, OK, OK, NO, OK),
    ("POST", "/me/contacts"): (Call("/me/contacts", form={"email": "a@example.com"}),
                                                                 LOGIN, GO, GO, GO, NO, GO),
    # Her personal data (node/privacy): every signed-in call is in the access log (LOGGED).
    ("GET", "/me/privacy"): (Call("/me/privacy"),                LOGIN, OK, OK, OK, NO, OK),
    ("POST", "/me/privacy"): (Call("/me/privacy", form={"phone": "13800001111"}),
                                                                 LOGIN, GO, GO, GO, NO, GO),
    ("POST", "/me/privacy/consents/{purpose}"): (
        Call("/me/privacy/consents/notices", form={"given": "yes", "guardian_name": "Ann"}),
                                                                 LOGIN, GO, GO, GO, NO, GO),
    ("GET", "/me/privacy/export"): (Call("/me/privacy/export"),  LOGIN, OK, OK, OK, NO, OK),
    ("GET", "/me/privacy/export.json"): (Call("/me/privacy/export.json"),
                                                                 LOGIN, OK, OK, OK, NO, OK),
}
# fmt: on
# Her contacts are personal data: every signed-in call, refused or not, leaves an audit row
# (node.notify's contacts, as tests/node/notify/matrix.py's AUDITED); other tables as usual.
AUDITED: set[Endpoint] = {("GET", "/me/contacts"), ("POST", "/me/contacts"),
                          ("POST", "/me/certificate")}  # issued or refused: certificates audit
LOGGED: set[Endpoint] = {endpoint for endpoint in MATRIX if endpoint[1].startswith("/me/privacy")}
CELLS = [(endpoint, caller) for endpoint in MATRIX for caller in CALLERS]


def centre_endpoints(app: FastAPI) -> set[Endpoint]:
    return {(method, str(context.path)) for context in iter_route_contexts(app.routes)
            for method in context.methods or ()
            if method != "HEAD" and str(context.path).split("/")[1] == "me"}


def test_every_centre_route_is_in_the_matrix(home: Home) -> None:
    routes = centre_endpoints(home.family.app)
    assert routes - MATRIX.keys() == set(), "add the new /me routes to MATRIX (one line each)"
    assert MATRIX.keys() - routes == set(), "MATRIX names routes the app no longer has"
    assert all(len(row) == len(CALLERS) + 1 for row in MATRIX.values())


def test_nobody_but_her_and_her_delegate_opens_her_centre_by_for() -> None:
    """`for=alice` from carol is refused on every page that has a session (the rule of
    node.access.speaks_for, seen from the centre)."""
    carol_for = CALLERS.index("carol_for") + 1
    sessionless = {("GET", "/me/activate"), ("POST", "/me/activate"), ("GET", "/me/login"),
                   ("GET", "/me/moved"),
                   ("POST", "/me/login"), ("POST", "/me/logout"), ("GET", "/me/lang"),
                   ("GET", "/me/size"), ("GET", "/me/static/centre.css"),
                   # not by `for`: these end the caller's own grant
                   ("GET", "/me/family/leave"), ("POST", "/me/family/leave")}
    for endpoint, row in MATRIX.items():
        if endpoint not in sessionless:
            assert row[carol_for] == NO, endpoint


def _phone(home: Home, caller: str) -> Phone:
    return home.phone() if caller == "out" else home.signed_in(caller.split("_")[0],
                                                                PINS[caller])


def _call(home: Home, phone: Phone, caller: str, method: str, call: Call) -> httpx.Response:
    path = call.path if isinstance(call.path, str) else call.path(home)
    for_alice = {"for": "alice"} if caller in FOR_ALICE else {}
    if method == "GET":
        query = "&".join(part for part in (path.partition("?")[2], call.query,
                                           "for=alice" if for_alice else "") if part)
        return phone.get(f"{path.partition('?')[0]}{'?' if query else ''}{query}")
    form = call.form if isinstance(call.form, dict) else call.form(home)
    # Signed out, the form carries an empty secret (a form from anywhere but this session).
    secret = {"csrf": "" if caller == "out" else csrf_of(phone.get("/me").text)}
    return phone.client.post(path, data={**secret, **form, **for_alice})


def _check_data(caller: str, call: Call, page: str) -> None:
    words = text_of(page)
    if caller in ("alice", "sam") and call.mark:
        assert call.mark in words, (caller, call.mark)
    if caller == "sam" and 'action="/me/logout"' in page:
        assert "Alice" in words  # the banner: whose centre he acts in
    if caller in ("carol", "carol_for", "chen"):
        assert "Alice" not in page and "12 小时" not in words, caller
        assert not re.search(r"(?<![\w.])alice(?![\w])", words, re.I), caller


def _check_outcome(response: httpx.Response, expected: str, method: str) -> None:
    status, _, code = expected.partition(" ")
    assert response.status_code == int(status), (response.status_code,
                                                 re.findall(r'data-code="(\w+)"', response.text),
                                                 response.headers.get("location"))
    if code == "login":
        location = response.headers["location"]
        assert location.startswith("/me/login?next=" if method == "GET" else
                                   "/me/login?expired=1"), location
    elif code:
        assert f'data-code="{code}"' in response.text, response.text


@pytest.mark.parametrize(("endpoint", "caller"), CELLS,
                         ids=[f"{m} {p} {c}" for (m, p), c in CELLS])
def test_cell(template: Template, shared_homes: dict[Endpoint, Home], tmp_path: Path,
              endpoint: Endpoint, caller: str) -> None:
    """A cell that must write (an accepted form) runs on a fresh copy of the world; the reads
    and refusals of one endpoint share one copy, which stays valid because each of them checks
    that it wrote nothing."""
    method, _ = endpoint
    call, *row = MATRIX[endpoint]
    expected = row[CALLERS.index(caller)]
    writes = method == "POST" and caller != "out" and expected.split(" ")[0] == GO
    if writes or endpoint not in shared_homes:
        home = open_home(template, tmp_path if writes else tmp_path / "shared")
        if call.setup is not None:
            call.setup(home)
        if not writes:
            shared_homes[endpoint] = home
    home = home if writes else shared_homes[endpoint]
    try:
        _check_cell(home, endpoint, caller, expected)
    finally:
        if writes:
            home.api.node.close()


def _check_cell(home: Home, endpoint: Endpoint, caller: str, expected: str) -> None:
    method, _ = endpoint
    call = MATRIX[endpoint][0]
    phone = _phone(home, caller)
    before = db_digest(home.api.node)

    response = _call(home, phone, caller, method, call)

    _check_outcome(response, expected, method)
    if response.status_code == 200 and "text/html" in response.headers["content-type"]:
        _check_data(caller, call, response.text)
    after = db_digest(home.api.node)
    if endpoint in AUDITED:
        audited = after.pop("tb_audit") != before.pop("tb_audit")
        assert audited == (caller != "out"), "a signed-in call was not audited"
    if endpoint in LOGGED:
        logged = [after.pop(t) != before.pop(t) for t in ("access_log", "access_log_head")]
        assert logged == [caller != "out"] * 2, "a signed-in call was not access-logged"
    if caller in FOR_ALICE and endpoint not in LOGGED:
        # A delegate's read of alice's record, allowed (sam) or refused (carol), is a row of
        # the access log (node/privacy/reads.py); her own reads are not.
        for table in ("access_log", "access_log_head"):
            after.pop(table), before.pop(table)
    wrote = after != before
    writes = method == "POST" and caller != "out" and response.status_code == 303
    assert wrote == writes, "unexpected write (or missing write)"
