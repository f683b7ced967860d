"""Corrections of a paid visit's duration from its paper slip (docs/timebank.md, "Corrections
after payment").

A paid visit is never edited: its request row keeps what was paid, and a correction is a row of
`tb_service_adjustments` that, once a second person confirms it, posts its own journal entry of
kind `service_adjust` for the difference in price:

  more minutes  the elder's hours (her classes in the standard's spending order; issuance's
                granted hours for a subsidised member) are redeemed, and the volunteer is
                issued as many `earned` minutes. Her floors hold: too few hours is 422
                insufficient_funds and nothing posts.
  fewer minutes the volunteer's `earned` minutes go back to issuance and the elder gets back
                what her visit redeemed, class by class (granted hours to issuance for a
                subsidised member). When his earned balance cannot cover the difference the
                confirmation is refused (409 adjustment_uncovered) and nothing posts.

Steps:
 1. record   staff of the elder's station (or an admin) give the slip's times or duration,
             its reference and a reason, under a client id (idempotent: the same id and body
             replays, another body is 409 adjustment_id_conflict). The slip is held to the
             bounds of a slip (slips.py). One correction per visit waits at a time
             (409 adjustment_pending); a disputed visit was paid by its resolution and is not
             corrected (409 service_request_state).
 2. confirm  the elder, another staff member or an admin: never who recorded the correction
             nor whoever acted for the volunteer (403 separation_of_duties). Confirming again
             replays; a withdrawn correction is never confirmed (409 adjustment_withdrawn).
 2'. withdraw while it waits, whoever recorded it or an admin withdraws it with a reason
             (anyone else: 403 forbidden). Nothing reaches the journal; the visit may be
             corrected again. Withdrawing again replays; a posted correction is not withdrawn
             (409 adjustment_posted): a second correction undoes it.

The caps (daily, balance) govern one day's service as it is paid; a correction restores what
that day's service was, bounded by service.duration_max_minutes, and is not capped again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from node.access import Principal, Role, deny, require_act_for, require_read_member
from node.db.schema import tb_disputes, tb_service_adjustments
from node.errors import AuthError, Conflict, ErrorCode, NotFound, RuleViolation
from node.ledger.journal import Ledger
from node.ledger.model import Posting, member_account, transfer_legs
from node.services.idempotency import open_command, request_hash
from node.timebank import settle
from node.timebank.adjustments_view import PENDING, POSTED, WITHDRAWN, of_request, view
from node.timebank.common import TimebankEntry, audit, ensure_accounts
from node.timebank.requests import PAID, ServiceRequests, subject
from node.timebank.slips import Slip, slip_minutes
from protocol.credit import SPEND_ORDER, CreditClass

REDEMPTION, ISSUANCE = settle.REDEMPTION, settle.ISSUANCE


def _paid_now(conn: Connection, row: Any) -> tuple[int, int]:
    """(rounded minutes, price paid) as the visit stands: its settlement, then its posted
    corrections in order."""
    rounded, paid = int(row.rounded_minutes or 0), int(row.released_minutes or 0)
    for correction in of_request(conn, str(row.id)):
        if correction["state"] == POSTED:
            rounded, paid = correction["rounded_after"], correction["price_after"]
    return rounded, paid


def _redeemed_by_class(ledger: Ledger, conn: Connection, heights: list[int]) -> dict[
        CreditClass, int]:
    """What the visit's entries (settlement, corrections) redeemed, net, by class."""
    out: dict[CreditClass, int] = defaultdict(int)
    for height in heights:
        for posting in ledger.load_entry(conn, height).postings:
            if posting.account == REDEMPTION:
                out[posting.credit_class] += posting.amount_minutes
    return out


