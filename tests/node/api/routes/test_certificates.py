"""The certificate routes over HTTP: issued (201) with the signed document, read back as the
record the node kept (never the document), an unknown id and a bad period refused in words."""

from __future__ import annotations

from tests.conftest import Api
from tests.node.api.support import assert_problem

ALICE = "/api/v1/members/alice"


def _alice(api: Api) -> None:
    made = api.client.post("/api/v1/members", headers=api.admin, json={
        "local_id": "alice", "display_name": "Alice", "station": "east"})
    assert made.status_code == 201, made.text


def test_issue_and_read_back(api: Api) -> None:
    _alice(api)
    issued = api.client.post(f"{ALICE}/certificates", headers=api.admin, json={})
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["document"]["display_name"] == "Alice"
    record = body["record"]
    got = api.client.get(f"{ALICE}/certificates/{record['id']}", headers=api.admin)
    assert got.status_code == 200 and got.json() == record
    assert "Alice" not in got.text


def test_unknown_certificate_and_bad_period(api: Api) -> None:
    _alice(api)
    missing = api.client.get(f"{ALICE}/certificates/cert-{'a' * 24}", headers=api.admin)
    assert_problem(missing, 404, "certificate_not_found")
    backwards = api.client.post(f"{ALICE}/certificates", headers=api.admin,
                                json={"from_ms": 5, "to_ms": 4})
    assert_problem(backwards, 422, "validation_failed")
    unknown = api.client.post(f"{ALICE}/certificates", headers=api.admin, json={"name": "x"})
    assert unknown.status_code == 422
