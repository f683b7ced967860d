"""The service cycle on the service layer: post, accept, check in and out, confirm, pay; refusals
that write nothing; subsidised members; caps."""

from __future__ import annotations

import pytest

from node.clock import FakeClock
from node.errors import Conflict, ErrorCode, NodeError, RuleViolation
from node.ledger.model import member_account
from tests.factories import ADMIN, balance, by_class, grant
from tests.node.api.support import db_digest
from tests.node.timebank.conftest import (
    SECOND_STAFF,
    STAFF,
    PolicyNode,
    member,
    people,
    serve,
)
from tests.node.timebank.support import assert_sound, escrow, held, pool


def test_full_cycle_holds_then_pays_the_volunteer(policy_node: PolicyNode,
                                                  clock: FakeClock) -> None:
    node = policy_node()
    people(node, ("gran", 1940), ("vol", 1990))
    grant(node, "gran", 120)
    done = serve(node, "r1", recipient="gran", volunteer="vol", minutes=45, clock=clock)
    assert (done["state"], done["duration_minutes"], done["price_minutes"]) == ("completed", 45,
                                                                                 45)
    assert balance(node, "gran") == 75 and escrow(node) == 45 and balance(node, "vol") == 0

    paid = node.timebank.requests.confirm(member("gran"), "r1", rating=5, comment="kind")
    assert paid["state"] == "paid" and paid["rating"] == 5
    assert paid["credited_minutes"] == 45 and paid["released_minutes"] == 45
    assert escrow(node) == 0
    assert by_class(node, "vol") == {"earned": 45}
    assert held(node, "redemption") == 45  # the elder's granted hours were redeemed for care
    assert [h["action"] for h in paid["history"]] == ["posted", "accepted", "checked_in",
                                                      "checked_out", "confirmed"]
    assert paid["history"][3]["entry_height"] is not None
    assert_sound(node)


def test_a_step_out_of_order_is_refused_and_writes_nothing(policy_node: PolicyNode,
                                                          clock: FakeClock) -> None:
    node = policy_node()
    people(node, ("gran", 1940), ("vol", 1990))
    grant(node, "gran", 120)
    node.timebank.requests.post(STAFF, request_id="r1", recipient="gran",
                                category="health", item=None, description="clinic")
    before = db_digest(node)
    with pytest.raises(Conflict) as err:
        node.timebank.requests.check_in(STAFF, "r1")
    assert err.value.code == ErrorCode.SERVICE_REQUEST_STATE
    assert "open" in err.value.detail
    with pytest.raises(Conflict):
        node.timebank.requests.confirm(STAFF, "r1", rating=3, comment="")
    assert db_digest(node) == before


def test_check_out_without_funds_is_refused_and_the_visit_stays_open(
        policy_node: PolicyNode, clock: FakeClock) -> None:
    node = policy_node()
    people(node, ("gran", 1940), ("vol", 1990))
    grant(node, "gran", 30)
    with pytest.raises(RuleViolation) as err:
        serve(node, "r1", recipient="gran", volunteer="vol", minutes=60, clock=clock)
    assert err.value.code == ErrorCode.INSUFFICIENT_FUNDS
    assert node.timebank.requests.get(ADMIN, "r1")["state"] == "in_progress"
    grant(node, "gran", 60)  # staff top the account up; the volunteer checks out again
    assert node.timebank.requests.check_out(STAFF, "r1")["held_minutes"] == 60


def test_a_subsidised_member_is_served_from_issuance(policy_node: PolicyNode,
                                                     clock: FakeClock) -> None:
    node = policy_node()
    people(node, ("gran", 1940), ("vol", 1990))
    node.timebank.people.vet(STAFF, "gran", hardship=True, subsidised=True, reason="dibao")
    done = serve(node, "r1", recipient="gran", volunteer="vol", minutes=30, clock=clock)
    assert done["payer"] == "issuance" and done["held_minutes"] == 30
    node.timebank.requests.confirm(SECOND_STAFF, "r1", rating=4, comment="")
    assert balance(node, "gran") == 0 and balance(node, "vol") == 30
    assert held(node, "issuance") == -60  # 30 granted for the care, 30 earned by the volunteer
    assert_sound(node)


