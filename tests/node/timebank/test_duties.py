"""Separation of duties on the paying step and the subsidy cap (issue 12, finding 6).

One staff token could grant an elder of its station hours (or vet her as subsidised), post a
request for her, accept it for a volunteer, check in and out, and confirm: earned hours minted
by one principal. Now the payment is approved by the recipient, another staff member or an
admin, never by whoever acted for the volunteer; and each station's subsidised releases are
capped per local day.
"""

from __future__ import annotations

import pytest

from node.access import Principal, Role
from node.clock import FakeClock
from node.errors import AuthError, Conflict, ErrorCode
from node.runtime import Node
from node.timebank.common import DAY_MS, day_start_ms
from node.timebank.disputes import Outcome
from protocol.credit import CreditClass
from tests.factories import ADMIN, balance, grant
from tests.node.api.support import writes_nothing
from tests.node.timebank.conftest import (
    SECOND_STAFF,
    STAFF,
    PolicyNode,
    member,
    people,
    serve,
    visit_code,
)
from tests.node.timebank.support import assert_sound, escrow

HOUR_MS = 3_600_000
WEST_STAFF = Principal(Role.STAFF, "staff-west", station="west")
OTHER_ADMIN = Principal(Role.ADMIN, "second-admin")


def refused_as(node: Node, code: ErrorCode, call: object, *args: object,
               **kwargs: object) -> None:
    """The call is refused with `code` and writes nothing."""
    assert callable(call)
    with writes_nothing(node), pytest.raises((AuthError, Conflict)) as err:
        call(*args, **kwargs)
    assert err.value.code == code, err.value.detail


def test_one_staff_token_cannot_pay_for_a_visit_it_served(policy_node: PolicyNode,
                                                         clock: FakeClock) -> None:
    node = policy_node()
    people(node, ("gran", 1940), ("vol", 1990))
    node.grants.create(STAFF, grant_id="g1", local_id="gran", amount_minutes=120,
                       credit_class=CreditClass.GRANTED, reason="care plan")
    serve(node, "r1", recipient="gran", volunteer="vol", minutes=45, clock=clock)
    refused_as(node, ErrorCode.SEPARATION_OF_DUTIES, node.timebank.requests.confirm, STAFF,
               "r1", rating=5, comment="")
    assert balance(node, "vol") == 0 and escrow(node) == 45
    paid = node.timebank.requests.confirm(member("gran"), "r1", rating=5, comment="")
    assert paid["state"] == "paid" and paid["confirmed_by"] == "member:gran"
    assert balance(node, "vol") == 45
    assert_sound(node)


@pytest.mark.parametrize("approver", [member("gran"), SECOND_STAFF, ADMIN],
                         ids=["recipient", "second_staff", "admin"])
def test_a_subsidised_visit_served_by_one_token_is_paid_only_on_another_s_word(
        policy_node: PolicyNode, clock: FakeClock, approver: Principal) -> None:
    node = policy_node()
    people(node, ("gran", 1940), ("vol", 1990))
    node.timebank.people.vet(STAFF, "gran", hardship=True, subsidised=True, reason="dibao")
    serve(node, "r1", recipient="gran", volunteer="vol", minutes=30, clock=clock)
    refused_as(node, ErrorCode.SEPARATION_OF_DUTIES, node.timebank.requests.confirm, STAFF,
               "r1", rating=5, comment="")
    paid = node.timebank.requests.confirm(approver, "r1", rating=4, comment="")
    assert paid["state"] == "paid" and paid["confirmed_by"] == approver.actor
    assert balance(node, "vol") == 30
    assert_sound(node)


