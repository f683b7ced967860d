"""Every endpoint × every role → the expected status, as one table.

A route missing from the table fails `test_every_route_is_in_the_matrix`, so a new endpoint
cannot ship without deciding who may call it. Every cell compares a digest of all tables before
and after its call: a refused request or a read writes nothing, and an allowed write does write.
A cell that must write runs on a fresh copy of the world; the reads and refusals of one endpoint
share one copy (tests/node/api/conftest.py `SharedWorlds`), which stays valid because each of
them checks that it wrote nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts

from node.clock import FakeClock
from protocol.links import sign_links
from tests.node.api.conftest import SharedWorlds, WorldTemplate, open_world
from tests.node.api.peer import deliver, payment_request
from tests.node.api.support import ROLES, World, assert_problem, db_digest
from tests.node.certificates import matrix as certificates_matrix
from tests.node.notify import matrix as notify_matrix
from tests.node.people import matrix as people_matrix
from tests.node.privacy import matrix as privacy_matrix
from tests.node.reconcile import matrix as reconcile_matrix
from tests.node.reports import matrix as reports_matrix
from tests.node.stations import matrix as stations_matrix
from tests.node.timebank import matrix as timebank_matrix
from tests.node.timebank import records_matrix
from tests.support import AUTHORITY, START_MS, directory_document

Endpoint = tuple[str, str]
Body = Callable[[World], dict[str, Any]] | None
ALICE = "/api/v1/members/alice"
PEER = "nj-gulou"
PEER_REQUEST = "req-from-nj-0001"  # a payment request nj-gulou sent to alice (SETUP)
INCOMING = f"/api/v1/payment-requests/incoming/{PEER}/{PEER_REQUEST}"
RELOCATION = {"id": "rel-alice", "to_node": PEER, "new_local_id": "alice"}
PAYMENT_REQUEST = {
    "id": "pr-alice", "payee": "alice", "payer": f"zoe@{PEER}", "amount_minutes": 30,
    "category": "health", "description": "a ride to the clinic",
}

# What each endpoint is called with. The subject is always alice (station east): member_self is
# alice, member_other is carol, staff_own works at east, staff_other at west.
REQUESTS: dict[Endpoint, tuple[str, Body]] = {
    ("GET", "/openapi.json"): ("/openapi.json", None),
    ("GET", "/docs"): ("/docs", None),
    ("GET", "/docs/oauth2-redirect"): ("/docs/oauth2-redirect", None),
    ("GET", "/healthz"): ("/healthz", None),
    ("GET", "/readyz"): ("/readyz", None),
    ("GET", "/federation/v1/keys"): ("/federation/v1/keys", None),
    ("GET", "/federation/v1/info"): ("/federation/v1/info", None),
    ("GET", "/federation/v1/directory"): ("/federation/v1/directory", None),
    ("POST", "/api/v1/members"): (
        "/api/v1/members",
        lambda w: {"local_id": "dora", "display_name": "Dora", "station": "east"},
    ),
    ("GET", "/api/v1/members"): ("/api/v1/members", None),
    ("GET", "/api/v1/members/{local_id}"): (ALICE, None),
    ("POST", "/api/v1/members/{local_id}/deactivate"): (
        f"{ALICE}/deactivate",
        lambda w: {"reason": "moved to a care home"},
    ),
    ("GET", "/api/v1/members/{local_id}/balance"): (f"{ALICE}/balance", None),
    ("PATCH", "/api/v1/members/{local_id}"): (
        ALICE, lambda w: {"birth_year": 1950, "reason": "papers seen"},
    ),
    ("GET", "/api/v1/members/{local_id}/changes"): (f"{ALICE}/changes", None),
    ("POST", "/api/v1/members/{local_id}/merge"): (
        f"{ALICE}/merge", lambda w: {"into": "bob", "reason": "registered twice"},
    ),
    ("GET", "/api/v1/members/{local_id}/statement"): (f"{ALICE}/statement", None),
    ("POST", "/api/v1/grants"): (
        "/api/v1/grants",
        lambda w: {
            "id": "g-new",
            "member": "alice",
            "amount_minutes": 30,
            "credit_class": "granted",
            "reason": "winter support",
        },
    ),
    ("GET", "/api/v1/grants/{grant_id}"): ("/api/v1/grants/g-alice", None),
    ("POST", "/api/v1/transfers"): (
        "/api/v1/transfers",
        lambda w: {"id": "t-new", "from": "alice", "to": "bob", "amount_minutes": 15},
    ),
    ("GET", "/api/v1/transfers/{transfer_id}"): ("/api/v1/transfers/t-ab", None),
    ("POST", "/api/v1/transfers/batch"): (
        "/api/v1/transfers/batch",
        lambda w: {"items": [{"id": "tb-new", "from": "alice", "to": "bob",
                              "amount_minutes": 15}]},
    ),
    ("POST", "/api/v1/ledger/checkpoints"): ("/api/v1/ledger/checkpoints", None),
    ("GET", "/api/v1/federation/links"): ("/api/v1/federation/links", None),
    ("POST", "/api/v1/federation/links/{peer}/unfreeze"): (
        "/api/v1/federation/links/nj-gulou/unfreeze", None,
    ),
    ("GET", "/api/v1/federation/link-map"): ("/api/v1/federation/link-map", None),
    ("GET", "/api/v1/federation/route"): (f"/api/v1/federation/route?to={PEER}", None),
    ("POST", "/api/v1/federation/directory/refresh"): (
        "/api/v1/federation/directory/refresh", None,
    ),
    ("GET", "/api/v1/ledger/checkpoints/latest"): ("/api/v1/ledger/checkpoints/latest", None),
    ("POST", "/api/v1/ledger/reversals"): (
        "/api/v1/ledger/reversals",
        lambda w: {"height": w.transfer_height, "reason": "entered twice"},
    ),
    ("POST", "/api/v1/members/{local_id}/relocation"): (
        f"{ALICE}/relocation", lambda w: {**RELOCATION, "id": "rel-new"},
    ),
    ("GET", "/api/v1/relocations/{relocation_id}"): ("/api/v1/relocations/rel-alice", None),
    ("POST", "/api/v1/payment-requests"): (
        "/api/v1/payment-requests", lambda w: {**PAYMENT_REQUEST, "id": "pr-new"},
    ),
    ("GET", "/api/v1/payment-requests/{request_id}"): ("/api/v1/payment-requests/pr-alice", None),
    ("GET", "/api/v1/members/{local_id}/payment-requests"): (f"{ALICE}/payment-requests", None),
    ("POST", "/api/v1/payment-requests/incoming/{payee_node}/{request_id}/approve"): (
        f"{INCOMING}/approve", None,
    ),
    ("POST", "/api/v1/payment-requests/incoming/{payee_node}/{request_id}/decline"): (
        f"{INCOMING}/decline", None,
    ),
}


def _admin_posts(path: str, body: dict[str, Any]) -> Callable[[World], None]:
    def setup(world: World) -> None:
        response = world.call("POST", path, "admin", body)
        assert response.status_code == 201, response.text
    return setup


def _peer_asks_alice_to_pay(world: World) -> None:
    now_ms = world.clock.now_ms()
    message = payment_request(request_id=PEER_REQUEST, payee=f"zoe@{PEER}",
                              payer="alice@sh-pudong", amount_minutes=30, now_ms=now_ms)
    response = deliver(world.api.client, sender=PEER, receiver="sh-pudong", messages=[message],
                       now_ms=now_ms)
    assert response.status_code == 200, response.text
    assert response.json()["messages"][0]["type"] == "message.ack"


def _newer_directory_published(world: World) -> None:
    """The node's directory_source holds serial 2: an allowed refresh stores it."""
    source = world.node.config.data_path / "directory.json"
    source.write_text(json.dumps(directory_document([world.node.config.node_id, PEER],
                                                    serial=2)))
    world.node.config = world.node.config.model_copy(update={"directory_source": str(source)})