def more_legs(conn: Connection, ledger: Ledger, row: Any, amount: int) -> tuple[Posting, ...]:
    """The elder (or issuance) pays `amount` more; the volunteer earns it."""
    volunteer = member_account(str(row.volunteer_local_id))
    earned = (Posting(ISSUANCE, CreditClass.EARNED, -amount),
              Posting(volunteer, CreditClass.EARNED, amount))
    if row.payer == settle.PAYER_ISSUANCE:
        return (Posting(ISSUANCE, CreditClass.GRANTED, -amount),
                Posting(REDEMPTION, CreditClass.GRANTED, amount), *earned)
    elder = member_account(str(row.recipient_local_id))
    available = ledger.balances_of(conn, elder)
    paid = transfer_legs(debtor=elder, creditor=REDEMPTION, available=available,
                         amount_minutes=amount, spend_order=SPEND_ORDER)
    if paid is None:
        raise RuleViolation(ErrorCode.INSUFFICIENT_FUNDS,
                            f"{row.recipient_local_id} cannot pay {amount} more minutes")
    return (*paid, *earned)


def fewer_legs(conn: Connection, ledger: Ledger, row: Any, amount: int,
               heights: list[int]) -> tuple[Posting, ...]:
    """The volunteer gives back `amount` earned minutes; the elder gets back what she paid."""
    volunteer = str(row.volunteer_local_id)
    has = ledger.balances_of(conn, member_account(volunteer)).get(CreditClass.EARNED, 0)
    if has < amount:
        raise Conflict(ErrorCode.ADJUSTMENT_UNCOVERED,
                       f"{volunteer} holds {has} earned minutes; the correction takes back "
                       f"{amount}")
    legs = [Posting(member_account(volunteer), CreditClass.EARNED, -amount),
            Posting(ISSUANCE, CreditClass.EARNED, amount)]
    back_to = (ISSUANCE if row.payer == settle.PAYER_ISSUANCE
               else member_account(str(row.recipient_local_id)))
    redeemed = _redeemed_by_class(ledger, conn, heights)
    left = amount
    for credit_class in reversed(SPEND_ORDER):  # the last spent comes back first
        take = min(left, max(redeemed.get(credit_class, 0), 0))
        if take:
            legs += [Posting(REDEMPTION, credit_class, -take), Posting(back_to, credit_class,
                                                                        take)]
            left -= take
    if left:
        raise Conflict(ErrorCode.ADJUSTMENT_UNCOVERED,
                       f"the visit redeemed less than the {amount} minutes to give back")
    return tuple(legs)


