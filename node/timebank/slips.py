"""Visits recorded after the fact, from a paper slip (docs/timebank.md, "Visits recorded from
paper slips").

A station whose volunteers carry paper slips checks a visit out when the slip comes back, so the
node's clock measures nothing (0 minutes). Staff of the elder's station (or an admin) then
record the slip's check-in and check-out times, or its duration, with a reason and the slip's
reference. Only a completed visit not yet paid is recorded: the recorded duration replaces the
clock's, is rounded and priced as at check-out (node/timebank/settle.py), and the hold follows
it (the old hold is refunded, the new one taken, two journal entries, none edited).

Separation of duties: recording is a step on the volunteer's side (`slip_recorded` is one of
requests.VOLUNTEER_STEPS), so whoever recorded a slip never confirms it: the elder, another
staff member or an admin does, by the ordinary confirm step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from node.access import Principal, Role, deny
from node.errors import ErrorCode, RuleViolation
from node.timebank import settle
from node.timebank.common import MINUTE_MS, TimebankEntry, audit, ensure_accounts
from node.timebank.requests import COMPLETED, ServiceRequests, subject


@dataclass(frozen=True)
class Slip:
    """What a paper slip says: both times (epoch ms), or only a duration."""

    reference: str
    reason: str
    checked_in_at_ms: int | None = None
    checked_out_at_ms: int | None = None
    duration_minutes: int | None = None


def _out_of_bounds(message: str) -> RuleViolation:
    return RuleViolation(ErrorCode.SLIP_OUT_OF_BOUNDS, message)


def slip_minutes(slip: Slip, *, posted_at_ms: int, now_ms: int, longest: int) -> int:
    """The slip's duration in whole minutes, or 422 slip_out_of_bounds."""
    times = (slip.checked_in_at_ms, slip.checked_out_at_ms)
    if slip.duration_minutes is not None:
        if times != (None, None):
            raise _out_of_bounds("give the slip's two times or its duration, not both")
        minutes = slip.duration_minutes
    else:
        start, end = times
        if start is None or end is None:
            raise _out_of_bounds("give both the check-in and the check-out time, or a duration")
        if end > now_ms:
            raise _out_of_bounds("the check-out time is in the future")
        if end <= start:
            raise _out_of_bounds("the check-out time is not after the check-in time")
        if start < posted_at_ms:
            raise _out_of_bounds("the check-in time is before the request was posted")
        minutes = (end - start) // MINUTE_MS
    if not 1 <= minutes <= longest:
        raise _out_of_bounds(f"{minutes} minutes is not between 1 and the policy's "
                             f"{longest} (service.duration_max_minutes)")
    return minutes


class Slips:
    def __init__(self, requests: ServiceRequests) -> None:
        self.requests = requests

    def record(self, principal: Principal, request_id: str, slip: Slip) -> dict[str, Any]:
        """Re-time and re-price a completed, unpaid visit from its paper slip."""
        requests, policy = self.requests, self.requests.policy
        now_ms = requests.clock.now_ms()
        with requests.db.write() as conn:
            row = requests._load(conn, request_id)
            staff_here = principal.role == Role.STAFF and principal.station == row.station
            if not (staff_here or principal.role == Role.ADMIN):
                raise deny(principal, f"record a paper slip for request {request_id}")
            requests._require_state(row, COMPLETED, "recorded from a slip")
            minutes = slip_minutes(slip, posted_at_ms=int(row.created_at_ms), now_ms=now_ms,
                                   longest=policy.service.duration_max_minutes)
            rounded = settle.round_duration(minutes, policy.unit.step_minutes, policy.rounding)
            amount = settle.price(policy, category=row.category, item=row.item,
                                  rounded_minutes=rounded)
            memo = f"service {request_id} re-priced from paper slip"
            if row.held_minutes:
                settle.settle(conn, requests.ledger, policy, row=row, released=0,
                              actor=principal.actor, memo=memo, now_ms=now_ms,
                              kind=TimebankEntry.SERVICE_REHOLD)
            height = None
            if amount:
                ensure_accounts(conn, requests.ledger, now_ms)
                height = settle.hold(conn, requests.ledger, payer=row.payer,
                                     recipient=row.recipient_local_id, amount_minutes=amount,
                                     request_id=request_id, actor=principal.actor,
                                     now_ms=now_ms).height
            times = {} if slip.duration_minutes is not None else {
                "checked_in_at_ms": slip.checked_in_at_ms,
                "checked_out_at_ms": slip.checked_out_at_ms}
            requests._set(conn, request_id, now_ms, duration_minutes=minutes,
                          rounded_minutes=rounded, price_minutes=amount, held_minutes=amount,
                          hold_entry_height=height, **times)
            audit(conn, subject=subject(request_id), action="slip_recorded",
                  actor=principal.actor,
                  detail=f"slip {slip.reference}: {slip.reason}; {minutes} min on the slip, "
                  f"{rounded} recorded, {amount} held (was {int(row.held_minutes or 0)})",
                  now_ms=now_ms, entry_height=height)
            return requests._view(conn, requests._load(conn, request_id))