def test_members_act_only_for_themselves(policy_node: PolicyNode, clock: FakeClock) -> None:
    node = policy_node()
    people(node, ("gran", 1940), ("vol", 1990), ("other", 1980))
    grant(node, "gran", 60)
    node.timebank.requests.post(member("gran"), request_id="r1", recipient="gran",
                                category="health", item=None, description="clinic")
    with pytest.raises(NodeError) as err:
        node.timebank.requests.accept(member("other"), "r1", volunteer="vol")
    assert err.value.code == ErrorCode.FORBIDDEN
    node.timebank.requests.accept(member("vol"), "r1", volunteer="vol")
    with pytest.raises(NodeError):
        node.timebank.requests.confirm(member("vol"), "r1", rating=5, comment="self-praise")


def test_daily_cap_sends_the_overflow_to_the_pool(policy_node: PolicyNode,
                                                 clock: FakeClock) -> None:
    node = policy_node(policy={"caps": {"daily_minutes": 60, "overflow": "donation_pool"}})
    people(node, ("gran", 1940), ("vol", 1990))
    grant(node, "gran", 300)
    serve(node, "r1", recipient="gran", volunteer="vol", minutes=45, clock=clock)
    node.timebank.requests.confirm(SECOND_STAFF, "r1", rating=5, comment="")
    serve(node, "r2", recipient="gran", volunteer="vol", minutes=45, clock=clock)
    second = node.timebank.requests.confirm(SECOND_STAFF, "r2", rating=5, comment="")
    assert (second["credited_minutes"], second["overflow_minutes"]) == (15, 30)
    assert balance(node, "vol") == 60 and pool(node) == 30
    assert by_class(node, "hardship-pool") == {"donated": 30}
    clock.advance(24 * 3600 * 1000)  # a new day: the cap starts again
    serve(node, "r3", recipient="gran", volunteer="vol", minutes=30, clock=clock)
    assert node.timebank.requests.confirm(SECOND_STAFF, "r3", rating=5, comment="")[
        "credited_minutes"] == 30
    assert_sound(node)


def test_not_credited_overflow_is_issued_to_no_one(policy_node: PolicyNode,
                                                  clock: FakeClock) -> None:
    node = policy_node(policy={"caps": {"daily_minutes": 60, "overflow": "not_credited"}})
    people(node, ("gran", 1940), ("vol", 1990))
    grant(node, "gran", 300)
    serve(node, "r1", recipient="gran", volunteer="vol", minutes=90, clock=clock)
    done = node.timebank.requests.confirm(SECOND_STAFF, "r1", rating=5, comment="")
    assert (done["credited_minutes"], done["overflow_minutes"]) == (60, 30)
    assert balance(node, "vol") == 60 and pool(node) == 0
    assert_sound(node)


def test_volunteer_eligibility_and_self_service(policy_node: PolicyNode,
                                                clock: FakeClock) -> None:
    node = policy_node(policy={"provider": {"min_age": 18}})
    people(node, ("gran", 1940), ("teen", 2012), ("nobirth", None))
    grant(node, "gran", 60)
    node.timebank.requests.post(STAFF, request_id="r1", recipient="gran", category="health",
                                item=None, description="")
    for volunteer, code in (("teen", ErrorCode.NOT_ELIGIBLE), ("nobirth", ErrorCode.AGE_UNKNOWN),
                            ("gran", ErrorCode.SAME_ACCOUNT)):
        with pytest.raises(RuleViolation) as err:
            node.timebank.requests.accept(STAFF, "r1", volunteer=volunteer)
        assert err.value.code == code, volunteer
    assert member_account("gran") == "member:gran"


def test_posting_is_idempotent_by_id(policy_node: PolicyNode) -> None:
    node = policy_node()
    people(node, ("gran", 1940))
    post = node.timebank.requests.post
    first, created = post(STAFF, request_id="r1", recipient="gran", category="health",
                          item=None, description="clinic")
    again, created_again = post(STAFF, request_id="r1", recipient="gran", category="health",
                                item=None, description="clinic")
    assert created and not created_again and first["id"] == again["id"]
    with pytest.raises(Conflict) as err:
        post(STAFF, request_id="r1", recipient="gran", category="health", item=None,
             description="something else")
    assert err.value.code == ErrorCode.SERVICE_REQUEST_ID_CONFLICT
