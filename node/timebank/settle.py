"""How a service is priced and how its payment moves on the ledger.

Pure functions price a visit (`round_duration`, `price`) and split a release under the caps
(`split_credit`). The two ledger steps:

hold     at check-out: the recipient's hours (spent in the standard's order), or new `granted`
         hours from issuance for a subsidised member, move into escrow.
settle   at confirmation or a dispute's resolution: the released part of the hold is redeemed
         (escrow -> redemption, class by class in hold order), the rest goes back where it came
         from, and the volunteer is issued `earned` hours for what was released: up to the
         daily and balance caps, the overflow to the donation pool as `donated` or not at all.
         A subsidised release also fits its station's daily cap or is refused (`subsidy_room`).

Service retires the recipient's hours and banks new earned hours for the volunteer, so a
regulator sees both sides: hours redeemed for care and hours issued for service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from node.db.schema import tb_service_requests
from node.errors import Conflict, ErrorCode, RuleViolation, require
from node.ledger.journal import Ledger
from node.ledger.model import AccountKind, Entry, Posting, member_account
from node.timebank.common import ESCROW_ACCOUNT, POOL_ACCOUNT, TimebankEntry, day_start_ms
from node.timebank.policy import NodePolicy, Overflow, Pricing, Rounding
from protocol.credit import SPEND_ORDER, CreditClass

ISSUANCE = str(AccountKind.ISSUANCE)
REDEMPTION = str(AccountKind.REDEMPTION)
PAYER_RECIPIENT = "recipient"
PAYER_ISSUANCE = "issuance"


def round_duration(minutes: int, step: int, rounding: Rounding) -> int:
    """Minutes to a whole number of steps: nearest (halves up), down or up."""
    require(minutes >= 0 and step >= 1, "a duration and step are not negative")
    whole, part = divmod(minutes, step)
    if part == 0 or rounding is Rounding.DOWN:
        return whole * step
    if rounding is Rounding.UP or 2 * part >= step:
        return (whole + 1) * step
    return whole * step


def price(policy: NodePolicy, *, category: str, item: str | None, rounded_minutes: int) -> int:
    """What a visit costs in minutes: the item's fixed price, or the rounded time × weight."""
    if policy.pricing is Pricing.PER_ITEM:
        chosen = policy.item(item or "")
        require(chosen is not None and chosen.price_minutes is not None,
                "a per-item request names a priced item")
        assert chosen is not None and chosen.price_minutes is not None
        return chosen.price_minutes
    weighted = policy.category(category)
    require(weighted is not None, f"category {category} is in the policy")
    assert weighted is not None
    return rounded_minutes * weighted.weight_percent // 100


@dataclass(frozen=True)
class Credit:
    credited_minutes: int
    overflow_minutes: int


def split_credit(released: int, *, daily_room: int | None, balance_room: int | None) -> Credit:
    """What of `released` the volunteer may be issued under the caps (None: no cap)."""
    rooms = [max(room, 0) for room in (daily_room, balance_room) if room is not None]
    credited = min([released, *rooms])
    return Credit(credited, released - credited)


def rooms(conn: Connection, ledger: Ledger, policy: NodePolicy, *, volunteer: str,
          now_ms: int) -> tuple[int | None, int | None]:
    """Minutes the volunteer may still be issued today and before the balance cap."""
    daily = balance = None
    if policy.caps.daily_minutes is not None:
        start = day_start_ms(now_ms, policy)
        today = conn.execute(
            select(func.coalesce(func.sum(tb_service_requests.c.credited_minutes), 0)).where(
                tb_service_requests.c.volunteer_local_id == volunteer,
                tb_service_requests.c.settled_at_ms >= start)).scalar_one()
        daily = policy.caps.daily_minutes - int(today)
    if policy.caps.balance_minutes is not None:
        held = sum(ledger.balances_of(conn, member_account(volunteer)).values())
        balance = policy.caps.balance_minutes - held
    return daily, balance


def subsidy_room(conn: Connection, policy: NodePolicy, *, station: str | None,
                 now_ms: int) -> int:
    """Minutes of subsidised service the station may still release today (local day).

    Counted when a hold is released, not when it is made: hours held in escrow buy nothing
    yet, a refund gives them back to issuance, and a visit refused here keeps the duration it
    was checked out with until it is confirmed on a later day. Requests of members with no
    station share one count.
    """
    column = tb_service_requests.c
    start = day_start_ms(now_ms, policy)
    at_station = column.station.is_(None) if station is None else column.station == station
    today = conn.execute(select(func.coalesce(func.sum(column.released_minutes), 0)).where(
        column.payer == PAYER_ISSUANCE, at_station,
        column.settled_at_ms >= start)).scalar_one()
    return policy.caps.station_subsidised_daily_minutes - int(today)


