"""The accounts the node owns: created at `init` (or, for a database made before they were,
at the first start after `hourbridge migrate`), each recorded in `system_accounts`.

    issuance, redemption, expiry, pending   the ledger's own (node/ledger/model.py)
    pending:services                        service payments held in escrow (node/timebank)
    member:hardship-pool                    the donation pool, whose id looks like a member's

Only this module and migration 0007 write `system_accounts`, so the mark tells the pool the node
made from a member someone registered under its id before the id was reserved
(node/ledger/system_ids.py). Such an impostor stops the node at start-up
(`system_account_taken`) until an operator runs `hourbridge admin reclaim-system-id`:

1. the member record (name, station, birth year, vetting, kin) is copied to a new id with a new,
   empty account; the member row under the system id is reset to the pool's own shape;
2. the impostor's API tokens are revoked;
3. the account keeps its hours and its whole history: hours sent to `hardship-pool@<node>` were
   meant for the pool. What the operator finds was the member's own moves to the new id by one
   ordinary ledger entry (`--move-minutes`), reversible like any transfer; nothing edits a
   balance. Entries that took hours out of the account are listed for review (a transfer among
   them may be reversed with the ledger's usual reversal);
4. the account is marked as the node's, in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from node.db.engine import Database
from node.db.rows import MemberRow, SystemAccountRow
from node.db.schema import (
    accounts,
    api_tokens,
    journal_entries,
    members,
    postings,
    system_accounts,
    tb_kin,
    tb_kin_pending,
    tb_profiles,
)
from node.errors import ConfigError, Conflict, ErrorCode
from node.ledger.journal import Ledger
from node.ledger.model import SYSTEM_ACCOUNTS, AccountKind, EntryKind, member_account
from node.ledger.system_ids import (
    ESCROW_ACCOUNT,
    POOL_ACCOUNT,
    POOL_DISPLAY_NAME,
    POOL_LOCAL_ID,
    SYSTEM_MEMBER_IDS,
    refuse_system_id,
)
from node.services.members import ACTIVE, DEACTIVATED
from node.states import MEMBER_FLOOR_MINUTES, MemberStatus
from protocol.addresses import LOCAL_ID_PATTERN
from protocol.credit import CreditClass

# code -> (kind, purpose) of every account the node owns from the start.
_OWN: dict[str, tuple[AccountKind, str]] = {
    **{str(kind): (kind, str(kind)) for kind in SYSTEM_ACCOUNTS},
    ESCROW_ACCOUNT: (AccountKind.PENDING, "escrow"),
    POOL_ACCOUNT: (AccountKind.MEMBER, "pool"),
}
RECLAIM_COMMAND = "hourbridge admin reclaim-system-id {local_id} --keep-as NEW_ID --data DIR"
# The pool's own order (node/timebank/donations.py) for hours handed back to a member.
_RECLAIM_ORDER = (CreditClass.DONATED, CreditClass.GROUP_EARNED, CreditClass.EARNED,
                  CreditClass.SPONSORED, CreditClass.GRANTED)
DEBITS_LISTED_MAX = 50


def _marked(conn: Connection) -> set[str]:
    return set(conn.execute(select(system_accounts.c.code)).scalars())


def impostors(conn: Connection) -> list[str]:
    """Members registered under a system id: their row exists, the node never marked it."""
    found = conn.execute(select(members.c.local_id).where(
        members.c.local_id.in_(sorted(SYSTEM_MEMBER_IDS)))).scalars()
    marked = _marked(conn)
    return sorted(local_id for local_id in found if member_account(local_id) not in marked)


def taken_error(taken: list[str]) -> ConfigError:
    commands = "; ".join(f"`{RECLAIM_COMMAND.format(local_id=local_id)}`" for local_id in taken)
    return ConfigError(
        f"member {', '.join(taken)} was registered under the id of an account this node owns "
        "(its donation pool): whoever acts for that member could move the hours meant for the "
        "pool. The node does not start until an operator gives the member record a new id and "
        f"returns the account to the node: stop the node and run {commands} "
        "(docs/operations.md). It moves no hours unless told to, and edits no balance.",
        code=ErrorCode.SYSTEM_ACCOUNT_TAKEN)


def ensure_system_accounts(conn: Connection, ledger: Ledger, now_ms: int) -> None:
    """Create the system accounts that are missing and mark every one; refuse an impostor."""
    if _marked(conn) >= set(_OWN):
        return  # all there, the pool among them: no member can hold its id
    taken = impostors(conn)
    if taken:
        raise taken_error(taken)
    have = set(conn.execute(select(accounts.c.code).where(
        accounts.c.code.in_(sorted(_OWN)))).scalars())
    for code, (kind, _) in _OWN.items():
        if code in have:
            continue
        if code == POOL_ACCOUNT:
            conn.execute(insert(members).values(MemberRow(
                local_id=POOL_LOCAL_ID, display_name=POOL_DISPLAY_NAME, station=None,
                birth_year=None, status=ACTIVE, created_at_ms=now_ms).values()))
        ledger.create_account(
            conn, code=code, kind=kind, now_ms=now_ms,
            member_local_id=POOL_LOCAL_ID if code == POOL_ACCOUNT else None,
            floor_minutes=MEMBER_FLOOR_MINUTES if kind == AccountKind.MEMBER else None)
    marked = _marked(conn)
    for code, (_, purpose) in _OWN.items():
        if code not in marked:
            conn.execute(insert(system_accounts).values(SystemAccountRow(
                code=code, purpose=purpose, created_at_ms=now_ms).values()))


def open_system_accounts(db: Database, ledger: Ledger, now_ms: int) -> None:
    """At start: refuse an impostor; create what is missing (one write only if something is)."""
    with db.read() as conn:
        taken = impostors(conn)
        complete = _marked(conn) >= set(_OWN)
    if taken:
        raise taken_error(taken)
    if not complete:
        with db.write() as conn:
            ensure_system_accounts(conn, ledger, now_ms)


@dataclass(frozen=True)
class Debit:
    height: int
    kind: str
    actor: str
    amount_minutes: int


@dataclass(frozen=True)
class Reclaimed:
    local_id: str
    kept_as: str
    moved_minutes: int
    entry_height: int | None
    revoked_tokens: int
    debits: list[Debit]  # entries that took hours out of the account, oldest first


def reclaim(conn: Connection, ledger: Ledger, *, local_id: str, keep_as: str, move_minutes: int,
            actor: str, now_ms: int) -> Reclaimed:
    """Give the member registered under a system id the id `keep_as`; the account (hours and
    history) stays the node's. See the module's docstring for the steps."""
    if local_id not in impostors(conn):
        raise ConfigError(f"{local_id} is not a member registered under a system id here: "
                          "nothing to reclaim")
    row = conn.execute(select(members).where(members.c.local_id == local_id)).one()
    if row.status not in (ACTIVE, DEACTIVATED):
        raise ConfigError(f"member {local_id} is {row.status}: let the relocation settle first")
    _check_new_id(conn, keep_as)
    conn.execute(insert(members).values(MemberRow(
        local_id=keep_as, display_name=row.display_name, station=row.station,
        birth_year=row.birth_year, status=MemberStatus(row.status), created_at_ms=now_ms,
        deactivated_at_ms=row.deactivated_at_ms,
        deactivation_reason=row.deactivation_reason).values()))
    ledger.create_account(conn, code=member_account(keep_as), kind=AccountKind.MEMBER,
                          now_ms=now_ms, member_local_id=keep_as,
                          floor_minutes=MEMBER_FLOOR_MINUTES)
    for table in (tb_profiles, tb_kin, tb_kin_pending):
        conn.execute(update(table).where(table.c.member_local_id == local_id)
                     .values(member_local_id=keep_as))
    revoked = conn.execute(update(api_tokens).where(
        api_tokens.c.member_local_id == local_id, api_tokens.c.revoked_at_ms.is_(None))
        .values(revoked_at_ms=now_ms)).rowcount
    debits = _debits(conn, member_account(local_id))  # before the entry below, for review
    height = None
    if move_minutes:
        height = ledger.move(
            conn, debtor=member_account(local_id), creditor=member_account(keep_as),
            amount_minutes=move_minutes, spend_order=_RECLAIM_ORDER, kind=EntryKind.TRANSFER,
            ref=f"reclaim:{local_id}", actor=actor, now_ms=now_ms,
            memo=f"{local_id} reclaimed by the node: the member's own hours go to {keep_as}").height
    conn.execute(update(members).where(members.c.local_id == local_id).values(
        display_name=POOL_DISPLAY_NAME, station=None, birth_year=None, status=ACTIVE,
        deactivated_at_ms=None, deactivation_reason=None))
    conn.execute(insert(system_accounts).values(SystemAccountRow(
        code=member_account(local_id), purpose=_OWN[member_account(local_id)][1],
        created_at_ms=now_ms).values()))
    return Reclaimed(local_id=local_id, kept_as=keep_as, moved_minutes=move_minutes,
                     entry_height=height, revoked_tokens=int(revoked), debits=debits)


def _check_new_id(conn: Connection, keep_as: str) -> None:
    if not re.fullmatch(LOCAL_ID_PATTERN, keep_as):
        raise ConfigError(f"{keep_as!r} is not a local id ({LOCAL_ID_PATTERN})")
    refuse_system_id(keep_as, what="choose another id for the member record")
    if conn.execute(select(members.c.local_id).where(members.c.local_id == keep_as)).first():
        raise Conflict(ErrorCode.MEMBER_EXISTS, f"member {keep_as} exists already")


def _debits(conn: Connection, account: str) -> list[Debit]:
    rows = conn.execute(
        select(journal_entries.c.height, journal_entries.c.kind, journal_entries.c.actor,
               func.sum(postings.c.amount_minutes))
        .select_from(postings.join(journal_entries,
                                   postings.c.entry_height == journal_entries.c.height))
        .where(postings.c.account_code == account)
        .group_by(journal_entries.c.height, journal_entries.c.kind, journal_entries.c.actor)
        .having(func.sum(postings.c.amount_minutes) < 0)
        .order_by(journal_entries.c.height).limit(DEBITS_LISTED_MAX))
    return [Debit(int(h), str(k), str(a), -int(m)) for h, k, a, m in rows]
