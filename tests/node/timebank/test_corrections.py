"""Corrections of a paid visit's duration from its paper slip (node/timebank/corrections.py)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from node.access import Role
from node.clock import FakeClock
from node.db.schema import journal_entries
from node.errors import ErrorCode, NodeError
from node.runtime import Node
from node.timebank.slips import Slip
from tests.conftest import Api
from tests.factories import ADMIN, balance, transfer
from tests.node.api.support import assert_problem, writes_nothing
from tests.node.timebank.conftest import SECOND_STAFF, STAFF, PolicyNode, member
from tests.node.timebank.support import assert_sound, escrow
from tests.node.timebank.test_slips import SLIP, paper_station, record


def paid_visit(policy_node: PolicyNode, clock: FakeClock, minutes: int = 60) -> Node:
    """gran (120 granted minutes) paid vol `minutes` for r1, recorded from a slip by STAFF."""
    node, _ = paper_station(policy_node, clock)
    record(node, duration_minutes=minutes)
    node.timebank.requests.confirm(SECOND_STAFF, "r1", rating=5, comment="")
    return node


def correct(node: Node, minutes: int, correction_id: str = "c1",
            by: Any = STAFF) -> tuple[dict[str, Any], bool]:
    return node.timebank.corrections.record(
        by, "r1", correction_id=correction_id,
        slip=Slip(**{**SLIP, "reference": "slip-0042b"}, duration_minutes=minutes))


def adjust_entries(node: Node) -> list[str]:
    with node.db.read() as conn:
        return list(conn.execute(select(journal_entries.c.kind).where(
            journal_entries.c.ref == "r1", journal_entries.c.kind == "service_adjust"))
            .scalars())


def test_more_minutes_move_from_the_elder_to_the_volunteer_once_confirmed(
        policy_node: PolicyNode, clock: FakeClock) -> None:
    node = paid_visit(policy_node, clock)
    pending, created = correct(node, 90)
    assert created and pending["state"] == "pending" and pending["delta_minutes"] == 30
    assert (balance(node, "gran"), balance(node, "vol")) == (60, 60)  # nothing moved yet
    again, created = correct(node, 90)  # the same id and body: a replay
    assert not created and again == pending
    with writes_nothing(node), pytest.raises(NodeError) as err:
        node.timebank.corrections.confirm(STAFF, "c1")  # the recorder
    assert err.value.code == ErrorCode.SEPARATION_OF_DUTIES
    posted = node.timebank.corrections.confirm(member("gran"), "c1")
    assert posted["state"] == "posted" and posted["entry_height"] is not None
    assert (balance(node, "gran"), balance(node, "vol")) == (30, 90)
    assert adjust_entries(node) == ["service_adjust"]
    with writes_nothing(node):  # confirming again replays
        assert node.timebank.corrections.confirm(ADMIN, "c1") == posted
    request = node.timebank.requests.get(ADMIN, "r1")
    assert request["released_minutes"] == 60  # the paid visit is never edited
    assert [c["id"] for c in request["corrections"]] == ["c1"]
    assert escrow(node) == 0
    assert_sound(node)


def test_fewer_minutes_go_back_to_the_elder_and_corrections_chain(policy_node: PolicyNode,
                                                                  clock: FakeClock) -> None:
    node = paid_visit(policy_node, clock)
    correct(node, 40)
    node.timebank.corrections.confirm(ADMIN, "c1")
    assert (balance(node, "gran"), balance(node, "vol")) == (80, 40)
    second, _ = correct(node, 50, correction_id="c2")
    assert (second["price_before"], second["price_after"]) == (40, 50)
    node.timebank.corrections.confirm(member("gran"), "c2")
    assert (balance(node, "gran"), balance(node, "vol")) == (70, 50)
    assert adjust_entries(node) == ["service_adjust", "service_adjust"]
    assert_sound(node)


def test_a_volunteer_who_spent_his_hours_cannot_give_them_back(policy_node: PolicyNode,
                                                               clock: FakeClock) -> None:
    node = paid_visit(policy_node, clock)
    transfer(node, "vol", "gran", 50, transfer_id="t1")  # he gave most of them away
    assert balance(node, "vol") == 10
    correct(node, 20)
    with writes_nothing(node), pytest.raises(NodeError) as err:
        node.timebank.corrections.confirm(ADMIN, "c1")
    assert err.value.code == ErrorCode.ADJUSTMENT_UNCOVERED


def test_refusals_before_anything_is_recorded(policy_node: PolicyNode, clock: FakeClock) -> None:
    node, _ = paper_station(policy_node, clock)
    record(node, duration_minutes=60)
    with writes_nothing(node), pytest.raises(NodeError) as err:
        correct(node, 90)  # not paid yet: the slip itself is changed instead
    assert err.value.code == ErrorCode.SERVICE_REQUEST_STATE
    node.timebank.requests.confirm(SECOND_STAFF, "r1", rating=5, comment="")
    refusals = [(lambda: correct(node, 90, by=member("gran")), ErrorCode.FORBIDDEN),
                (lambda: correct(node, 481), ErrorCode.SLIP_OUT_OF_BOUNDS),
                (lambda: correct(node, 60), ErrorCode.VALIDATION_FAILED)]
    for attempt, code in refusals:
        with writes_nothing(node), pytest.raises(NodeError) as err:
            attempt()
        assert err.value.code == code
    correct(node, 90)
    for attempt, code in [(lambda: correct(node, 70, correction_id="c2"),
                           ErrorCode.ADJUSTMENT_PENDING),
                          (lambda: correct(node, 70), ErrorCode.ADJUSTMENT_ID_CONFLICT)]:
        with writes_nothing(node), pytest.raises(NodeError) as err:
            attempt()
        assert err.value.code == code


def test_the_api_records_and_confirms_a_correction(policy_node: PolicyNode,
                                                   clock: FakeClock) -> None:
    node = paid_visit(policy_node, clock)
    api = Api(node)
    staff = api.headers(api.token("staff", Role.STAFF, station="east"))
    gran = api.headers(api.token("gran", Role.MEMBER, member_local_id="gran"))
    body = {"id": "c1", "reference": "slip-9", "reason": "slip found", "duration_minutes": 90}
    path = "/api/v1/service-requests/r1/corrections"
    made = api.client.post(path, json=body, headers=staff)
    assert made.status_code == 201 and made.json()["delta_minutes"] == 30, made.text
    assert api.client.post(path, json=body, headers=staff).status_code == 200
    assert_problem(api.client.post("/api/v1/service-corrections/c1/confirm", headers=staff),
                   403, "separation_of_duties")
    posted = api.client.post("/api/v1/service-corrections/c1/confirm", headers=gran)
    assert posted.status_code == 200 and posted.json()["state"] == "posted", posted.text
    assert api.client.get("/api/v1/service-requests/r1", headers=gran).json()[
        "corrections"][0]["state"] == "posted"
    assert_problem(api.client.get("/api/v1/service-corrections/nope", headers=staff),
                   404, "adjustment_not_found")
