"""Visits recorded after the fact, from a paper slip (docs/timebank.md, "Visits recorded from
paper slips").

A station whose volunteers carry paper slips checks a visit out when the slip comes back, so the
node's clock measures nothing (0 minutes). Staff of the elder's station (or an admin) then
record the slip's check-in and check-out times, or its duration, with a reason and the slip's
reference. Only a completed visit not yet paid is recorded: the recorded duration replaces the
clock's, is rounded and priced as at check-out (node/timebank/settle.py), and the hold follows
it (the old hold is refunded, the new one taken, two journal entries, none edited).

A visit that was never checked in (the request is only `accepted`) is recorded whole the same
way: the slip's times or duration complete it, its price is held, and it waits for confirmation.

The same slip sent again (same reference, reason, times or duration) is a replay: it answers
with the request as it stands and writes nothing. A different slip for a visit not yet paid
replaces the first cleanly (its hold refunded, a new one taken, the trail naming both slips);
after payment only a correction changes it (node/timebank/corrections.py).

Separation of duties: recording is a step on the volunteer's side (`slip_recorded` is one of
requests.VOLUNTEER_STEPS), so whoever recorded a slip never confirms it: the elder, another
staff member or an admin does, by the ordinary confirm step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from node.access import Principal, Role, deny
from node.db.schema import tb_slip_records
from node.errors import ErrorCode, RuleViolation
from node.services.idempotency import request_hash
from node.timebank import settle
from node.timebank.common import MINUTE_MS, TimebankEntry, audit, ensure_accounts
from node.timebank.requests import ACCEPTED, COMPLETED, ServiceRequests, subject


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


def slip_hash(slip: Slip) -> str:
    """What makes two recordings the same slip: every field it carries."""
    return request_hash(asdict(slip))


def _previous(conn: Connection, request_id: str) -> Any:
    return conn.execute(select(tb_slip_records).where(
        tb_slip_records.c.request_id == request_id)).one_or_none()


def _remember(conn: Connection, request_id: str, slip: Slip, actor: str, now_ms: int) -> None:
    conn.execute(delete(tb_slip_records).where(tb_slip_records.c.request_id == request_id))
    conn.execute(insert(tb_slip_records).values(
        request_id=request_id, slip_hash=slip_hash(slip), reference=slip.reference,
        recorded_by=actor, recorded_at_ms=now_ms))


class Slips:
    def __init__(self, requests: ServiceRequests) -> None:
        self.requests = requests

    def record(self, principal: Principal, request_id: str, slip: Slip) -> dict[str, Any]:
        """Re-time and re-price a completed, unpaid visit from its paper slip, or record whole
        a visit that was accepted and never checked in. The same slip again writes nothing."""
        requests = self.requests
        now_ms = requests.clock.now_ms()
        with requests.db.write() as conn:
            row = requests._load(conn, request_id)
            staff_here = principal.role == Role.STAFF and principal.station == row.station
            if not (staff_here or principal.role == Role.ADMIN):
                raise deny(principal, f"record a paper slip for request {request_id}")
            previous = _previous(conn, request_id)
            if previous is not None and previous.slip_hash == slip_hash(slip):
                return requests._view(conn, row)  # a replay: the slip is recorded already
            requests._require_state(row, (ACCEPTED, COMPLETED), "recorded from a slip")
            self._apply(conn, principal, row, slip, previous, now_ms)
            return requests._view(conn, requests._load(conn, request_id))

    def _apply(self, conn: Connection, principal: Principal, row: Any, slip: Slip,
               previous: Any, now_ms: int) -> None:
        requests, policy, request_id = self.requests, self.requests.policy, str(row.id)
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
        times: dict[str, Any] = {} if slip.duration_minutes is not None else {
            "checked_in_at_ms": slip.checked_in_at_ms,
            "checked_out_at_ms": slip.checked_out_at_ms}
        never_checked_in = row.state == ACCEPTED
        if never_checked_in:
            times["state"] = COMPLETED
        requests._set(conn, request_id, now_ms, duration_minutes=minutes,
                      rounded_minutes=rounded, price_minutes=amount, held_minutes=amount,
                      hold_entry_height=height, **times)
        _remember(conn, request_id, slip, principal.actor, now_ms)
        replaced = f"; replaces slip {previous.reference}" if previous is not None else ""
        whole = "; a visit never checked in, recorded whole" if never_checked_in else ""
        audit(conn, subject=subject(request_id), action="slip_recorded", actor=principal.actor,
              detail=f"slip {slip.reference}: {slip.reason}; {minutes} min on the slip, "
              f"{rounded} recorded, {amount} held (was {int(row.held_minutes or 0)})"
              f"{replaced}{whole}", now_ms=now_ms, entry_height=height)
