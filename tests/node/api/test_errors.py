"""Every error is RFC 9457 problem+json with a stable `code`, never a 500, and a refused request
writes nothing. Schema violations are in test_validation.py, body limits in test_body_limit.py."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect

from node.access import Role
from node.db.schema import metadata
from node.services.tokens import TokenService
from tests.conftest import Api
from tests.node.api.support import UNKNOWN_TOKEN, World, assert_problem, writes_nothing

TRANSFER = {"id": "t-err", "from": "alice", "to": "bob", "amount_minutes": 30}
GRANT = {
    "id": "g-err",
    "member": "alice",
    "amount_minutes": 30,
    "credit_class": "granted",
    "reason": "care plan",
}


def test_digest_covers_every_table(world: World) -> None:
    with world.node.db.read() as conn:
        stored = set(inspect(conn).get_table_names()) - {"alembic_version"}
    assert stored == set(metadata.tables)


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v2/members", "/", "/api/v1/members/a/b/c"])
@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_unknown_route(world: World, path: str, role: str) -> None:
    assert_problem(world.call("GET", path, role), 404, "route_not_found")


WRONG_METHODS = [
    ("DELETE", "/api/v1/members", "GET, POST"),
    ("PUT", "/api/v1/transfers/t-ab", "GET"),
    ("GET", "/api/v1/ledger/reversals", "POST"),
    ("POST", "/healthz", "GET"),
    ("PUT", "/api/v1/members/alice", "GET, PATCH"),  # a record is corrected by PATCH
]


@pytest.mark.parametrize(("method", "path", "allow"), WRONG_METHODS)
def test_wrong_method(world: World, method: str, path: str, allow: str) -> None:
    with writes_nothing(world.node):
        assert_problem(world.call(method, path, "admin"), 405, "method_not_allowed")


@pytest.mark.parametrize(("method", "path", "allow"), WRONG_METHODS)
def test_wrong_method_names_the_allowed_ones(
    world: World, method: str, path: str, allow: str
) -> None:
    # RFC 9110 §15.5.6: a 405 response MUST carry an Allow header. (Starlette names the methods
    # of the first route matching the path, so only a non-empty subset is required.)
    response = world.call(method, path, "admin")
    allowed = {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}
    assert allowed and allowed <= set(allow.split(", ")), dict(response.headers)


MALFORMED = [
    pytest.param(b"{", id="truncated"),
    pytest.param(b'{"id": "t-err",}', id="trailing-comma"),
    pytest.param(b"{'id': 't-err'}", id="single-quotes"),
    pytest.param(b'{"id": "t-err"} {}', id="trailing-data"),
    pytest.param(b'{"id": "t-\xff"}', id="invalid-utf8"),
    pytest.param(b'{"amount_minutes": ' + b"9" * 5000 + b"}", id="int-too-long-to-parse"),
]


@pytest.mark.parametrize("raw", MALFORMED)
def test_malformed_json(world: World, raw: bytes) -> None:
    headers = {**world.headers["admin"], "content-type": "application/json"}
    with writes_nothing(world.node):
        response = world.api.client.post("/api/v1/transfers", content=raw, headers=headers)
    assert_problem(response, 400, "malformed_json")


BAD_CREDENTIALS = [
    pytest.param({}, id="none"),
    pytest.param({"Authorization": "Basic YWRtaW46YWRtaW4="}, id="basic-scheme"),
    pytest.param({"Authorization": "Bearer"}, id="bearer-without-token"),
    pytest.param({"Authorization": "Bearer not-a-token"}, id="malformed"),
    pytest.param({"Authorization": f"Bearer {UNKNOWN_TOKEN}"}, id="unknown"),
    pytest.param({"Authorization": "Bearer hb_" + "x" * 300}, id="over-long"),
]


@pytest.mark.parametrize("headers", BAD_CREDENTIALS)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/members/alice", None),
        ("POST", "/api/v1/transfers", TRANSFER),
    ],
)
def test_unauthenticated(
    world: World, headers: dict[str, str], method: str, path: str, body: Any
) -> None:
    with writes_nothing(world.node):
        response = world.api.client.request(method, path, json=body, headers=headers)
    assert_problem(response, 401, "unauthenticated")


def test_revoked_token_is_unauthenticated(world: World) -> None:
    issued = world.node.tokens.create(role=Role.ADMIN, label="leaving")
    headers = world.api.headers(issued.token)
    assert world.api.client.get("/api/v1/members", headers=headers).status_code == 200
    world.node.tokens.revoke(issued.token_id)
    with writes_nothing(world.node):
        response = world.api.client.post("/api/v1/transfers", json=TRANSFER, headers=headers)
    assert_problem(response, 401, "unauthenticated")


def test_revocation_by_another_process_takes_effect(world: World) -> None:
    # The CLI revokes through its own TokenService; the serving node may remember the token
    # for a short while, but not for ten minutes.
    issued = world.node.tokens.create(role=Role.ADMIN, label="cli-revoked")
    headers = world.api.headers(issued.token)
    assert world.api.client.get("/api/v1/members", headers=headers).status_code == 200
    TokenService(world.node.db, world.clock).revoke(issued.token_id)
    world.clock.advance(600_000)
    with writes_nothing(world.node):
        response = world.api.client.post("/api/v1/transfers", json=TRANSFER, headers=headers)
    assert_problem(response, 401, "unauthenticated")


def test_instance_is_a_uri_reference(world: World) -> None:
    # RFC 9457 §3.1.5: `instance` is a URI reference, so a decoded space may not appear in it.
    body = assert_problem(
        world.call("GET", "/api/v1/members/no%20body", "admin"), 422, "validation_failed"
    )
    assert body["instance"] == "/api/v1/members/no%20body"


def test_forbidden_does_not_leak_the_record(world: World) -> None:
    body = assert_problem(
        world.call("GET", "/api/v1/transfers/t-ab", "member_other"), 403, "forbidden"
    )
    assert "amount_minutes" not in body and "lunch delivery" not in str(body)


# (method, path, body, status, code) as the admin sees it on the world.
REFUSALS = [
    ("GET", "/api/v1/members/nobody", None, 404, "member_not_found"),
    ("GET", "/api/v1/members/nobody/balance", None, 404, "member_not_found"),
    ("GET", "/api/v1/members/nobody/statement", None, 404, "member_not_found"),
    ("POST", "/api/v1/members/nobody/deactivate", {"reason": "r"}, 404, "member_not_found"),
    ("GET", "/api/v1/transfers/t-none", None, 404, "transfer_not_found"),
    ("GET", "/api/v1/grants/g-none", None, 404, "grant_not_found"),
    ("POST", "/api/v1/grants", {**GRANT, "member": "nobody"}, 404, "member_not_found"),
    ("POST", "/api/v1/transfers", {**TRANSFER, "to": "nobody"}, 404, "member_not_found"),
    ("POST", "/api/v1/transfers", {**TRANSFER, "from": "nobody"}, 404, "member_not_found"),
    ("POST", "/api/v1/ledger/reversals", {"height": 999, "reason": "r"}, 404, "entry_not_found"),
    ("POST", "/api/v1/members", {"local_id": "alice", "display_name": "A"}, 409, "member_exists"),
    (
        "POST",
        "/api/v1/transfers",
        {
            "id": "t-ab",
            "from": "alice",
            "to": "bob",
            "amount_minutes": 61,
            "memo": "lunch delivery",
        },
        409,
        "transfer_id_conflict",
    ),
    (
        "POST",
        "/api/v1/grants",
        {**GRANT, "id": "g-alice", "amount_minutes": 601},
        409,
        "grant_id_conflict",
    ),
    ("POST", "/api/v1/transfers", {**TRANSFER, "amount_minutes": 541}, 422, "insufficient_funds"),
    ("POST", "/api/v1/transfers", {**TRANSFER, "to": "alice"}, 422, "same_account"),
    ("POST", "/api/v1/transfers", {**TRANSFER, "to": "alice@sh-pudong"}, 422, "same_account"),
    ("POST", "/api/v1/transfers", {**TRANSFER, "to": "bob@xa-yanta"}, 422, "unknown_node"),
    ("POST", "/api/v1/transfers", {**TRANSFER, "from": "eve@nj-gulou"}, 422,
     "validation_failed"),
    ("POST", "/api/v1/transfers", {**TRANSFER, "to": "bob@x"}, 422, "validation_failed"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    REFUSALS,
    ids=[code + ":" + path for _, path, _, _, code in REFUSALS],
)
def test_refusal(world: World, method: str, path: str, body: Any, status: int, code: str) -> None:
    with writes_nothing(world.node):
        assert_problem(world.call(method, path, "admin", body), status, code)


def test_exact_balance_is_spendable_but_not_one_more_minute(world: World) -> None:
    with writes_nothing(world.node):
        assert_problem(
            world.call("POST", "/api/v1/transfers", "admin", {**TRANSFER, "amount_minutes": 541}),
            422,
            "insufficient_funds",
        )
    done = world.call("POST", "/api/v1/transfers", "admin", {**TRANSFER, "amount_minutes": 540})
    assert done.status_code == 201, done.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/transfers", {**TRANSFER, "to": "carol"}),
        ("/api/v1/transfers", {**TRANSFER, "from": "carol", "to": "alice"}),
        ("/api/v1/grants", {**GRANT, "member": "carol"}),
    ],
)
def test_member_inactive(world: World, path: str, body: dict[str, Any]) -> None:
    deactivated = world.call(
        "POST", "/api/v1/members/carol/deactivate", "admin", {"reason": "moved away"}
    )
    assert deactivated.json()["status"] == "deactivated"
    with writes_nothing(world.node):
        assert_problem(world.call("POST", path, "admin", body), 422, "member_inactive")


def test_reversal_errors(world: World) -> None:
    body = {"height": world.transfer_height, "reason": "entered twice"}
    reversal = world.call("POST", "/api/v1/ledger/reversals", "admin", body)
    assert reversal.status_code == 201, reversal.text
    with writes_nothing(world.node):
        assert_problem(
            world.call("POST", "/api/v1/ledger/reversals", "admin", body), 409, "already_reversed"
        )
        again = {"height": reversal.json()["height"], "reason": "undo the undo"}
        assert_problem(
            world.call("POST", "/api/v1/ledger/reversals", "admin", again), 422, "not_reversible"
        )


def test_no_checkpoint_yet(api: Api) -> None:
    response = api.client.get("/api/v1/ledger/checkpoints/latest", headers=api.admin)
    assert_problem(response, 404, "checkpoint_not_found")