def _link_map_held(world: World) -> None:
    """A link map signed for the world's directory: the node and its one peer, linked."""
    directory = world.node.federation.require_current()
    pair = sorted([world.node.config.node_id, PEER])
    body = {"hops_max": 1, "links": [
        {"a": pair[0], "b": pair[1], "a_cap_minutes": 60, "b_cap_minutes": 60}]}
    world.node.link_maps.accept(sign_links(body, authority=AUTHORITY, directory=directory,
                                           serial=1, issued_at_ms=START_MS))


# What a cell needs in place before it runs (done as admin, before the digest is taken).
SETUP: dict[Endpoint, Callable[[World], None]] = {
    ("GET", "/api/v1/relocations/{relocation_id}"): _admin_posts(f"{ALICE}/relocation",
                                                                 RELOCATION),
    ("GET", "/api/v1/payment-requests/{request_id}"): _admin_posts("/api/v1/payment-requests",
                                                                   PAYMENT_REQUEST),
    ("GET", "/api/v1/members/{local_id}/payment-requests"): _peer_asks_alice_to_pay,
    ("POST", "/api/v1/payment-requests/incoming/{payee_node}/{request_id}/approve"):
        _peer_asks_alice_to_pay,
    ("POST", "/api/v1/payment-requests/incoming/{payee_node}/{request_id}/decline"):
        _peer_asks_alice_to_pay,
    ("POST", "/api/v1/federation/directory/refresh"): _newer_directory_published,
    ("GET", "/api/v1/federation/link-map"): _link_map_held,
}

