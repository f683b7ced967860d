"""Disputes: a complaint about a completed service holds its payment until staff resolve it.

complain   the recipient (or staff for them) object before confirming; the hours held in escrow
           at check-out stay there, frozen: nobody is paid and nothing is refunded
resolve    staff of the request's station, or an admin, decide with a reason:
           release  the volunteer is paid the whole hold
           refund   the hold goes back to the recipient (or to issuance for a subsidised member)
           partial  `released_minutes` (more than 0, less than the hold) is paid, the rest refunded
           A release or partial pays the volunteer as a confirmation does, so it obeys the same
           separation of duties (whoever acted for the volunteer does not resolve it with pay,
           403 separation_of_duties) and the station's subsidy cap. A refund pays nobody: any
           staff of the station may make it.
Every step goes to the request's audit trail with the ledger entry it made.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from node.access import Principal, Role, deny, require_role
from node.db.schema import tb_disputes, tb_service_requests
from node.errors import ErrorCode, RuleViolation
from node.notify import events as notify
from node.states import DisputeOutcome, DisputeState
from node.timebank import settle
from node.timebank.common import audit
from node.timebank.requests import COMPLETED, DISPUTED, PAID, REFUNDED, ServiceRequests, subject

OPEN, RESOLVED = DisputeState.OPEN, DisputeState.RESOLVED
Outcome = DisputeOutcome
LIST_MAX = 200


class Disputes:
    def __init__(self, requests: ServiceRequests) -> None:
        self.requests = requests

    def complain(self, principal: Principal, request_id: str, *, reason: str) -> dict[str, Any]:
        service = self.requests
        now_ms = service.clock.now_ms()
        with service.db.write() as conn:
            row = service._load(conn, request_id)
            service._require_recipient_side(conn, principal, row)
            service._require_state(row, COMPLETED, "complained about")
            conn.execute(insert(tb_disputes).values(
                request_id=request_id, state=OPEN, reason=reason, raised_by=principal.actor,
                raised_at_ms=now_ms))
            service._set(conn, request_id, now_ms, state=DISPUTED)
            settle_audit(conn, request_id, "complaint", principal.actor,
                         f"{row.held_minutes or 0} minutes held: {reason}", now_ms)
            return service._view(conn, service._load(conn, request_id))

    def resolve(self, principal: Principal, request_id: str, *, outcome: Outcome,
                released_minutes: int | None, reason: str) -> dict[str, Any]:
        service = self.requests
        require_role(principal, Role.ADMIN, Role.STAFF, what="resolve disputes")
        now_ms = service.clock.now_ms()
        with service.db.write() as conn:
            row = service._load(conn, request_id)
            if principal.role == Role.STAFF and row.station != principal.station:
                raise deny(principal, f"resolve disputes of station {row.station}")
            service._require_state(row, DISPUTED, "resolved")
            held = int(row.held_minutes or 0)
            released = _released(outcome, released_minutes, held)
            if released:
                service.require_separate(conn, principal, row, f"{outcome} resolution")
            done, entry = settle.settle(conn, service.ledger, service.policy, row=row,
                                        released=released, actor=principal.actor,
                                        memo=f"dispute {request_id}: {outcome}", now_ms=now_ms)
            height = entry.height if entry else None
            service.record_settlement(conn, request_id, now_ms, done, height,
                                      state=REFUNDED if released == 0 else PAID)
            conn.execute(update(tb_disputes).where(tb_disputes.c.request_id == request_id).values(
                state=RESOLVED, outcome=str(outcome), released_minutes=released,
                resolution=reason, resolved_by=principal.actor, resolved_at_ms=now_ms))
            settle_audit(conn, request_id, f"resolved_{outcome}", principal.actor,
                         f"{released} released, {done.refunded_minutes} refunded, "
                         f"{done.credit.credited_minutes} credited: {reason}", now_ms, height)
            notify.complaint_resolved(conn, row, outcome=outcome, released_minutes=released,
                                      refunded_minutes=done.refunded_minutes, now_ms=now_ms)
            return service._view(conn, service._load(conn, request_id))

    def list(self, principal: Principal, *, state: str | None, limit: int) -> list[dict[str, Any]]:
        """Open (or all) disputes, oldest first: staff see their station's."""
        require_role(principal, Role.ADMIN, Role.STAFF, Role.REGULATOR, what="list disputes")
        query = (select(tb_disputes, tb_service_requests.c.station,
                        tb_service_requests.c.held_minutes)
                 .join(tb_service_requests, tb_service_requests.c.id == tb_disputes.c.request_id)
                 .order_by(tb_disputes.c.raised_at_ms, tb_disputes.c.request_id)
                 .limit(min(limit, LIST_MAX)))
        if state is not None:
            query = query.where(tb_disputes.c.state == state)
        if principal.role == Role.STAFF:
            query = query.where(tb_service_requests.c.station == principal.station)
        with self.requests.db.read() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]


def _released(outcome: Outcome, released_minutes: int | None, held: int) -> int:
    if outcome is Outcome.PARTIAL:
        if released_minutes is None or not 0 < released_minutes < held:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                f"a partial release names released_minutes between 1 and "
                                f"{held - 1} (the hold is {held})")
        return released_minutes
    if released_minutes is not None:
        raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                            f"released_minutes is for a partial outcome, not {outcome}")
    return held if outcome is Outcome.RELEASE else 0


def settle_audit(conn: Connection, request_id: str, action: str, actor: str, detail: str,
                 now_ms: int, height: int | None = None) -> None:
    audit(conn, subject=subject(request_id), action=action, actor=actor, detail=detail,
          now_ms=now_ms, entry_height=height)