@pytest.mark.parametrize("server_step", ["accept", "check_in", "check_out"])
def test_any_volunteer_side_step_bars_its_principal_from_paying(
        policy_node: PolicyNode, clock: FakeClock, server_step: str) -> None:
    """The volunteer acts on their phone, except for one step staff take for them."""
    node = policy_node()
    people(node, ("gran", 1940), ("vol", 1990))
    grant(node, "gran", 120)
    requests, vol = node.timebank.requests, member("vol")
    requests.post(STAFF, request_id="r1", recipient="gran", category="health", item=None,
                  description="")
    requests.accept(STAFF if server_step == "accept" else vol, "r1", volunteer="vol")
    if server_step == "check_in":
        requests.check_in(STAFF, "r1")
    else:
        requests.check_in(vol, "r1", code=visit_code(node, "gran"))
    clock.advance(30 * 60_000)
    requests.check_out(STAFF if server_step == "check_out" else vol, "r1")
    refused_as(node, ErrorCode.SEPARATION_OF_DUTIES, requests.confirm, STAFF, "r1", rating=5,
               comment="")
    assert requests.confirm(SECOND_STAFF, "r1", rating=5, comment="")["state"] == "paid"


def test_staff_confirm_for_an_elder_when_the_volunteer_acted_alone(
        policy_node: PolicyNode, clock: FakeClock) -> None:
    """Posting for an elder is on the payer's side: the desk still confirms for her."""
    node = policy_node()
    people(node, ("gran", 1940), ("vol", 1990))
    grant(node, "gran", 120)
    serve(node, "r1", recipient="gran", volunteer="vol", minutes=30, clock=clock,
          actor=member("vol"), poster=STAFF)
    assert node.timebank.requests.confirm(STAFF, "r1", rating=5, comment="")["state"] == "paid"


def test_an_admin_who_served_does_not_pay_either(policy_node: PolicyNode,
                                                clock: FakeClock) -> None:
    node = policy_node()
    people(node, ("gran", 1940), ("vol", 1990))
    grant(node, "gran", 120)
    serve(node, "r1", recipient="gran", volunteer="vol", minutes=30, clock=clock, actor=ADMIN)
    refused_as(node, ErrorCode.SEPARATION_OF_DUTIES, node.timebank.requests.confirm, ADMIN,
               "r1", rating=5, comment="")
    assert node.timebank.requests.confirm(OTHER_ADMIN, "r1", rating=5, comment="")[
        "state"] == "paid"


def test_a_dispute_resolution_that_pays_obeys_the_same_rule(policy_node: PolicyNode,
                                                           clock: FakeClock) -> None:
    node = policy_node()
    people(node, ("gran", 1940), ("vol", 1990))
    grant(node, "gran", 120)
    disputes = node.timebank.disputes
    for request_id in ("r1", "r2"):
        serve(node, request_id, recipient="gran", volunteer="vol", minutes=40, clock=clock)
        disputes.complain(STAFF, request_id, reason="my own complaint")
    for outcome, released in ((Outcome.RELEASE, None), (Outcome.PARTIAL, 10)):
        refused_as(node, ErrorCode.SEPARATION_OF_DUTIES, disputes.resolve, STAFF, "r1",
                   outcome=outcome, released_minutes=released, reason="pay me")
    # A refund pays no one: the principal that served may make it.
    refunded = disputes.resolve(STAFF, "r2", outcome=Outcome.REFUND, released_minutes=None,
                                reason="no-show")
    assert refunded["state"] == "refunded"
    paid = disputes.resolve(SECOND_STAFF, "r1", outcome=Outcome.PARTIAL, released_minutes=10,
                            reason="half done")
    assert paid["state"] == "paid" and balance(node, "vol") == 10
    assert balance(node, "gran") == 120 - 10
    assert_sound(node)


# A cap of two hours a station-day; visits are counted at most an hour, so one always fits.
CAPPED = {"caps": {"station_subsidised_daily_minutes": 120},
          "service": {"duration_max_minutes": 60}}