PUBLIC = (200, 200, 200, 200, 200, 200, 200, 200)
# Authenticated by the peer's signature, not by a token: tests/node/exchange covers them.
SIGNED: set[Endpoint] = {("POST", "/federation/v1/transactions")}
# fmt: off
MATRIX: dict[Endpoint, tuple[int, ...]] = {
    #                                               anon  bad  self other s-own s-oth admin reg
    ("GET", "/openapi.json"):                       PUBLIC,
    ("GET", "/docs"):                               PUBLIC,
    ("GET", "/docs/oauth2-redirect"):               PUBLIC,
    ("GET", "/healthz"):                            PUBLIC,
    ("GET", "/readyz"):                             PUBLIC,
    ("GET", "/federation/v1/keys"):                 PUBLIC,
    ("GET", "/federation/v1/info"):                 PUBLIC,
    ("GET", "/federation/v1/directory"):            PUBLIC,
    ("POST", "/api/v1/members"):                    (401, 401, 403, 403, 201, 403, 201, 403),
    ("GET", "/api/v1/members"):                     (401, 401, 403, 403, 200, 200, 200, 200),
    ("GET", "/api/v1/members/{local_id}"):          (401, 401, 200, 403, 200, 403, 200, 200),
    ("POST", "/api/v1/members/{local_id}/deactivate"): (401, 401, 403, 403, 200, 403, 200, 403),
    ("GET", "/api/v1/members/{local_id}/balance"):  (401, 401, 200, 403, 200, 403, 200, 200),
    ("PATCH", "/api/v1/members/{local_id}"):        (401, 401, 403, 403, 200, 403, 200, 403),
    ("GET", "/api/v1/members/{local_id}/changes"):  (401, 401, 200, 403, 200, 403, 200, 403),
    ("POST", "/api/v1/members/{local_id}/merge"):   (401, 401, 403, 403, 403, 403, 201, 403),
    ("GET", "/api/v1/members/{local_id}/statement"): (401, 401, 200, 403, 200, 403, 200, 200),
    ("POST", "/api/v1/grants"):                     (401, 401, 403, 403, 201, 403, 201, 403),
    ("GET", "/api/v1/grants/{grant_id}"):           (401, 401, 200, 403, 200, 403, 200, 200),
    ("POST", "/api/v1/transfers"):                  (401, 401, 201, 403, 201, 403, 201, 403),
    ("GET", "/api/v1/transfers/{transfer_id}"):     (401, 401, 200, 403, 200, 403, 200, 200),
    ("POST", "/api/v1/transfers/batch"):            (401, 401, 201, 403, 201, 403, 201, 403),
    ("POST", "/api/v1/ledger/checkpoints"):         (401, 401, 403, 403, 403, 403, 201, 403),
    ("GET", "/api/v1/ledger/checkpoints/latest"):   (401, 401, 403, 403, 403, 403, 200, 200),
    ("POST", "/api/v1/ledger/reversals"):           (401, 401, 403, 403, 403, 403, 201, 403),
    ("POST", "/api/v1/members/{local_id}/relocation"): (401, 401, 201, 403, 201, 403, 201, 403),
    ("GET", "/api/v1/relocations/{relocation_id}"): (401, 401, 200, 403, 200, 403, 200, 200),
    ("POST", "/api/v1/payment-requests"):           (401, 401, 201, 403, 201, 403, 201, 403),
    ("GET", "/api/v1/payment-requests/{request_id}"): (401, 401, 200, 403, 200, 403, 200, 200),
    ("GET", "/api/v1/members/{local_id}/payment-requests"):
                                                    (401, 401, 200, 403, 200, 403, 200, 200),
    ("POST", "/api/v1/payment-requests/incoming/{payee_node}/{request_id}/approve"):
                                                    (401, 401, 201, 403, 201, 403, 201, 403),
    ("POST", "/api/v1/payment-requests/incoming/{payee_node}/{request_id}/decline"):
                                                    (401, 401, 200, 403, 200, 403, 200, 403),
    ("GET", "/api/v1/federation/links"):            (401, 401, 403, 403, 403, 403, 200, 200),
    ("POST", "/api/v1/federation/links/{peer}/unfreeze"): (401, 401, 403, 403, 403, 403, 200, 403),
    ("POST", "/api/v1/federation/directory/refresh"): (401, 401, 403, 403, 403, 403, 200, 403),
    ("GET", "/api/v1/federation/link-map"):         (401, 401, 403, 403, 403, 403, 200, 200),
    ("GET", "/api/v1/federation/route"):            (401, 401, 403, 403, 403, 403, 200, 200),
}
# fmt: on
MATRIX.update(timebank_matrix.MATRIX)
REQUESTS.update(timebank_matrix.REQUESTS)
SETUP.update(timebank_matrix.SETUP)
MATRIX.update(reconcile_matrix.MATRIX)
REQUESTS.update(reconcile_matrix.REQUESTS)
SETUP.update(reconcile_matrix.SETUP)
SIGNED |= reconcile_matrix.SIGNED
MATRIX.update(reports_matrix.MATRIX)
REQUESTS.update(reports_matrix.REQUESTS)
SETUP.update(reports_matrix.SETUP)
MATRIX.update(notify_matrix.MATRIX)
REQUESTS.update(notify_matrix.REQUESTS)
SETUP.update(notify_matrix.SETUP)
MATRIX.update(people_matrix.MATRIX)
REQUESTS.update(people_matrix.REQUESTS)
SETUP.update(people_matrix.SETUP)
MATRIX.update(certificates_matrix.MATRIX)
REQUESTS.update(certificates_matrix.REQUESTS)
SETUP.update(certificates_matrix.SETUP)
MATRIX.update(privacy_matrix.MATRIX)
REQUESTS.update(privacy_matrix.REQUESTS)
SETUP.update(privacy_matrix.SETUP)
MATRIX.update(stations_matrix.MATRIX)
REQUESTS.update(stations_matrix.REQUESTS)
SETUP.update(stations_matrix.SETUP)
MATRIX.update(records_matrix.MATRIX)
REQUESTS.update(records_matrix.REQUESTS)
SETUP.update(records_matrix.SETUP)
# Authenticated by a code or a PIN, not a token: every role alike, the regulator included.
BY_SECRET: set[Endpoint] = set(people_matrix.BY_SECRET)
# Personal data the regulator does not read although it reads every ledger route.
NOT_FOR_REGULATOR: set[Endpoint] = (set(notify_matrix.NOT_FOR_REGULATOR)
                                     | timebank_matrix.NOT_FOR_REGULATOR
                                     | certificates_matrix.NOT_FOR_REGULATOR
                                     | privacy_matrix.NOT_FOR_REGULATOR
                                     | stations_matrix.NOT_FOR_REGULATOR
                                     | {("GET", "/api/v1/members/{local_id}/changes")})
