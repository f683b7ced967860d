from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from node.access import Role
from tests.conftest import Api
from tests.node.console.support import fresh_client, log_in


@pytest.fixture
def staff_token(api: Api) -> str:
    """Staff of station `lujiazui`, with two elders registered there and one elsewhere."""
    admin = api.admin
    for local_id, name, station in (("wang.fang", "王芳", "lujiazui"),
                                    ("li.ming", "李明", "lujiazui"),
                                    ("zhao.lei", "赵磊", "huamu")):
        made = api.client.post("/api/v1/members", headers=admin, json={
            "local_id": local_id, "display_name": name, "station": station, "birth_year": 1948})
        assert made.status_code == 201, made.text
    return api.token("staff", Role.STAFF, station="lujiazui")


@pytest.fixture
def staff(api: Api, staff_token: str) -> TestClient:
    """A browser logged in as station staff."""
    client = fresh_client(api)
    assert log_in(client, staff_token).status_code == 303
    return client


@pytest.fixture
def second_staff(api: Api, staff_token: str) -> TestClient:
    """Another staff member of `lujiazui`, in their own browser: approves the payments for
    visits the first one served (whoever acts for the volunteer never approves the payment)."""
    client = fresh_client(api)
    assert log_in(client, api.token("staff-2", Role.STAFF, station="lujiazui")).status_code == 303
    return client
