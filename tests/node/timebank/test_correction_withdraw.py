"""A pending correction of a paid visit withdrawn by its recorder or an admin
(node/timebank/corrections.py, step 2'): nothing reaches the journal, and it never confirms."""

from __future__ import annotations

import pytest

from node.access import Role
from node.clock import FakeClock
from node.errors import ErrorCode, NodeError
from tests.conftest import Api
from tests.factories import ADMIN, balance
from tests.node.api.support import assert_problem, writes_nothing
from tests.node.timebank.conftest import SECOND_STAFF, STAFF, PolicyNode, member
from tests.node.timebank.support import assert_sound
from tests.node.timebank.test_corrections import adjust_entries, correct, paid_visit


def test_the_recorder_withdraws_a_pending_correction_and_it_never_confirms(
        policy_node: PolicyNode, clock: FakeClock) -> None:
    node = paid_visit(policy_node, clock)
    correct(node, 90)
    corrections = node.timebank.corrections
    for stranger in (SECOND_STAFF, member("gran")):  # neither recorded it nor admin
        with writes_nothing(node), pytest.raises(NodeError) as err:
            corrections.withdraw(stranger, "c1", reason="wrong slip")
        assert err.value.code == ErrorCode.FORBIDDEN
    withdrawn = corrections.withdraw(STAFF, "c1", reason="wrong slip")
    assert withdrawn["state"] == "withdrawn" and withdrawn["withdraw_reason"] == "wrong slip"
    assert withdrawn["withdrawn_by"] == STAFF.actor and withdrawn["entry_height"] is None
    with writes_nothing(node):  # withdrawing again replays
        assert corrections.withdraw(STAFF, "c1", reason="again") == withdrawn
    with writes_nothing(node), pytest.raises(NodeError) as err:
        corrections.confirm(member("gran"), "c1")
    assert err.value.code == ErrorCode.ADJUSTMENT_WITHDRAWN
    assert (balance(node, "gran"), balance(node, "vol")) == (60, 60)
    assert adjust_entries(node) == []
    # The visit may be corrected again; an admin withdraws what someone else recorded.
    correct(node, 80, correction_id="c2")
    assert corrections.withdraw(ADMIN, "c2", reason="duplicate")["state"] == "withdrawn"
    correct(node, 70, correction_id="c3")
    assert corrections.confirm(member("gran"), "c3")["state"] == "posted"
    with writes_nothing(node), pytest.raises(NodeError) as err:
        corrections.withdraw(STAFF, "c3", reason="too late")
    assert err.value.code == ErrorCode.ADJUSTMENT_POSTED
    assert (balance(node, "gran"), balance(node, "vol")) == (50, 70)
    assert_sound(node)


def test_the_api_withdraws_a_correction(policy_node: PolicyNode, clock: FakeClock) -> None:
    node = paid_visit(policy_node, clock)
    api = Api(node)
    staff = api.headers(api.token("staff", Role.STAFF, station="east"))
    other = api.headers(api.token("other", Role.STAFF, station="east"))
    gran = api.headers(api.token("gran", Role.MEMBER, member_local_id="gran"))
    body = {"id": "c1", "reference": "slip-9", "reason": "slip found", "duration_minutes": 90}
    assert api.client.post("/api/v1/service-requests/r1/corrections", json=body,
                           headers=staff).status_code == 201
    path = "/api/v1/service-corrections/c1/withdraw"
    assert_problem(api.client.post(path, json={"reason": "x"}, headers=other), 403, "forbidden")
    assert api.client.post(path, json={"reason": ""}, headers=staff).status_code == 422
    done = api.client.post(path, json={"reason": "wrong slip"}, headers=staff)
    assert done.status_code == 200 and done.json()["state"] == "withdrawn", done.text
    assert_problem(api.client.post("/api/v1/service-corrections/c1/confirm", headers=gran),
                   409, "adjustment_withdrawn")
    assert api.client.get("/api/v1/service-requests/r1", headers=gran).json()[
        "corrections"][0]["withdraw_reason"] == "wrong slip"