# Every authenticated call, refused or not, leaves a row in tb_audit; the other tables follow
# the usual rule.
AUDITED: set[Endpoint] = (set(notify_matrix.AUDITED) | certificates_matrix.AUDITED
                          | records_matrix.AUDITED
                          | {("GET", "/api/v1/members/{local_id}/changes")})
CODE_BY_STATUS = {401: "unauthenticated", 403: "forbidden"}
CELLS = [(endpoint, role) for endpoint in MATRIX for role in ROLES]


def app_endpoints(world: World) -> set[Endpoint]:
    # FastAPI 0.16x keeps included routers as lazy `_IncludedRouter`s in app.routes;
    # iter_route_contexts flattens them the way the router and the OpenAPI generator do.
    # The web console's pages (/console) and the personal centre's (/me) sign in by session, not
    # bearer token; their role checks are tested in tests/node/console and tests/node/centre.
    return {
        (method, str(context.path))
        for context in iter_route_contexts(world.app.routes)
        for method in context.methods or ()
        if method != "HEAD" and not str(context.path).startswith("/console")
        and str(context.path).split("/")[1] != "me"
    }


def test_every_route_is_in_the_matrix(world: World) -> None:
    routes = app_endpoints(world)
    assert routes - SIGNED - MATRIX.keys() == set(), "add the new routes to MATRIX and REQUESTS"
    assert MATRIX.keys() - routes == set(), "MATRIX names routes the app no longer has"
    assert MATRIX.keys() == REQUESTS.keys()
    assert all(len(row) == len(ROLES) for row in MATRIX.values())


