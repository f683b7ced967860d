"""A slip sent again, a second slip, and a visit never checked in recorded whole from its slip
(node/timebank/slips.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from node.clock import FakeClock
from node.db.schema import journal_entries
from node.errors import ErrorCode, NodeError
from node.runtime import Node
from protocol.credit import CreditClass
from tests.factories import ADMIN, balance
from tests.node.api.support import writes_nothing
from tests.node.timebank.conftest import SECOND_STAFF, STAFF, PolicyNode, member, people
from tests.node.timebank.support import assert_sound, escrow
from tests.node.timebank.test_slips import MINUTE_MS, paper_station, record


def kinds(node: Node, request_id: str = "r1") -> list[str]:
    with node.db.read() as conn:
        return list(conn.execute(select(journal_entries.c.kind).where(
            journal_entries.c.ref == request_id).order_by(journal_entries.c.height)).scalars())


def test_the_same_slip_again_is_a_replay_that_writes_nothing(policy_node: PolicyNode,
                                                            clock: FakeClock) -> None:
    node, _ = paper_station(policy_node, clock, minutes=45, actor=member("vol"))
    first = record(node, duration_minutes=30)
    with writes_nothing(node):
        again = record(node, duration_minutes=30)
    assert again == first
    assert kinds(node) == ["service_hold", "service_rehold", "service_hold"]
    assert balance(node, "gran") == 90 and escrow(node) == 30
    assert_sound(node)


def test_a_different_slip_replaces_the_first_with_a_clean_re_hold(policy_node: PolicyNode,
                                                                  clock: FakeClock) -> None:
    node, _ = paper_station(policy_node, clock, minutes=45, actor=member("vol"))
    record(node, duration_minutes=30)
    second = record(node, reference="slip-0043", duration_minutes=60)
    assert second["held_minutes"] == 60 and escrow(node) == 60 and balance(node, "gran") == 60
    assert "replaces slip slip-0042" in second["history"][-1]["detail"]
    assert kinds(node) == ["service_hold", "service_rehold", "service_hold", "service_rehold",
                           "service_hold"]
    node.timebank.requests.confirm(SECOND_STAFF, "r1", rating=5, comment="")
    assert balance(node, "vol") == 60
    with writes_nothing(node):  # the paid visit's slip, sent again, still replays
        assert record(node, reference="slip-0043", duration_minutes=60)["state"] == "paid"
    assert_sound(node)


def _taken(policy_node: PolicyNode, clock: FakeClock) -> tuple[Node, int]:
    node = policy_node()
    people(node, ("gran", 1940), ("vol", 1990))
    node.grants.create(STAFF, grant_id="g1", local_id="gran", amount_minutes=120,
                       credit_class=CreditClass.GRANTED, reason="care plan")
    posted = clock.now_ms()
    node.timebank.requests.post(STAFF, request_id="r1", recipient="gran",
                                category="daily_living", item=None, description="")
    node.timebank.requests.accept(STAFF, "r1", volunteer="vol")
    clock.advance(180 * MINUTE_MS)
    return node, posted


def test_a_visit_never_checked_in_is_recorded_whole_then_confirmed(policy_node: PolicyNode,
                                                                   clock: FakeClock) -> None:
    node, posted = _taken(policy_node, clock)
    recorded = record(node, ADMIN, checked_in_at_ms=posted + 10 * MINUTE_MS,
                      checked_out_at_ms=posted + 55 * MINUTE_MS)
    assert recorded["state"] == "completed" and recorded["held_minutes"] == 45
    assert recorded["checked_in_at_ms"] == posted + 10 * MINUTE_MS
    assert "never checked in" in recorded["history"][-1]["detail"]
    with pytest.raises(NodeError) as err:
        node.timebank.requests.confirm(ADMIN, "r1", rating=5, comment="")
    assert err.value.code == ErrorCode.SEPARATION_OF_DUTIES
    paid = node.timebank.requests.confirm(member("gran"), "r1", rating=5, comment="")
    assert paid["state"] == "paid" and balance(node, "vol") == 45
    assert kinds(node) == ["service_hold", "service_settle"]
    assert_sound(node)


def test_a_visit_never_checked_in_keeps_the_bounds(policy_node: PolicyNode,
                                                  clock: FakeClock) -> None:
    node, _ = _taken(policy_node, clock)
    with writes_nothing(node), pytest.raises(NodeError) as err:
        record(node, duration_minutes=481)
    assert err.value.code == ErrorCode.SLIP_OUT_OF_BOUNDS
    node.timebank.requests.cancel(member("gran"), "r1", reason="not needed")
    with writes_nothing(node), pytest.raises(NodeError) as err:
        record(node, duration_minutes=30)
    assert err.value.code == ErrorCode.SERVICE_REQUEST_STATE