def require_subsidy_room(conn: Connection, policy: NodePolicy, *, row: Any, released: int,
                         now_ms: int) -> None:
    """409 subsidy_cap_exceeded when releasing a subsidised hold would pass the day's cap."""
    if row.payer != PAYER_ISSUANCE or released == 0:
        return
    room = subsidy_room(conn, policy, station=row.station, now_ms=now_ms)
    if released > room:
        cap = policy.caps.station_subsidised_daily_minutes
        raise Conflict(ErrorCode.SUBSIDY_CAP_EXCEEDED,
                       f"station {row.station or '(none)'} has released {cap - room} of its "
                       f"{cap} subsidised minutes today (caps.station_subsidised_daily_minutes); "
                       f"releasing {released} more would pass the cap: settle it after local "
                       "midnight")


def hold(conn: Connection, ledger: Ledger, *, payer: str, recipient: str, amount_minutes: int,
         request_id: str, actor: str, now_ms: int) -> Entry:
    if payer == PAYER_ISSUANCE:
        return ledger.post(
            conn, kind=TimebankEntry.SERVICE_HOLD, ref=request_id, actor=actor,
            memo="service paid by the node for a subsidised member", now_ms=now_ms,
            legs=(Posting(ISSUANCE, CreditClass.GRANTED, -amount_minutes),
                  Posting(ESCROW_ACCOUNT, CreditClass.GRANTED, amount_minutes)))
    return ledger.move(
        conn, debtor=member_account(recipient), creditor=ESCROW_ACCOUNT,
        amount_minutes=amount_minutes, spend_order=SPEND_ORDER, kind=TimebankEntry.SERVICE_HOLD,
        ref=request_id, actor=actor, memo="service payment held until confirmed", now_ms=now_ms)


def held_by_class(ledger: Ledger, conn: Connection, hold_height: int) -> list[tuple[CreditClass,
                                                                                   int]]:
    """The classes the hold put into escrow, in the order it spent them."""
    entry = ledger.load_entry(conn, hold_height)
    return [(p.credit_class, p.amount_minutes) for p in entry.postings
            if p.account == ESCROW_ACCOUNT and p.amount_minutes > 0]


@dataclass(frozen=True)
class Settlement:
    released_minutes: int
    refunded_minutes: int
    credit: Credit


def settle_legs(*, held: list[tuple[CreditClass, int]], payer_account: str, released: int,
                volunteer_account: str, credit: Credit, overflow: Overflow
                ) -> tuple[Posting, ...]:
    """The postings of a settlement: release from the front of the hold, refund the rest."""
    total = sum(amount for _, amount in held)
    require(0 <= released <= total, f"release {released} of a {total}-minute hold")
    require(credit.credited_minutes + credit.overflow_minutes == released,
            "the volunteer's credit and overflow add up to the release")
    legs: list[Posting] = []
    to_release = released
    for credit_class, amount in held:
        take = min(amount, to_release)
        to_release -= take
        legs.append(Posting(ESCROW_ACCOUNT, credit_class, -amount))
        if take:
            legs.append(Posting(REDEMPTION, credit_class, take))
        if amount - take:
            legs.append(Posting(payer_account, credit_class, amount - take))
    if credit.credited_minutes:
        legs += [Posting(ISSUANCE, CreditClass.EARNED, -credit.credited_minutes),
                 Posting(volunteer_account, CreditClass.EARNED, credit.credited_minutes)]
    if credit.overflow_minutes and overflow is Overflow.DONATION_POOL:
        legs += [Posting(ISSUANCE, CreditClass.DONATED, -credit.overflow_minutes),
                 Posting(POOL_ACCOUNT, CreditClass.DONATED, credit.overflow_minutes)]
    return tuple(legs)


def settle(conn: Connection, ledger: Ledger, policy: NodePolicy, *, row: Any, released: int,
           actor: str, memo: str, now_ms: int,
           kind: TimebankEntry = TimebankEntry.SERVICE_SETTLE
           ) -> tuple[Settlement, Entry | None]:
    """Close a request's hold: release `released` minutes to the service, refund the rest."""
    held_total = int(row.held_minutes or 0)
    if held_total == 0:
        return Settlement(0, 0, Credit(0, 0)), None
    if not 0 <= released <= held_total:
        raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                            f"{released} minutes is not between 0 and the {held_total} held")
    require_subsidy_room(conn, policy, row=row, released=released, now_ms=now_ms)
    volunteer = str(row.volunteer_local_id)
    daily, balance = rooms(conn, ledger, policy, volunteer=volunteer, now_ms=now_ms)
    credit = split_credit(released, daily_room=daily, balance_room=balance)
    payer = row.payer
    payer_account = (ISSUANCE if payer == PAYER_ISSUANCE
                     else member_account(str(row.recipient_local_id)))
    legs = settle_legs(held=held_by_class(ledger, conn, int(row.hold_entry_height)),
                       payer_account=payer_account, released=released,
                       volunteer_account=member_account(volunteer), credit=credit,
                       overflow=policy.caps.overflow)
    entry = ledger.post(conn, kind=kind, ref=str(row.id),
                        actor=actor, memo=memo, now_ms=now_ms, legs=legs)
    return Settlement(released, held_total - released, credit), entry
