"""The notification and contact routes over a real node: a member reads what happened in words,
marks it read, keeps her contacts; bad input is a coded 4xx that writes nothing, and a refused
look at someone's contacts is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from node.access import Role
from node.db.schema import tb_audit
from tests.conftest import Api
from tests.node.api.support import assert_problem, writes_nothing

ALICE = "/api/v1/members/alice"


@pytest.fixture
def town(api: Api) -> Api:
    """alice (station east) has asked for help and bob took it: alice has notification 1."""
    for local_id, station in (("alice", "east"), ("bob", "east"), ("carol", "west")):
        created = api.client.post("/api/v1/members", headers=api.admin, json={
            "local_id": local_id, "display_name": local_id.title(), "station": station})
        assert created.status_code == 201, created.text
    posted = api.client.post("/api/v1/service-requests", headers=api.admin, json={
        "id": "sr-1", "recipient": "alice", "category": "health", "description": "clinic"})
    assert posted.status_code == 201, posted.text
    bob = api.headers(api.token("bob", Role.MEMBER, member_local_id="bob"))
    taken = api.client.post("/api/v1/service-requests/sr-1/accept", headers=bob,
                            json={"volunteer": "bob"})
    assert taken.status_code == 200, taken.text
    return api


def _alice(api: Api) -> dict[str, str]:
    return api.headers(api.token("alice", Role.MEMBER, member_local_id="alice"))


def test_a_member_reads_her_notifications_and_marks_them_read(town: Api) -> None:
    page = town.client.get(f"{ALICE}/notifications", headers=_alice(town))
    assert page.status_code == 200, page.text
    [item] = page.json()["items"]
    assert item["text"] == {"zh": "Bob 已接下您的“医疗保健”需求。",
                            "en": "Bob has taken your request: health care."}
    assert (item["kind"], item["read_at_ms"], page.json()["unread"]) == ("request_taken", None, 1)

    read = town.client.post(f"{ALICE}/notifications/{item['id']}/read", headers=_alice(town))
    assert read.status_code == 200, read.text
    assert read.json()["read_at_ms"] is not None
    assert town.client.get(f"{ALICE}/notifications", headers=_alice(town)).json()["unread"] == 0


def test_unknown_notification_and_bad_paging_are_coded_errors(town: Api) -> None:
    alice, admin = _alice(town), town.admin  # tokens made before the digest
    with writes_nothing(town.node):
        assert_problem(town.client.post(f"{ALICE}/notifications/99/read", headers=alice),
                       404, "notification_not_found")
        assert_problem(town.client.get(f"{ALICE}/notifications?limit=101", headers=admin),
                       422, "validation_failed")
        assert_problem(town.client.post(f"{ALICE}/notifications/0/read", headers=admin),
                       422, "validation_failed")


def test_contacts_round_trip_and_malformed_ones_write_nothing(town: Api) -> None:
    body = {"email": "alice@example.org", "gateway_recipient": "+8613800000001"}
    put = town.client.put(f"{ALICE}/contacts", headers=_alice(town), json=body)
    assert put.status_code == 200, put.text
    assert town.client.get(f"{ALICE}/contacts", headers=town.admin).json()["email"] == body[
        "email"]
    with writes_nothing(town.node):
        for bad in ({"email": "alice@example.org\r\nBcc: all@example.org"},
                    {"gateway_recipient": "a b"}, {"phone": "123"}):
            assert_problem(town.client.put(f"{ALICE}/contacts", headers=town.admin, json=bad),
                           422, "validation_failed")


def test_another_member_is_refused_and_the_attempt_audited(town: Api) -> None:
    carol = town.headers(town.token("carol", Role.MEMBER, member_local_id="carol"))
    assert_problem(town.client.get(f"{ALICE}/contacts", headers=carol), 403, "forbidden")
    with town.node.db.read() as conn:
        rows = conn.execute(select(tb_audit.c.action, tb_audit.c.actor).where(
            tb_audit.c.subject == "contacts:alice")).all()
    assert [tuple(row) for row in rows] == [("contacts_refused", "member:carol")]
