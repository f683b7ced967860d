"""The station registry's and staff accounts' rows of the endpoint × role table
(tests/node/api/test_authorization_matrix.py merges them into its MATRIX).

Only an admin changes either. Staff and the regulator read the stations (to name them); the
staff accounts are an admin's alone (NOT_FOR_REGULATOR).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from node.access import Principal, Role
from tests.node.api.support import World

Endpoint = tuple[str, str]
Body = Callable[[World], dict[str, Any]] | None
OPERATOR = Principal(Role.ADMIN, "test")
PASSWORD = "ferry-Lantern-42"


def _station(world: World) -> None:
    world.node.stations.create(OPERATOR, station_id="east", name="东站", address="",
                               district_code="310115")


def _account(world: World) -> None:
    _station(world)
    world.node.staff.create(OPERATOR, username="desk1", role=Role.STAFF, station="east",
                            password=PASSWORD)


STATION = {"name": "北站", "address": "北路 1 号", "district_code": "310115"}
REQUESTS: dict[Endpoint, tuple[str, Body]] = {
    ("POST", "/api/v1/stations"): ("/api/v1/stations", lambda w: {"id": "north", **STATION}),
    ("GET", "/api/v1/stations"): ("/api/v1/stations", None),
    ("PUT", "/api/v1/stations/{station_id}"): ("/api/v1/stations/east", lambda w: STATION),
    ("POST", "/api/v1/stations/{station_id}/active"): (
        "/api/v1/stations/east/active", lambda w: {"active": False}),
    ("POST", "/api/v1/staff-accounts"): ("/api/v1/staff-accounts", lambda w: {
        "username": "desk2", "role": "staff", "station": "east", "password": PASSWORD}),
    ("GET", "/api/v1/staff-accounts"): ("/api/v1/staff-accounts", None),
    ("POST", "/api/v1/staff-accounts/{username}/disabled"): (
        "/api/v1/staff-accounts/desk1/disabled", lambda w: {"disabled": True}),
}


SETUP: dict[Endpoint, Callable[[World], None]] = {
    ("PUT", "/api/v1/stations/{station_id}"): _station,
    ("POST", "/api/v1/stations/{station_id}/active"): _station,
    ("POST", "/api/v1/staff-accounts"): _station,
    ("GET", "/api/v1/staff-accounts"): _account,
    ("POST", "/api/v1/staff-accounts/{username}/disabled"): _account,
}
ADMIN_ONLY = (401, 401, 403, 403, 403, 403, 200, 403)
MATRIX: dict[Endpoint, tuple[int, ...]] = {
    ("POST", "/api/v1/stations"): (401, 401, 403, 403, 403, 403, 201, 403),
    ("GET", "/api/v1/stations"): (401, 401, 403, 403, 200, 200, 200, 200),
    ("PUT", "/api/v1/stations/{station_id}"): ADMIN_ONLY,
    ("POST", "/api/v1/stations/{station_id}/active"): ADMIN_ONLY,
    ("POST", "/api/v1/staff-accounts"): (401, 401, 403, 403, 403, 403, 201, 403),
    ("GET", "/api/v1/staff-accounts"): ADMIN_ONLY,
    ("POST", "/api/v1/staff-accounts/{username}/disabled"): ADMIN_ONLY,
}
NOT_FOR_REGULATOR: set[Endpoint] = {("GET", "/api/v1/staff-accounts")}
