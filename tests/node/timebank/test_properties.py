"""Hours are conserved over any sequence of service-cycle and dispute operations.

After every sequence: the ledger verifies and sums to zero; escrow holds exactly the payments of
requests still completed or disputed; everything released was redeemed, everything held and not
released went back; every released minute was issued to the volunteer or counted as overflow
(in the pool when the policy donates it); the recipient's hours went nowhere else. No payment
was approved by a principal that acted for the volunteer, and no station released more
subsidised minutes in a local day than its cap.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from node.clock import FakeClock
from node.db.schema import tb_audit, tb_service_requests
from node.errors import NodeError
from node.timebank.common import day_start_ms
from node.timebank.disputes import Outcome
from node.timebank.policy import DEFAULT_POLICY
from node.timebank.requests import VOLUNTEER_STEPS
from tests.factories import balance, grant
from tests.node.timebank.conftest import SECOND_STAFF, STAFF, people
from tests.node.timebank.support import assert_sound, escrow, held, pool
from tests.support import START_MS, build_node, make_config

GRANT_MINUTES = 600
Op = tuple[str, int, int]  # (step, request index, amount)
STEPS = ("serve", "confirm", "complain", "release", "refund", "partial", "cancel", "self_pay")
PAYING = ("confirmed", "resolved_release", "resolved_partial")
# How a request's story ends: each is a run of steps on one request.
ENDINGS = {
    "open": ("serve",), "confirmed": ("serve", "confirm"), "frozen": ("serve", "complain"),
    "released": ("serve", "complain", "release"), "refunded": ("serve", "complain", "refund"),
    "split": ("serve", "complain", "partial"), "cancelled": ("cancel",),
    "self_paid_refused": ("serve", "self_pay", "confirm"),
}
STORIES = st.lists(st.tuples(st.sampled_from(sorted(ENDINGS)), st.integers(1, 200)),
                   max_size=8)
# Stray steps on any request, in any state: most are refused and must write nothing.
STRAYS = st.lists(st.tuples(st.sampled_from(STEPS), st.integers(0, 7), st.integers(1, 200)),
                  max_size=6)


def operations(stories: list[tuple[str, int]], strays: list[Op]) -> list[Op]:
    ops = [(step, index, minutes) for index, (ending, minutes) in enumerate(stories)
           for step in ENDINGS[ending]]
    return ops + strays
POLICIES = st.fixed_dictionaries({
    "unit": st.fixed_dictionaries({"step_minutes": st.sampled_from([1, 15, 30])}),
    "caps": st.fixed_dictionaries({
        "daily_minutes": st.none() | st.sampled_from([60, 120]),
        "balance_minutes": st.none() | st.just(6_000),
        "overflow": st.sampled_from(["donation_pool", "not_credited"]),
        # 480: one longest visit a day, so the cap refuses releases in many sequences.
        "station_subsidised_daily_minutes": st.sampled_from([480, 2_400]),
    }),
})


def apply(node: Any, clock: FakeClock, op: Op, subsidised: bool) -> None:
    step, index, amount = op
    request_id = f"r{index}"
    requests, disputes = node.timebank.requests, node.timebank.disputes
    # STAFF serves every visit; SECOND_STAFF approves payments. STAFF's own attempt to pay
    # (self_pay) must be refused whatever the request's state.
    if step == "serve":
        requests.post(STAFF, request_id=request_id, recipient="sub" if subsidised else "gran",
                      category="daily_living", item=None, description="")
        requests.accept(STAFF, request_id, volunteer="vol")
        requests.check_in(STAFF, request_id)
        clock.advance(amount * 60_000)
        requests.check_out(STAFF, request_id)
    elif step == "confirm":
        requests.confirm(SECOND_STAFF, request_id, rating=1 + amount % 5, comment="")
    elif step == "self_pay":
        refused = False
        try:
            requests.confirm(STAFF, request_id, rating=5, comment="")
        except NodeError:
            refused = True
        assert refused, f"the server of {request_id} approved its payment"
    elif step == "complain":
        disputes.complain(STAFF, request_id, reason="late")
    elif step == "cancel":
        requests.cancel(STAFF, request_id, reason="not needed")
    else:
        disputes.resolve(SECOND_STAFF, request_id, outcome=Outcome(step),
                         released_minutes=amount if step == "partial" else None,
                         reason="staff decided")


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(policy=POLICIES, stories=STORIES, strays=STRAYS, subsidised=st.booleans())
def test_hours_are_conserved_over_any_service_and_dispute_sequence(
        policy: dict[str, Any], stories: list[tuple[str, int]], strays: list[Op],
        subsidised: bool) -> None:
    ops = operations(stories, strays)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "sh-pudong"
        config = make_config(data, "sh-pudong")
        (data / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
        clock = FakeClock(START_MS)
        node = build_node(config.model_copy(update={"policy_file": "policy.json"}), clock,
                          bootstrap=True)
        try:
            people(node, ("gran", 1940), ("vol", 1990), ("sub", 1935))
            grant(node, "gran", GRANT_MINUTES)
            node.timebank.people.vet(STAFF, "sub", hardship=True, subsidised=True, reason="x")
            for op in ops:
                # A refused step writes nothing; the books must still add up.
                with contextlib.suppress(NodeError):
                    apply(node, clock, op, subsidised)
            check_books(node, policy)
        finally:
            node.close()


def check_books(node: Any, policy: dict[str, Any]) -> None:
    assert_sound(node)
    with node.db.read() as conn:
        rows = list(conn.execute(select(tb_service_requests)))
    open_holds = sum(r.held_minutes or 0 for r in rows if r.state in ("completed", "disputed"))
    assert escrow(node) == open_holds
    settled = [r for r in rows if r.settled_at_ms is not None]
    for r in settled:
        assert r.released_minutes + r.refunded_minutes == (r.held_minutes or 0)
        assert r.credited_minutes + r.overflow_minutes == r.released_minutes
    released = sum(r.released_minutes for r in settled)
    credited = sum(r.credited_minutes for r in settled)
    overflow = sum(r.overflow_minutes for r in settled)
    assert held(node, "redemption") == released
    assert balance(node, "vol") == credited
    donated = overflow if policy["caps"]["overflow"] == "donation_pool" else 0
    assert pool(node) == donated
    paid_by_gran = sum((r.held_minutes or 0) - (r.refunded_minutes or 0)
                       for r in rows if r.payer == "recipient" and r.hold_entry_height)
    assert balance(node, "gran") == GRANT_MINUTES - paid_by_gran
    assert balance(node, "sub") == 0
    if policy["caps"]["balance_minutes"] is not None:
        assert balance(node, "vol") <= policy["caps"]["balance_minutes"]
    check_duties(node, rows, policy)


def check_duties(node: Any, rows: list[Any], policy: dict[str, Any]) -> None:
    """No payment approved by a volunteer-side actor; subsidised releases within the day's cap."""
    with node.db.read() as conn:
        trail = list(conn.execute(select(tb_audit)))
    for r in rows:
        steps = [a for a in trail if a.subject == f"request:{r.id}"]
        served = {a.actor for a in steps if a.action in VOLUNTEER_STEPS}
        assert not served & {a.actor for a in steps if a.action in PAYING}, r.id
    by_day: dict[int, int] = {}
    for r in rows:
        if r.payer == "issuance" and r.settled_at_ms is not None:
            day = day_start_ms(r.settled_at_ms, DEFAULT_POLICY)  # the default's offset
            by_day[day] = by_day.get(day, 0) + r.released_minutes
    cap = policy["caps"]["station_subsidised_daily_minutes"]
    assert all(minutes <= cap for minutes in by_day.values()), by_day
