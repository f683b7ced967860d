"""Service requests: the time bank's daily cycle.

    open --accept--> accepted --check_in--> in_progress --check_out--> completed
      |                 |                                                |   |
      +----cancel-------+--> cancelled                        confirm ---+   +--- complaint
                                                                  |              |
                                                                 paid        disputed
                                                                     (node/timebank/disputes.py)

An elder (or station staff for an elder) posts a request; an eligible volunteer accepts it and
checks in and out (times from the node's clock); the duration is rounded to the policy's step and
priced. Check-out holds the payment in escrow (from the recipient's hours, or from issuance for a
subsidised member); the recipient or staff confirm and rate 1-5, which releases it and banks the
volunteer's earned hours under the caps. Every step is audited (`history`). A step that does not
fit the request's state is refused (409 service_request_state) and writes nothing. A volunteer
checking in on his own phone gives the recipient's visit code (node/timebank/visit_codes.py):
a visit cannot be claimed from home.

Separation of duties: whoever took a step on the volunteer's side (accepted, checked in or
checked out) never takes the step that pays for it (403 separation_of_duties), so one staff
token cannot run a whole cycle and mint earned hours. The payer's side is the recipient
herself, another staff member of her station or an admin. Who took each step is read from the
audit trail, written in the same transaction as the step.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Connection

from node.access import (
    Principal,
    Role,
    can_act_for,
    can_read_member,
    deny,
    require_act_for,
)
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import tb_audit, tb_disputes, tb_service_requests
from node.errors import AuthError, Conflict, ErrorCode, NotFound, RuleViolation
from node.ledger.journal import Ledger
from node.notify import events as notify
from node.services.idempotency import open_command, request_hash
from node.services.members import load_member, require_active
from node.states import ServiceRequestState
from node.timebank import settle
from node.timebank.adjustments_view import of_request as corrections_of
from node.timebank.common import (
    MINUTE_MS,
    POOL_LOCAL_ID,
    acting_for,
    age_of,
    audit,
    audit_trail,
    ensure_accounts,
    load_profile,
)
from node.timebank.eligibility import check_provider, check_redeemer
from node.timebank.policy import NodePolicy, Pricing
from node.timebank.qualifications import check_qualification
from node.timebank.thresholds import check_redeem_min_balance, has_guardian
from node.timebank.visit_codes import CheckIn, VisitCodes

OPEN, ACCEPTED, IN_PROGRESS, COMPLETED = (ServiceRequestState.OPEN, ServiceRequestState.ACCEPTED,
                                          ServiceRequestState.IN_PROGRESS,
                                          ServiceRequestState.COMPLETED)
DISPUTED, PAID, REFUNDED, CANCELLED = (ServiceRequestState.DISPUTED, ServiceRequestState.PAID,
                                       ServiceRequestState.REFUNDED,
                                       ServiceRequestState.CANCELLED)
STATES = tuple(ServiceRequestState)
# The audited steps taken for the volunteer: check-in and check-out set the measured time, hence
# the price, as much as acceptance chooses who is paid.
# A visit recorded from a paper slip (node/timebank/slips.py) is one more: its recorder sets
# the price, so a second person confirms it.
VOLUNTEER_STEPS = ("accepted", "checked_in", "checked_out", "slip_recorded")
LIST_MAX = 200


def subject(request_id: str) -> str:
    return f"request:{request_id}"


class ServiceRequests:
    def __init__(self, *, db: Database, ledger: Ledger, clock: Clock,
                 policy: NodePolicy, visit_codes: VisitCodes) -> None:
        self.db = db
        self.ledger = ledger
        self.clock = clock
        self.policy = policy
        self.visit_codes = visit_codes

    # posting ------------------------------------------------------------------------------

    def post(self, principal: Principal, *, request_id: str, recipient: str, category: str | None,
             item: str | None, description: str) -> tuple[dict[str, Any], bool]:
        """Post a request for `recipient` (the member themself, or staff for an elder)."""
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            member = acting_for(conn, principal, recipient)
            category = self._category(category, item)
            body_hash = request_hash({"recipient": recipient, "category": category,
                                      "item": item, "description": description})
            opened = open_command(conn, principal, member=member, table=tb_service_requests,
                                  record_id=request_id, body_hash=body_hash,
                                  conflict=ErrorCode.SERVICE_REQUEST_ID_CONFLICT)
            if opened.existing is not None:
                return self._view(conn, opened.existing), False
            if recipient == POOL_LOCAL_ID:
                raise RuleViolation(ErrorCode.VALIDATION_FAILED, "a pool receives no services")
            age = age_of(member.birth_year, now_ms, self.policy)
            profile = load_profile(conn, recipient)
            subsidised = profile.subsidised and self.policy.credit.subsidised_services
            if not subsidised:
                check_redeemer(self.policy, member, age, profile)
                check_redeem_min_balance(conn, self.ledger, self.policy, recipient)
            conn.execute(tb_service_requests.insert().values(
                id=request_id, recipient_local_id=recipient, station=member.station,
                category=category, item=item, description=description, state=OPEN,
                payer=settle.PAYER_ISSUANCE if subsidised else settle.PAYER_RECIPIENT,
                request_hash=body_hash, posted_by=principal.actor, recipient_age=age,
                created_at_ms=now_ms, updated_at_ms=now_ms))
            audit(conn, subject=subject(request_id), action="posted", actor=principal.actor,
                  detail=f"{category}{'/' + item if item else ''} for {recipient}",
                  now_ms=now_ms)
            return self._view(conn, self._load(conn, request_id)), True

    def _category(self, category: str | None, item: str | None) -> str:
        if item is not None:
            chosen = self.policy.item(item)
            if chosen is None:
                raise RuleViolation(ErrorCode.ITEM_UNKNOWN, f"no item {item} in the catalogue")
            if category not in (None, chosen.category):
                raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                    f"item {item} is in category {chosen.category}, not {category}")
            return chosen.category
        if self.policy.pricing is Pricing.PER_ITEM:
            raise RuleViolation(ErrorCode.ITEM_UNKNOWN,
                                "this node prices per item: name the catalogue item")
        if category is None or self.policy.category(category) is None:
            raise RuleViolation(ErrorCode.CATEGORY_UNKNOWN,
                                f"no category {category} in the catalogue")
        return category

    # the volunteer's steps ----------------------------------------------------------------

    def accept(self, principal: Principal, request_id: str, *, volunteer: str) -> dict[str, Any]:
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            row = self._load(conn, request_id)
            person = acting_for(conn, principal, volunteer)
            self._require_state(row, OPEN, "accepted")
            require_active(person)
            if volunteer in (row.recipient_local_id, POOL_LOCAL_ID):
                raise RuleViolation(ErrorCode.SAME_ACCOUNT,
                                    "a member does not serve themself, nor does a pool serve")
            age = age_of(person.birth_year, now_ms, self.policy)
            check_provider(self.policy, person, age, has_guardian=has_guardian(conn, volunteer))
            check_qualification(conn, self.policy, volunteer=volunteer, category=row.category,
                                now_ms=now_ms)
            self._set(conn, request_id, now_ms, state=ACCEPTED, volunteer_local_id=volunteer,
                      volunteer_age=age, accepted_at_ms=now_ms)
            audit(conn, subject=subject(request_id), action="accepted", actor=principal.actor,
                  detail=f"by {volunteer}", now_ms=now_ms)
            notify.request_taken(conn, row, volunteer=volunteer, now_ms=now_ms)
            return self._view(conn, self._load(conn, request_id))

    def check_in(self, principal: Principal, request_id: str, *,
                 code: str | None = None) -> dict[str, Any]:
        """The volunteer arrives. A member (the volunteer on his phone) gives the recipient's
        visit code; staff and admins need none, and the trail says which it was."""
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            row = self._load(conn, request_id)
            self._require_volunteer_side(conn, principal, row)
            self._require_state(row, ACCEPTED, "checked in")
            checked = self.visit_codes.check(conn, principal, row, code,
                                             audit_subject=subject(request_id), now_ms=now_ms)
            if isinstance(checked, CheckIn):
                self._set(conn, request_id, now_ms, state=IN_PROGRESS, checked_in_at_ms=now_ms)
                audit(conn, subject=subject(request_id), action="checked_in",
                      actor=principal.actor, detail=checked.detail, now_ms=now_ms)
                notify.volunteer_arriving(conn, row, now_ms=now_ms)
                return self._view(conn, self._load(conn, request_id))
        raise checked  # a wrong code, counted in the transaction just committed

    def check_out(self, principal: Principal, request_id: str) -> dict[str, Any]:
        """Record the visit's end, price it and hold the payment in escrow."""
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            row = self._load(conn, request_id)
            self._require_volunteer_side(conn, principal, row)
            self._require_state(row, IN_PROGRESS, "checked out")
            measured = (now_ms - row.checked_in_at_ms) // MINUTE_MS
            duration = min(measured, self.policy.service.duration_max_minutes)
            rounded = settle.round_duration(duration, self.policy.unit.step_minutes,
                                            self.policy.rounding)
            amount = settle.price(self.policy, category=row.category, item=row.item,
                                  rounded_minutes=rounded)
            height = None
            if amount:
                ensure_accounts(conn, self.ledger, now_ms)
                height = settle.hold(conn, self.ledger, payer=row.payer,
                                     recipient=row.recipient_local_id, amount_minutes=amount,
                                     request_id=request_id, actor=principal.actor,
                                     now_ms=now_ms).height
            self._set(conn, request_id, now_ms, state=COMPLETED, checked_out_at_ms=now_ms,
                      duration_minutes=measured, rounded_minutes=rounded, price_minutes=amount,
                      held_minutes=amount, hold_entry_height=height)
            audit(conn, subject=subject(request_id), action="checked_out", actor=principal.actor,
                  detail=f"{measured} min measured, {rounded} recorded, {amount} held",
                  now_ms=now_ms, entry_height=height)
            return self._view(conn, self._load(conn, request_id))

    # the recipient's steps ----------------------------------------------------------------

    def confirm(self, principal: Principal, request_id: str, *, rating: int,
                comment: str) -> dict[str, Any]:
        """The recipient (or staff, or an admin, who took no volunteer-side step) confirm and
        rate: the held payment is released."""
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            row = self._load(conn, request_id)
            self._require_recipient_side(conn, principal, row)
            self._require_state(row, COMPLETED, "confirmed")
            self.require_separate(conn, principal, row, "confirm")
            done, entry = settle.settle(conn, self.ledger, self.policy, row=row,
                                        released=int(row.held_minutes or 0),
                                        actor=principal.actor,
                                        memo=f"service {request_id} confirmed", now_ms=now_ms)
            height = entry.height if entry else None
            self.record_settlement(conn, request_id, now_ms, done, height, state=PAID,
                                   rating=rating, comment=comment, confirmed_by=principal.actor)
            audit(conn, subject=subject(request_id), action="confirmed", actor=principal.actor,
                  detail=f"rating {rating}; {done.credit.credited_minutes} credited, "
                  f"{done.credit.overflow_minutes} over the caps", now_ms=now_ms,
                  entry_height=height)
            notify.visit_confirmed(conn, row, credited_minutes=done.credit.credited_minutes,
                                   now_ms=now_ms)
            return self._view(conn, self._load(conn, request_id))

    def cancel(self, principal: Principal, request_id: str, *, reason: str) -> dict[str, Any]:
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            row = self._load(conn, request_id)
            self._require_recipient_side(conn, principal, row)
            self._require_state(row, (OPEN, ACCEPTED), "cancelled")
            self._set(conn, request_id, now_ms, state=CANCELLED)
            audit(conn, subject=subject(request_id), action="cancelled", actor=principal.actor,
                  detail=reason, now_ms=now_ms)
            return self._view(conn, self._load(conn, request_id))

    # reading ------------------------------------------------------------------------------

    def get(self, principal: Principal, request_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = self._load(conn, request_id)
            if not self._may_read(principal, row):
                raise deny(principal, f"read service request {request_id}")
            return self._view(conn, row)

    def list(self, principal: Principal, *, state: str | None, after: str | None,
             limit: int) -> list[dict[str, Any]]:
        """Staff: their station's. Members: open requests (to find work) and their own."""
        query = select(tb_service_requests).order_by(tb_service_requests.c.id).limit(
            min(limit, LIST_MAX))
        if state is not None:
            query = query.where(tb_service_requests.c.state == state)
        if after is not None:
            query = query.where(tb_service_requests.c.id > after)
        if principal.role == Role.STAFF:
            query = query.where(tb_service_requests.c.station == principal.station)
        elif principal.role == Role.MEMBER:
            me = principal.member_local_id
            # A delegate also sees the requests of those he acts for (node/people).
            served = [me, *sorted(principal.acts_for)]
            query = query.where(or_(tb_service_requests.c.state == OPEN,
                                    tb_service_requests.c.recipient_local_id.in_(served),
                                    tb_service_requests.c.volunteer_local_id == me))
        with self.db.read() as conn:
            return [self._view(conn, row, history=False) for row in conn.execute(query)]

    # helpers ------------------------------------------------------------------------------

    @staticmethod
    def _load(conn: Connection, request_id: str) -> Any:
        row = conn.execute(select(tb_service_requests).where(
            tb_service_requests.c.id == request_id)).one_or_none()
        if row is None:
            raise NotFound(ErrorCode.SERVICE_REQUEST_NOT_FOUND, f"no service request {request_id}")
        return row

    @staticmethod
    def _require_state(row: Any, wanted: str | tuple[str, ...], step: str) -> None:
        allowed = (wanted,) if isinstance(wanted, str) else wanted
        if row.state not in allowed:
            raise Conflict(ErrorCode.SERVICE_REQUEST_STATE,
                           f"request {row.id} is {row.state}; it can be {step} only when "
                           f"{' or '.join(allowed)}")

    @staticmethod
    def _set(conn: Connection, request_id: str, now_ms: int, **values: Any) -> None:
        conn.execute(update(tb_service_requests).where(
            tb_service_requests.c.id == request_id).values(updated_at_ms=now_ms, **values))

    def record_settlement(self, conn: Connection, request_id: str, now_ms: int,
                          done: settle.Settlement, height: int | None, **values: Any) -> None:
        self._set(conn, request_id, now_ms, settled_at_ms=now_ms,
                  released_minutes=done.released_minutes,
                  refunded_minutes=done.refunded_minutes,
                  credited_minutes=done.credit.credited_minutes,
                  overflow_minutes=done.credit.overflow_minutes,
                  settle_entry_height=height, **values)

    def _require_volunteer_side(self, conn: Connection, principal: Principal, row: Any) -> None:
        """The volunteer, their station's staff, the request's station staff, or an admin."""
        volunteer = load_member(conn, row.volunteer_local_id) if row.volunteer_local_id else None
        if volunteer is not None and can_act_for(principal, local_id=volunteer.local_id,
                                                 station=volunteer.station):
            return
        if principal.role == Role.STAFF and row.station == principal.station:
            return
        raise deny(principal, f"act for the volunteer of request {row.id}")

    @staticmethod
    def require_separate(conn: Connection, principal: Principal, row: Any, step: str) -> None:
        """403 separation_of_duties when the principal took a volunteer-side step of `row`."""
        served = set(conn.execute(select(tb_audit.c.actor).where(
            tb_audit.c.subject == subject(row.id),
            tb_audit.c.action.in_(VOLUNTEER_STEPS))).scalars())
        if principal.actor in served:
            raise AuthError(ErrorCode.SEPARATION_OF_DUTIES,
                            f"{principal.actor} acted for the volunteer of request {row.id}; "
                            f"its {step} must come from the recipient, another staff member or "
                            "an admin")

    @staticmethod
    def _require_recipient_side(conn: Connection, principal: Principal, row: Any) -> None:
        require_act_for(principal, local_id=row.recipient_local_id, station=row.station)

    @staticmethod
    def _may_read(principal: Principal, row: Any) -> bool:
        if can_read_member(principal, local_id=row.recipient_local_id, station=row.station):
            return True
        if principal.role == Role.MEMBER:
            return bool(row.state == OPEN or principal.member_local_id == row.volunteer_local_id)
        return False

    def _view(self, conn: Connection, row: Any, *, history: bool = True) -> dict[str, Any]:
        view = {column: getattr(row, column) for column in (
            "id", "category", "item", "description", "state", "payer", "station", "posted_by",
            "created_at_ms", "accepted_at_ms", "checked_in_at_ms", "checked_out_at_ms",
            "duration_minutes", "rounded_minutes", "price_minutes", "held_minutes", "rating",
            "comment", "confirmed_by", "settled_at_ms", "released_minutes", "refunded_minutes",
            "credited_minutes", "overflow_minutes", "updated_at_ms")}
        view["recipient"] = row.recipient_local_id
        view["volunteer"] = row.volunteer_local_id
        dispute = conn.execute(select(tb_disputes).where(
            tb_disputes.c.request_id == row.id)).one_or_none()
        view["dispute"] = None if dispute is None else {
            "state": dispute.state, "reason": dispute.reason, "raised_by": dispute.raised_by,
            "raised_at_ms": dispute.raised_at_ms, "outcome": dispute.outcome,
            "released_minutes": dispute.released_minutes, "resolution": dispute.resolution,
            "resolved_by": dispute.resolved_by, "resolved_at_ms": dispute.resolved_at_ms}
        view["corrections"] = corrections_of(conn, str(row.id))  # after payment (corrections.py)
        if history:
            view["history"] = audit_trail(conn, subject(row.id))
        return view
