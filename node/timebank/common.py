"""What the time-bank services share: the pool and escrow accounts, ages and days in the
policy's time zone, member profiles, and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from node.access import Principal, require_act_for
from node.db.schema import tb_audit, tb_profiles
from node.ledger.journal import Ledger
from node.ledger.system_ids import ESCROW_ACCOUNT as ESCROW_ACCOUNT
from node.ledger.system_ids import POOL_ACCOUNT as POOL_ACCOUNT
from node.ledger.system_ids import POOL_LOCAL_ID as POOL_LOCAL_ID
from node.services.members import load_member
from node.services.system_accounts import ensure_system_accounts
from node.timebank.policy import NodePolicy

# Re-exported above: the pool (`hardship-pool`, a member account so that another node's donation
# reaches it as an ordinary transfer) and the escrow account belong to the node, which creates
# them at `init` (node/ledger/system_ids.py, system_accounts.py).
MINUTE_MS = 60_000
DAY_MS = 24 * 60 * MINUTE_MS
TEXT_CHARS_MAX = 500


class TimebankEntry(StrEnum):
    """Journal entry kinds the time bank writes. None is reversible by the generic reversal:
    each is tied to a record whose state would then lie."""

    SERVICE_HOLD = "service_hold"
    SERVICE_SETTLE = "service_settle"
    # A hold given back whole because the visit was re-timed from a paper slip (slips.py); the
    # new hold follows. Not a settlement: nobody was paid, nothing was served.
    SERVICE_REHOLD = "service_rehold"
    # A paid visit's duration corrected from its paper slip, once a second person confirmed
    # (corrections.py): the difference in price, from the elder to the volunteer or back.
    SERVICE_ADJUST = "service_adjust"
    GOODS_REDEMPTION = "goods_redemption"
    DONATION = "donation"
    DISTRIBUTION = "distribution"
    ESTATE = "estate"  # a deceased member's hours to her heirs and the pool (deaths.py)


def ensure_accounts(conn: Connection, ledger: Ledger, now_ms: int) -> None:
    """The escrow account and the pool exist from `init` or start-up; this only guards a
    database that lost them. Never adopts a member registered under the pool's id."""
    ensure_system_accounts(conn, ledger, now_ms)


def acting_for(conn: Connection, principal: Principal, local_id: str) -> Any:
    """The member's row, once the principal is known to act for them (403 otherwise)."""
    row = load_member(conn, local_id)
    require_act_for(principal, local_id=local_id, station=row.station)
    return row


def local_time(now_ms: int, policy: NodePolicy) -> datetime:
    offset = timedelta(minutes=policy.service.utc_offset_minutes)
    return datetime.fromtimestamp(now_ms / 1000, tz=UTC) + offset


def age_of(birth_year: int | None, now_ms: int, policy: NodePolicy) -> int | None:
    """Age in whole years by calendar year: members give a birth year, not a date."""
    if birth_year is None:
        return None
    return local_time(now_ms, policy).year - birth_year


def day_start_ms(now_ms: int, policy: NodePolicy) -> int:
    """Start of the policy's local day holding `now_ms` (daily caps count per local day)."""
    offset_ms = policy.service.utc_offset_minutes * MINUTE_MS
    return (now_ms + offset_ms) // DAY_MS * DAY_MS - offset_ms


AGE_BANDS = ((0, "under_18"), (18, "18_39"), (40, "40_59"), (60, "60_69"), (70, "70_79"),
             (80, "80_plus"))


def age_band(age: int | None) -> str:
    if age is None or age < 0:  # no birth year, or one recorded in the future
        return "unknown"
    return [name for low, name in AGE_BANDS if age >= low][-1]


@dataclass(frozen=True)
class Profile:
    hardship: bool = False
    subsidised: bool = False


def load_profile(conn: Connection, local_id: str) -> Profile:
    row = conn.execute(select(tb_profiles).where(
        tb_profiles.c.member_local_id == local_id)).one_or_none()
    if row is None:
        return Profile()
    return Profile(hardship=bool(row.hardship), subsidised=bool(row.subsidised))


def audit(conn: Connection, *, subject: str, action: str, actor: str, detail: str, now_ms: int,
          entry_height: int | None = None) -> None:
    conn.execute(insert(tb_audit).values(
        subject=subject, action=action, actor=actor, detail=detail[:TEXT_CHARS_MAX],
        entry_height=entry_height, at_ms=now_ms))


def audit_trail(conn: Connection, subject: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(tb_audit).where(tb_audit.c.subject == subject)
                        .order_by(tb_audit.c.id))
    return [{"action": r.action, "actor": r.actor, "detail": r.detail,
             "entry_height": r.entry_height, "at_ms": r.at_ms} for r in rows]
