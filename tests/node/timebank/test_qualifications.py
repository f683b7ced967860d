"""Qualifications a policy requires per service category, and honour levels by hours
(node/timebank/qualifications.py, honours.py), under examples/policies/nanjing-2019.toml."""

from __future__ import annotations

from typing import Any

import pytest

from node.access import Role
from node.clock import FakeClock
from node.errors import ErrorCode, NodeError
from node.runtime import Node
from node.timebank.honours import honour
from node.timebank.policy import DEFAULT_POLICY, parse_policy
from node.timebank.qualifications import Qualification
from tests.conftest import Api
from tests.node.api.support import assert_problem, writes_nothing
from tests.node.timebank.conftest import STAFF, PolicyNode, member, people

NURSE = Qualification(kind="health_care", title="养老护理员 elder-care nurse",
                      issuer="南京市人社局", valid_from="2026-01-01", valid_until="2026-12-31",
                      evidence_ref="NJ-123")


def _health_request(node: Node, request_id: str) -> None:
    node.timebank.requests.post(STAFF, request_id=request_id, recipient="gran",
                                category="health", item=None, description="")


def test_a_health_visit_needs_a_qualification_valid_on_the_day(policy_node: PolicyNode,
                                                               clock: FakeClock) -> None:
    node = policy_node("nanjing-2019")
    people(node, ("gran", 1940), ("vol", 1990))
    _health_request(node, "r1")
    with writes_nothing(node), pytest.raises(NodeError) as err:
        node.timebank.requests.accept(STAFF, "r1", volunteer="vol")
    assert err.value.code == ErrorCode.QUALIFICATION_REQUIRED
    expired = Qualification(**{**NURSE.__dict__, "valid_from": "2025-01-01",
                               "valid_until": "2025-12-31"})
    node.timebank.qualifications.record(STAFF, "vol", qualification_id="q0",
                                        qualification=expired)
    with pytest.raises(NodeError) as err:
        node.timebank.requests.accept(STAFF, "r1", volunteer="vol")
    assert err.value.code == ErrorCode.QUALIFICATION_REQUIRED
    record, created = node.timebank.qualifications.record(STAFF, "vol", qualification_id="q1",
                                                          qualification=NURSE)
    assert created and record["kind"] == "health_care"
    assert node.timebank.requests.accept(STAFF, "r1", volunteer="vol")["state"] == "accepted"
    # a category without a rule needs nothing
    node.timebank.requests.post(STAFF, request_id="r2", recipient="gran",
                                category="daily_living", item=None, description="")
    people(node, ("kid", 2000))
    assert node.timebank.requests.accept(STAFF, "r2", volunteer="kid")["state"] == "accepted"
    listed = node.timebank.qualifications.list(member("vol"), "vol")
    assert [(q["id"], q["valid_today"]) for q in listed] == [("q0", False), ("q1", True)]


def test_recording_is_for_staff_replays_and_checks_dates(policy_node: PolicyNode) -> None:
    node = policy_node("nanjing-2019")
    people(node, ("vol", 1990))
    people(node, ("westy", 1990), station="west")
    qualifications = node.timebank.qualifications
    qualifications.record(STAFF, "vol", qualification_id="q1", qualification=NURSE)
    backwards = Qualification(**{**NURSE.__dict__, "valid_until": "2025-01-01"})
    refusals: list[tuple[Any, ErrorCode]] = [
        (lambda: qualifications.record(member("vol"), "vol", qualification_id="q2",
                                       qualification=NURSE), ErrorCode.FORBIDDEN),
        (lambda: qualifications.record(STAFF, "westy", qualification_id="q2",
                                       qualification=NURSE), ErrorCode.FORBIDDEN),
        (lambda: qualifications.record(STAFF, "vol", qualification_id="q2",
                                       qualification=backwards), ErrorCode.VALIDATION_FAILED),
        (lambda: qualifications.record(STAFF, "vol", qualification_id="q1",
                                       qualification=backwards),
         ErrorCode.QUALIFICATION_ID_CONFLICT),
        (lambda: qualifications.list(member("westy"), "vol"), ErrorCode.FORBIDDEN),
    ]
    for attempt, code in refusals:
        with pytest.raises(NodeError) as err:
            attempt()
        assert err.value.code == code
    again, created = qualifications.record(STAFF, "vol", qualification_id="q1",
                                           qualification=NURSE)
    assert not created and again["id"] == "q1"


def test_the_api_records_and_lists_qualifications(policy_node: PolicyNode) -> None:
    node = policy_node("nanjing-2019")
    people(node, ("vol", 1990))
    api = Api(node)
    staff = api.headers(api.token("staff", Role.STAFF, station="east"))
    path, body = "/api/v1/members/vol/qualifications", {"id": "q1", **NURSE.__dict__}
    first = api.client.post(path, json=body, headers=staff)
    assert first.status_code == 201, first.text
    assert api.client.post(path, json=body, headers=staff).status_code == 200
    assert_problem(api.client.post(path, json={**body, "title": "other"}, headers=staff),
                   409, "qualification_id_conflict")
    assert_problem(api.client.post(path, json={**body, "id": "q2", "valid_from": "2026-13-99"},
                                   headers=staff), 422, "validation_failed")
    listed = api.client.get(path, headers=staff).json()
    assert [q["id"] for q in listed["items"]] == ["q1"]


def test_honour_levels_are_policy_data() -> None:
    nanjing = parse_policy({"honours": {"levels": [
        {"stars": 1, "name": "一星", "hours": 100}, {"stars": 5, "name": "五星", "hours": 1500}]}})
    assert honour(DEFAULT_POLICY, 10_000) is None
    assert honour(nanjing, 99 * 60)["stars"] == 0  # type: ignore[index]
    reached = honour(nanjing, 100 * 60)
    assert reached is not None and (reached["stars"], reached["next_stars"]) == (1, 5)
    assert honour(nanjing, 2000 * 60)["next_stars"] is None  # type: ignore[index]
    with pytest.raises(NodeError) as err:
        parse_policy({"honours": {"levels": [{"stars": 2, "name": "b", "hours": 100},
                                             {"stars": 1, "name": "a", "hours": 200}]}})
    assert err.value.code == ErrorCode.POLICY_INVALID
    with pytest.raises(NodeError) as err:
        parse_policy({"provider": {"qualifications": [{"category": "nope", "kinds": ["x"]}]}})
    assert err.value.code == ErrorCode.POLICY_INVALID
