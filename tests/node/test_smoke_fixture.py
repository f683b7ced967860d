from tests.conftest import Api


def test_member_grant_transfer_roundtrip(api: Api) -> None:
    c = api.client
    for local_id in ("alice", "bob"):
        r = c.post("/api/v1/members", json={"local_id": local_id, "display_name": local_id},
                   headers=api.admin)
        assert r.status_code == 201, r.text
    r = c.post("/api/v1/grants", headers=api.admin, json={
        "id": "g1", "member": "alice", "amount_minutes": 120, "credit_class": "granted",
        "reason": "vetted"})
    assert r.status_code == 201, r.text
    r = c.post("/api/v1/transfers", headers=api.admin, json={
        "id": "t1", "from": "alice", "to": "bob", "amount_minutes": 30})
    assert r.status_code == 201, r.text
    assert c.get("/api/v1/members/bob/balance", headers=api.admin).json()["available_minutes"] == 30