def at_local_hour(node: Node, clock: FakeClock, hour: int) -> None:
    """Move the clock forward to `hour` o'clock of the policy's local day (today or tomorrow)."""
    now = clock.now_ms()
    target = day_start_ms(now, node.timebank.policy) + hour * HOUR_MS
    clock.advance(target - now if target > now else target + DAY_MS - now)


def test_the_subsidy_cap_refuses_the_visit_past_it_until_the_next_local_day(
        policy_node: PolicyNode, clock: FakeClock) -> None:
    node = policy_node(policy=CAPPED)
    people(node, ("gran", 1940), ("pop", 1942), ("vol", 1990))
    people(node, ("sue", 1938), ("ann", 1985), station="west")
    for local_id, staff in (("gran", STAFF), ("pop", STAFF), ("sue", WEST_STAFF)):
        node.timebank.people.vet(staff, local_id, hardship=False, subsidised=True,
                                 reason="dibao")
    confirm = node.timebank.requests.confirm
    at_local_hour(node, clock, 21)
    # Another station's subsidised visit has its own count.
    serve(node, "w1", recipient="sue", volunteer="ann", minutes=30, clock=clock,
          actor=WEST_STAFF)
    assert confirm(ADMIN, "w1", rating=5, comment="")["state"] == "paid"
    for request_id, recipient, minutes in (("r1", "gran", 60), ("r2", "pop", 45),
                                           ("r3", "gran", 15)):
        serve(node, request_id, recipient=recipient, volunteer="vol", minutes=minutes,
              clock=clock)
        confirm(SECOND_STAFF, request_id, rating=5, comment="")  # 120 released: at the cap
    serve(node, "r4", recipient="pop", volunteer="vol", minutes=20, clock=clock)  # 23:50
    refused_at_ms = clock.now_ms()
    refused_as(node, ErrorCode.SUBSIDY_CAP_EXCEEDED, confirm, SECOND_STAFF, "r4", rating=5,
               comment="")
    assert node.timebank.requests.get(ADMIN, "r4")["state"] == "completed"
    assert escrow(node) == 20 and balance(node, "vol") == 120
    # 00:10 local time (UTC+8): a new local day, though still the same UTC date.
    clock.advance(20 * 60_000)
    assert clock.now_ms() // DAY_MS == refused_at_ms // DAY_MS
    paid = confirm(SECOND_STAFF, "r4", rating=5, comment="")
    assert paid["state"] == "paid" and paid["released_minutes"] == 20
    assert balance(node, "vol") == 140 and escrow(node) == 0
    assert_sound(node)


def test_a_paying_resolution_counts_against_the_subsidy_cap(policy_node: PolicyNode,
                                                           clock: FakeClock) -> None:
    node = policy_node(policy=CAPPED)
    people(node, ("gran", 1940), ("vol", 1990))
    node.timebank.people.vet(STAFF, "gran", hardship=False, subsidised=True, reason="dibao")
    at_local_hour(node, clock, 8)
    disputes = node.timebank.disputes
    for request_id in ("r1", "r2", "r3"):
        serve(node, request_id, recipient="gran", volunteer="vol", minutes=50, clock=clock)
        disputes.complain(member("gran"), request_id, reason="late")
    disputes.resolve(SECOND_STAFF, "r1", outcome=Outcome.RELEASE, released_minutes=None,
                     reason="fine")
    disputes.resolve(SECOND_STAFF, "r2", outcome=Outcome.PARTIAL, released_minutes=40,
                     reason="most of it")  # 90 of 120 released today
    refused_as(node, ErrorCode.SUBSIDY_CAP_EXCEEDED, disputes.resolve, SECOND_STAFF, "r3",
               outcome=Outcome.RELEASE, released_minutes=None, reason="fine")
    assert disputes.resolve(SECOND_STAFF, "r3", outcome=Outcome.PARTIAL, released_minutes=30,
                            reason="to the cap")["released_minutes"] == 30
    assert balance(node, "vol") == 120
    assert_sound(node)