class Corrections:
    def __init__(self, requests: ServiceRequests) -> None:
        self.requests = requests

    def record(self, principal: Principal, request_id: str, *, correction_id: str,
               slip: Slip) -> tuple[dict[str, Any], bool]:
        """Step 1: a correction waiting for a second person. (record, created)."""
        requests, policy = self.requests, self.requests.policy
        now_ms = requests.clock.now_ms()
        body_hash = request_hash({"request_id": request_id, **asdict(slip)})
        with requests.db.write() as conn:
            row = requests._load(conn, request_id)
            if principal.role not in (Role.STAFF, Role.ADMIN):
                raise deny(principal, f"correct the paid visit {request_id}")
            opened = open_command(conn, principal, member=str(row.recipient_local_id),
                                  table=tb_service_adjustments, record_id=correction_id,
                                  body_hash=body_hash, conflict=ErrorCode.ADJUSTMENT_ID_CONFLICT)
            if opened.existing is not None:
                return view(opened.existing), False
            self._require_correctable(conn, row)
            minutes = slip_minutes(slip, posted_at_ms=int(row.created_at_ms), now_ms=now_ms,
                                   longest=policy.service.duration_max_minutes)
            rounded = settle.round_duration(minutes, policy.unit.step_minutes, policy.rounding)
            price = settle.price(policy, category=row.category, item=row.item,
                                 rounded_minutes=rounded)
            rounded_before, price_before = _paid_now(conn, row)
            if (rounded, price) == (rounded_before, price_before):
                raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                    f"the slip gives the {rounded} minutes already paid: "
                                    "nothing to correct")
            conn.execute(insert(tb_service_adjustments).values(
                id=correction_id, request_id=request_id, request_hash=body_hash, state=PENDING,
                reference=slip.reference, reason=slip.reason, duration_minutes=minutes,
                rounded_before=rounded_before, rounded_after=rounded, price_before=price_before,
                price_after=price, recorded_by=principal.actor, recorded_at_ms=now_ms))
            audit(conn, subject=subject(request_id), action="correction_recorded",
                  actor=principal.actor,
                  detail=f"correction {correction_id} from slip {slip.reference}: {slip.reason}; "
                  f"{rounded_before} -> {rounded} min, price {price_before} -> {price}",
                  now_ms=now_ms)
            return self._load(conn, correction_id), True

    def _require_correctable(self, conn: Connection, row: Any) -> None:
        self.requests._require_state(row, PAID, "corrected after payment")
        disputed = conn.execute(select(tb_disputes.c.request_id).where(
            tb_disputes.c.request_id == row.id)).first()
        if disputed is not None:
            raise Conflict(ErrorCode.SERVICE_REQUEST_STATE,
                           f"request {row.id} was paid by a dispute's resolution; it is not "
                           "corrected from a slip")
        pending = conn.execute(select(tb_service_adjustments.c.id).where(
            tb_service_adjustments.c.request_id == row.id,
            tb_service_adjustments.c.state == PENDING)).first()
        if pending is not None:
            raise Conflict(ErrorCode.ADJUSTMENT_PENDING,
                           f"correction {pending.id} of request {row.id} awaits confirmation")
        if int(row.credited_minutes or 0) != int(row.released_minutes or 0):
            raise Conflict(ErrorCode.ADJUSTMENT_UNCOVERED,
                           f"request {row.id} was paid past the volunteer's caps (part went to "
                           "the pool or was not issued): an admin corrects it by a grant or a "
                           "reversal, not from a slip")

    def confirm(self, principal: Principal, correction_id: str) -> dict[str, Any]:
        """Step 2: a second person confirms; the `service_adjust` entry posts."""
        requests = self.requests
        now_ms = requests.clock.now_ms()
        with requests.db.write() as conn:
            correction = self._row(conn, correction_id)
            row = requests._load(conn, correction.request_id)
            require_act_for(principal, local_id=row.recipient_local_id, station=row.station)
            if correction.state == POSTED:
                return view(correction)  # confirmed already: a replay
            if correction.state == WITHDRAWN:
                raise Conflict(ErrorCode.ADJUSTMENT_WITHDRAWN,
                               f"correction {correction_id} was withdrawn by "
                               f"{correction.withdrawn_by}; record a new one")
            if principal.actor == correction.recorded_by:
                raise AuthError(ErrorCode.SEPARATION_OF_DUTIES,
                                f"{principal.actor} recorded correction {correction_id}; the "
                                "elder, another staff member or an admin confirms it")
            requests.require_separate(conn, principal, row, "correction")
            height = self._post(conn, principal, row, correction, now_ms)
            conn.execute(update(tb_service_adjustments).where(
                tb_service_adjustments.c.id == correction_id).values(
                state=POSTED, confirmed_by=principal.actor, confirmed_at_ms=now_ms,
                entry_height=height))
            audit(conn, subject=subject(str(row.id)), action="correction_posted",
                  actor=principal.actor,
                  detail=f"correction {correction_id}: price {correction.price_before} -> "
                  f"{correction.price_after}", now_ms=now_ms, entry_height=height)
            return self._load(conn, correction_id)

    def withdraw(self, principal: Principal, correction_id: str, *,
                 reason: str) -> dict[str, Any]:
        """Step 2': whoever recorded a pending correction, or an admin, withdraws it; nothing
        posts and it can no longer be confirmed."""
        requests = self.requests
        now_ms = requests.clock.now_ms()
        with requests.db.write() as conn:
            correction = self._row(conn, correction_id)
            row = requests._load(conn, correction.request_id)
            if principal.role != Role.ADMIN and principal.actor != correction.recorded_by:
                raise deny(principal, f"withdraw correction {correction_id}: only whoever "
                                      "recorded it or an admin withdraws it")
            if correction.state == WITHDRAWN:
                return view(correction)  # withdrawn already: a replay
            if correction.state == POSTED:
                raise Conflict(ErrorCode.ADJUSTMENT_POSTED,
                               f"correction {correction_id} is posted (entry "
                               f"{correction.entry_height}); a new correction undoes it")
            conn.execute(update(tb_service_adjustments).where(
                tb_service_adjustments.c.id == correction_id,
                tb_service_adjustments.c.state == PENDING).values(
                state=WITHDRAWN, withdrawn_by=principal.actor, withdrawn_at_ms=now_ms,
                withdraw_reason=reason))
            audit(conn, subject=subject(str(row.id)), action="correction_withdrawn",
                  actor=principal.actor, detail=f"correction {correction_id}: {reason}",
                  now_ms=now_ms)
            return self._load(conn, correction_id)

    def _post(self, conn: Connection, principal: Principal, row: Any, correction: Any,
              now_ms: int) -> int | None:
        delta = int(correction.price_after) - int(correction.price_before)
        if delta == 0:  # the rounded time changed, the fixed item price did not
            return None
        ledger = self.requests.ledger
        ensure_accounts(conn, ledger, now_ms)
        if delta > 0:
            self._require_room(conn, row, delta, now_ms)
            legs = more_legs(conn, ledger, row, delta)
        else:
            heights = [int(h) for h in [row.settle_entry_height, *conn.execute(
                select(tb_service_adjustments.c.entry_height).where(
                    tb_service_adjustments.c.request_id == row.id,
                    tb_service_adjustments.c.state == POSTED)).scalars()] if h is not None]
            legs = fewer_legs(conn, ledger, row, -delta, heights)
        entry = ledger.post(conn, kind=TimebankEntry.SERVICE_ADJUST, ref=str(row.id),
                            actor=principal.actor,
                            memo=f"service {row.id} corrected ({correction.id})",
                            now_ms=now_ms, legs=legs)
        return entry.height

    def _require_room(self, conn: Connection, row: Any, more: int, now_ms: int) -> None:
        """More minutes paid meet the caps a payment meets: the volunteer's daily and balance
        caps, the station's subsidised minutes of the day."""
        requests = self.requests
        rooms = [room for room in settle.rooms(conn, requests.ledger, requests.policy,
                                               volunteer=str(row.volunteer_local_id),
                                               now_ms=now_ms) if room is not None]
        if rooms and more > min(rooms):
            raise RuleViolation(ErrorCode.BALANCE_CAP_EXCEEDED,
                                f"{row.volunteer_local_id} may be issued {max(min(rooms), 0)} "
                                f"more minutes under the policy's caps; the correction adds "
                                f"{more}")
        settle.require_subsidy_room(conn, requests.policy, row=row, released=more,
                                    now_ms=now_ms)

    def get(self, principal: Principal, correction_id: str) -> dict[str, Any]:
        with self.requests.db.read() as conn:
            correction = self._row(conn, correction_id)
            row = self.requests._load(conn, correction.request_id)
            require_read_member(principal, local_id=row.recipient_local_id, station=row.station)
            return view(correction)

    @staticmethod
    def _row(conn: Connection, correction_id: str) -> Any:
        row = conn.execute(select(tb_service_adjustments).where(
            tb_service_adjustments.c.id == correction_id)).one_or_none()
        if row is None:
            raise NotFound(ErrorCode.ADJUSTMENT_NOT_FOUND, f"no correction {correction_id}")
        return row

    def _load(self, conn: Connection, correction_id: str) -> dict[str, Any]:
        return view(self._row(conn, correction_id))
