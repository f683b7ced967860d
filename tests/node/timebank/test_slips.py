"""Visits recorded after the fact from a paper slip (issue 14, item 5): node/timebank/slips.py."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from node.access import Principal, Role
from node.certificates.service import for_node
from node.clock import FakeClock
from node.db.schema import journal_entries
from node.errors import ErrorCode, NodeError
from node.runtime import Node
from node.timebank.slips import Slip
from protocol.credit import CreditClass
from tests.factories import ADMIN, balance
from tests.node.api.support import writes_nothing
from tests.node.timebank.conftest import SECOND_STAFF, STAFF, PolicyNode, member, people, serve
from tests.node.timebank.support import assert_sound, escrow

MINUTE_MS = 60_000
WEST_STAFF = Principal(Role.STAFF, "staff-west", station="west")
SLIP = {"reference": "slip-0042", "reason": "visit written on paper"}


def paper_station(policy_node: PolicyNode, clock: FakeClock, *, minutes: int = 0,
                  actor: Principal = STAFF) -> tuple[Node, int]:
    """gran holds 120 minutes; `actor` runs vol's visit to her in `minutes` of clock time.
    Returns the node and the moment the request was posted."""
    node = policy_node()
    people(node, ("gran", 1940), ("vol", 1990))
    node.grants.create(STAFF, grant_id="g1", local_id="gran", amount_minutes=120,
                       credit_class=CreditClass.GRANTED, reason="care plan")
    posted = clock.now_ms()
    serve(node, "r1", recipient="gran", volunteer="vol", minutes=minutes, clock=clock,
          actor=actor, poster=STAFF)
    clock.advance(180 * MINUTE_MS)
    return node, posted


def record(node: Node, principal: Principal = STAFF, **slip: Any) -> dict[str, Any]:
    return node.timebank.slips.record(principal, "r1", Slip(**{**SLIP, **slip}))


def test_a_slip_turns_a_zero_minute_visit_into_a_paid_one(policy_node: PolicyNode,
                                                         clock: FakeClock) -> None:
    node, posted = paper_station(policy_node, clock)
    assert node.timebank.requests.get(ADMIN, "r1")["held_minutes"] == 0
    recorded = record(node, checked_in_at_ms=posted + 30 * MINUTE_MS,
                      checked_out_at_ms=posted + 90 * MINUTE_MS)
    assert recorded["duration_minutes"] == 60 and recorded["held_minutes"] == 60
    assert recorded["checked_in_at_ms"] == posted + 30 * MINUTE_MS
    assert recorded["history"][-1]["action"] == "slip_recorded"
    assert "slip-0042" in recorded["history"][-1]["detail"]
    assert balance(node, "gran") == 60 and escrow(node) == 60
    with pytest.raises(NodeError) as err:  # the recorder is not the second person
        node.timebank.requests.confirm(STAFF, "r1", rating=5, comment="")
    assert err.value.code == ErrorCode.SEPARATION_OF_DUTIES
    paid = node.timebank.requests.confirm(SECOND_STAFF, "r1", rating=5, comment="")
    assert paid["state"] == "paid" and paid["credited_minutes"] == 60
    assert balance(node, "vol") == 60 and escrow(node) == 0
    assert_sound(node)


def test_a_slip_corrects_a_held_visit_and_the_elder_confirms(policy_node: PolicyNode,
                                                            clock: FakeClock) -> None:
    node, _ = paper_station(policy_node, clock, minutes=45, actor=member("vol"))
    assert balance(node, "gran") == 75 and escrow(node) == 45
    recorded = record(node, duration_minutes=30)
    assert recorded["duration_minutes"] == 30 and recorded["held_minutes"] == 30
    assert balance(node, "gran") == 90 and escrow(node) == 30
    node.timebank.requests.confirm(member("gran"), "r1", rating=4, comment="")
    assert balance(node, "vol") == 30 and balance(node, "gran") == 90
    assert_sound(node)


BAD_SLIPS: list[dict[str, int]] = [
    {"duration_minutes": 481},  # past service.duration_max_minutes (480)
    {"duration_minutes": 0},
    {"duration_minutes": 30, "checked_in_at_ms": 0},  # both forms
    {"checked_in_at_ms": 0},  # one time only
    {"checked_in_at_ms": 10 * MINUTE_MS, "checked_out_at_ms": 200 * MINUTE_MS},  # future
    {"checked_in_at_ms": 60 * MINUTE_MS, "checked_out_at_ms": 60 * MINUTE_MS},  # not after
    {"checked_in_at_ms": -MINUTE_MS, "checked_out_at_ms": 30 * MINUTE_MS},  # before posting
]


def test_slips_outside_the_bounds_are_refused(policy_node: PolicyNode, clock: FakeClock) -> None:
    node, posted = paper_station(policy_node, clock)
    for slip in BAD_SLIPS:
        shifted = {key: posted + value if key.endswith("_ms") else value
                   for key, value in slip.items()}
        with writes_nothing(node), pytest.raises(NodeError) as err:
            record(node, **shifted)
        assert err.value.code == ErrorCode.SLIP_OUT_OF_BOUNDS, (slip, err.value.detail)


def test_only_the_elders_station_records_and_only_before_payment(policy_node: PolicyNode,
                                                                 clock: FakeClock) -> None:
    node, _ = paper_station(policy_node, clock)
    for outsider in (WEST_STAFF, member("gran"), member("vol")):
        with writes_nothing(node), pytest.raises(NodeError) as err:
            record(node, outsider, duration_minutes=30)
        assert err.value.code == ErrorCode.FORBIDDEN
    node.timebank.requests.confirm(member("gran"), "r1", rating=5, comment="")
    with writes_nothing(node), pytest.raises(NodeError) as err:
        record(node, ADMIN, duration_minutes=30)
    assert err.value.code == ErrorCode.SERVICE_REQUEST_STATE


@pytest.mark.parametrize(("clock_minutes", "slip_minutes"),
                         [(0, 1), (0, 480), (45, 44), (120, 7)])
def test_hours_are_conserved_through_record_and_confirm(policy_node: PolicyNode,
                                                        clock: FakeClock, clock_minutes: int,
                                                        slip_minutes: int) -> None:
    """Whatever the clock measured and the slip says, the elder pays exactly what the volunteer
    earns (no caps in the default policy), escrow ends empty and every entry balances."""
    node, _ = paper_station(policy_node, clock, minutes=clock_minutes, actor=member("vol"))
    node.grants.create(STAFF, grant_id="g2", local_id="gran", amount_minutes=480,
                       credit_class=CreditClass.GRANTED, reason="long visits")
    before = balance(node, "gran")
    held_before = escrow(node)
    recorded = record(node, duration_minutes=slip_minutes)
    node.timebank.requests.confirm(member("gran"), "r1", rating=5, comment="")
    spent = before + held_before - balance(node, "gran")
    assert spent == recorded["price_minutes"] == balance(node, "vol")
    assert escrow(node) == 0
    assert_sound(node)


def test_a_re_timed_visit_is_paid_and_certified_once(policy_node: PolicyNode,
                                                     clock: FakeClock) -> None:
    """The slip gives the old hold back as a `service_rehold` entry, not a settlement: the
    elder's refund is not service she supplied, and the volunteer's certificate counts the
    visit once, when it is paid."""
    node, _ = paper_station(policy_node, clock, minutes=45, actor=member("vol"))
    record(node, duration_minutes=30)
    certificates = for_node(node)
    held = certificates.issue(ADMIN, "vol", from_ms=0, to_ms=None)["document"]
    assert (held["visits"], held["total_minutes"]) == (0, 0)  # re-timed, not yet paid
    node.timebank.requests.confirm(member("gran"), "r1", rating=4, comment="")
    clock.advance(MINUTE_MS)  # a period ends before the moment it is issued
    with node.db.read() as conn:
        kinds = list(conn.execute(select(journal_entries.c.kind).where(
            journal_entries.c.ref == "r1").order_by(journal_entries.c.height)).scalars())
    assert kinds == ["service_hold", "service_rehold", "service_hold", "service_settle"]
    paid = certificates.issue(ADMIN, "vol", from_ms=0, to_ms=None)["document"]
    assert (paid["visits"], paid["total_minutes"]) == (1, 30)
