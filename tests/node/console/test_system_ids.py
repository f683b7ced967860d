"""The console refuses the donation pool's id for a new member, as the API does (issue 12)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Api
from tests.node.console.support import post_form


def test_staff_cannot_register_the_pools_id(staff: TestClient, api: Api) -> None:
    refused = post_form(staff, "/console/members", "/console/members",
                        local_id="hardship-pool", display_name="爱心池")
    assert refused.status_code == 409
    assert "系统账户" in refused.text and "local_id_reserved" in refused.text
    pool = api.client.get("/api/v1/members/hardship-pool", headers=api.admin).json()
    assert pool["station"] is None
