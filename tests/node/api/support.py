"""Helpers for the API tests: a small world with one token per role, a digest of every table
(so a test can prove that a refused request wrote nothing) and the problem+json shape."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from node.access import Role
from node.clock import FakeClock
from node.db.schema import metadata
from node.runtime import Node
from tests.conftest import Api
from tests.factories import give_consent

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_FIELDS = frozenset({"type", "title", "status", "detail", "code", "instance"})
ROLES = (
    "anonymous",
    "bad_token",
    "member_self",
    "member_other",
    "staff_own",
    "staff_other",
    "admin",
    "regulator",
)
# Well formed (prefix, length) but issued by no one: it must fail on the lookup, not the shape.
UNKNOWN_TOKEN = "hb_000000000000_" + "x" * 43


def db_digest(node: Node) -> dict[str, str]:
    """Row count and SHA-256 of every table's rows in primary-key order, by table name."""
    digest: dict[str, str] = {}
    with node.db.read() as conn:
        for table in metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            rows = [tuple(row) for row in conn.execute(query)]
            sha = hashlib.sha256(repr(rows).encode()).hexdigest()
            digest[table.name] = f"{len(rows)} rows {sha}"
    return digest


@contextmanager
def writes_nothing(node: Node) -> Iterator[None]:
    before = db_digest(node)
    yield
    assert db_digest(node) == before, "a refused request changed stored rows"


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """An RFC 9457 problem with our stable code; returns the body for further checks."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_FIELDS, body
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["type"] == f"urn:hourbridge:problem:{code}"
    assert body["title"] and body["detail"]
    # Compared decoded here; test_errors.py checks that `instance` stays percent-encoded.
    assert unquote(body["instance"]) == unquote(urlsplit(str(response.request.url)).path)
    if status == 401:
        assert response.headers.get("www-authenticate", "").startswith("Bearer")
    return body


@dataclass
class World:
    """alice and bob at station east, carol at station west; alice has a grant (g-alice), there
    is a checkpoint, and then a transfer t-ab from alice to bob. One header set per role."""

    api: Api
    clock: FakeClock
    headers: dict[str, dict[str, str]]
    transfer_height: int

    @property
    def node(self) -> Node:
        return self.api.node

    @property
    def app(self) -> FastAPI:
        app = self.api.client.app
        assert isinstance(app, FastAPI)
        return app

    def call(
        self, method: str, path: str, role: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        response: httpx.Response = self.api.client.request(
            method, path, json=body, headers=self.headers[role]
        )
        return response


def _ok(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def build_world(api: Api, clock: FakeClock) -> World:
    c, admin = api.client, api.admin
    for local_id, station in (("alice", "east"), ("bob", "east"), ("carol", "west")):
        _ok(
            c.post(
                "/api/v1/members",
                headers=admin,
                json={"local_id": local_id, "display_name": local_id.title(), "station": station},
            )
        )
    _ok(
        c.post(
            "/api/v1/grants",
            headers=admin,
            json={
                "id": "g-alice",
                "member": "alice",
                "amount_minutes": 600,
                "credit_class": "granted",
                "reason": "care plan",
            },
        )
    )
    _ok(c.post("/api/v1/ledger/checkpoints", headers=admin))
    clock.advance(60_000)
    transfer = _ok(
        c.post(
            "/api/v1/transfers",
            headers=admin,
            json={
                "id": "t-ab",
                "from": "alice",
                "to": "bob",
                "amount_minutes": 60,
                "memo": "lunch delivery",
            },
        )
    )
    # staff and admins send her gifts to other nodes (the batch, the matrix): her consent
    give_consent(api.node, "alice", "cross_node_gifts")
    tokens = {
        "member_self": api.token("alice", Role.MEMBER, member_local_id="alice"),
        "member_other": api.token("carol", Role.MEMBER, member_local_id="carol"),
        "staff_own": api.token("staff-east", Role.STAFF, station="east"),
        "staff_other": api.token("staff-west", Role.STAFF, station="west"),
        "admin": api.token("admin", Role.ADMIN),
        "regulator": api.token("regulator", Role.REGULATOR),
        "bad_token": UNKNOWN_TOKEN,
    }
    headers = {role: api.headers(token) for role, token in tokens.items()}
    headers["anonymous"] = {}
    assert set(headers) == set(ROLES)
    return World(api=api, clock=clock, headers=headers, transfer_height=transfer["entry_height"])
