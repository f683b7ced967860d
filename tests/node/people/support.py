"""A small family on one node (the `family` fixture, used by tests/node/people and the API's
route tests): alice (82, station east) and her son sam, registered as her kin
but at station west; carol, who is nobody to them (west); bob, alice's neighbour (east).
Each person signs in on a phone of their own: a TestClient with its own cookie jar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from node.access import Role
from node.clock import FakeClock
from node.people.sessions import CSRF_HEADER
from node.runtime import Node
from tests.conftest import Api

ALICE_PIN = "482915"
SAM_PIN = "736104"
CAST = (("alice", "east", 1944), ("bob", "east", 1950), ("sam", "west", 1972),
        ("carol", "west", 1980))


class Phone:
    """One person's browser: its own cookies, and the CSRF secret of its session."""

    def __init__(self, app: FastAPI, client: tuple[str, int] = ("203.0.113.7", 50000)) -> None:
        self.client = TestClient(app, raise_server_exceptions=False, client=client)
        self.csrf = ""

    def sign_in(self, member: str, pin: str) -> httpx.Response:
        response = self.client.post("/api/v1/people/sessions", json={"member": member,
                                                                    "pin": pin})
        if response.status_code == 201:
            self.csrf = response.json()["csrf_token"]
        return response

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def post(self, path: str, body: dict[str, Any] | None = None, *,
             csrf: bool = True) -> httpx.Response:
        headers = {CSRF_HEADER: self.csrf} if csrf else {}
        return self.client.post(path, json=body, headers=headers)

    def delete(self, path: str, *, csrf: bool = True) -> httpx.Response:
        headers = {CSRF_HEADER: self.csrf} if csrf else {}
        return self.client.delete(path, headers=headers)


@dataclass
class Family:
    api: Api
    clock: FakeClock
    east: dict[str, str]  # staff of station east (alice's, bob's)
    west: dict[str, str]  # staff of station west (sam's, carol's)

    @property
    def node(self) -> Node:
        return self.api.node

    @property
    def app(self) -> FastAPI:
        app = self.api.client.app
        assert isinstance(app, FastAPI)
        return app

    def phone(self, client: tuple[str, int] = ("203.0.113.7", 50000)) -> Phone:
        return Phone(self.app, client)

    def invite(self, local_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.api.client.post(f"/api/v1/members/{local_id}/invitations",
                                        headers=headers or self.east)
        assert response.status_code == 201, response.text
        invitation: dict[str, Any] = response.json()
        return invitation

    def activate(self, code: str, pin: str) -> httpx.Response:
        return self.api.client.post("/api/v1/people/activate", json={"code": code, "pin": pin})

    def enrol(self, local_id: str, pin: str, headers: dict[str, str]) -> None:
        """Invited by the member's own station's staff, and activated with `pin`."""
        response = self.activate(self.invite(local_id, headers)["code"], pin)
        assert response.status_code == 200, response.text

    def signed_in(self, local_id: str, pin: str) -> Phone:
        phone = self.phone()
        response = phone.sign_in(local_id, pin)
        assert response.status_code == 201, response.text
        return phone


@pytest.fixture
def family(api: Api, clock: FakeClock) -> Family:
    return make_family(api, clock)


def make_family(api: Api, clock: FakeClock) -> Family:
    """The cast registered on `api`'s node (the fixture's body, for a world built once)."""
    for local_id, station, birth_year in CAST:
        response = api.client.post("/api/v1/members", headers=api.admin, json={
            "local_id": local_id, "display_name": local_id.title(), "station": station,
            "birth_year": birth_year})
        assert response.status_code == 201, response.text
    kin = api.client.post("/api/v1/members/alice/kin", headers=api.admin,
                          json={"relative": "sam", "relation": "child"})
    assert kin.status_code == 200, kin.text
    return Family(api=api, clock=clock,
                  east=api.headers(api.token("staff-east", Role.STAFF, station="east")),
                  west=api.headers(api.token("staff-west", Role.STAFF, station="west")))