def test_regulator_reads_everything_and_writes_nothing() -> None:
    regulator = ROLES.index("regulator")
    for (method, path), row in MATRIX.items():
        if (method, path) in BY_SECRET:
            assert len(set(row)) == 1, (method, path)  # the token plays no part
            continue
        reads = method == "GET" and (method, path) not in NOT_FOR_REGULATOR
        assert row[regulator] == (200 if reads else 403), (method, path)


@pytest.mark.parametrize(("endpoint", "role"), CELLS, ids=[f"{m} {p} {r}" for (m, p), r in CELLS])
def test_cell(shared_worlds: SharedWorlds, world_template: WorldTemplate, tmp_path: Path,
              endpoint: Endpoint, role: str) -> None:
    method, _ = endpoint
    body = REQUESTS[endpoint][1]
    expected = MATRIX[endpoint][ROLES.index(role)]
    writes = method != "GET" and expected < 400
    if writes:  # a world of its own, closed after the cell
        world = open_world(world_template, tmp_path, FakeClock(START_MS))
        if endpoint in SETUP:
            SETUP[endpoint](world)
    else:  # reads and refusals share one per endpoint: each compares before and after
        world = shared_worlds.get(endpoint, SETUP.get(endpoint))
    try:
        _check_cell(world, endpoint, role, expected, body)
    finally:
        if writes:
            world.node.close()


def _check_cell(world: World, endpoint: Endpoint, role: str, expected: int, body: Body) -> None:
    method, path = endpoint[0], REQUESTS[endpoint][0]
    before = db_digest(world.node)

    response = world.call(method, path, role, body(world) if body else None)

    assert response.status_code == expected, response.text
    if expected >= 400:
        assert_problem(response, expected, CODE_BY_STATUS[expected])
    after = db_digest(world.node)
    if endpoint in privacy_matrix.ACCESS_LOGGED:  # personal data: node/privacy's access log
        logged = [after.pop(t) != before.pop(t) for t in ("access_log", "access_log_head")]
        assert logged == [privacy_matrix.logged(endpoint, role, expected)] * 2, \
            "an authenticated call was not access-logged (or her own read was)"
    if endpoint in AUDITED:
        audited = after.pop("tb_audit") != before.pop("tb_audit")
        assert audited == (expected != 401), "an authenticated call was not audited"
    wrote = after != before
    assert wrote == (method != "GET" and expected < 400), "unexpected write (or missing write)"


def test_staff_list_only_their_station(world: World) -> None:
    by_role = {
        role: [m["local_id"] for m in world.call("GET", "/api/v1/members", role).json()["items"]]
        for role in ("staff_own", "staff_other", "admin", "regulator")
    }
    assert by_role == {
        "staff_own": ["alice", "bob"],
        "staff_other": ["carol"],
        "admin": ["alice", "bob", "carol"],
        "regulator": ["alice", "bob", "carol"],
    }


def test_staff_register_members_only_for_their_station(world: World) -> None:
    body = {"local_id": "erik", "display_name": "Erik"}
    created = world.call("POST", "/api/v1/members", "staff_other", body)
    assert created.status_code == 201, created.text
    assert created.json()["station"] == "west"  # no station named: the staff member's own


def test_staff_may_not_grant_earned_hours(world: World) -> None:
    body = {
        "id": "g-earned",
        "member": "alice",
        "amount_minutes": 30,
        "credit_class": "earned",
        "reason": "paper records",
    }
    before = db_digest(world.node)
    assert_problem(world.call("POST", "/api/v1/grants", "staff_own", body), 403, "forbidden")
    assert db_digest(world.node) == before
    assert world.call("POST", "/api/v1/grants", "admin", body).status_code == 201
