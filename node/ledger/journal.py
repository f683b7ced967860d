"""Posting entries to the journal. Every write happens inside `Database.write()`, which holds
the node's write lock, so the head read here is the head the new entry extends."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import lru_cache

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from node.db.fast import FastStatement, in_params, in_values, insert_row
from node.db.rows import AccountRow, BalanceRow, JournalEntryRow, PostingRow
from node.db.schema import accounts, balances, journal_entries, ledger_head, members, postings
from node.errors import Conflict, ErrorCode, NotFound, RuleViolation, require
from node.ledger.hashing import rehash
from node.ledger.model import (
    CREDITS_TO_CLOSED_ACCOUNTS,
    MEMBER_DEACTIVATED,
    MEMBER_RELOCATED,
    MEMBER_RELOCATING,
    POSTINGS_PER_ENTRY_MAX,
    REVERSIBLE_KINDS,
    AccountKind,
    Entry,
    EntryKind,
    Posting,
    check_postings,
    entry_from_row,
    posting_from_row,
    transfer_legs,
)
from protocol.credit import CreditClass

# The hot path's statements, compiled once (see node/db/fast.py).
_HEAD = FastStatement(
    select(ledger_head.c.height, ledger_head.c.head_hash).where(ledger_head.c.id == 1)
)
_UPDATE_BALANCE = FastStatement(
    update(balances)
    .where(balances.c.account_code == bindparam("a"), balances.c.credit_class == bindparam("c"))
    .values(balance_minutes=bindparam("b"))
)
_INSERT_BALANCE = insert_row(balances)
_BALANCES_OF = FastStatement(
    select(balances.c.credit_class, balances.c.balance_minutes)
    .where(balances.c.account_code == bindparam("a"))
)
_INSERT_ENTRY = insert_row(journal_entries)
_INSERT_POSTING = insert_row(postings)
_ADVANCE_HEAD = FastStatement(
    update(ledger_head)
    .where(ledger_head.c.id == 1, ledger_head.c.height == bindparam("old_height"))
    .values(height=bindparam("new_height"), head_hash=bindparam("new_hash"))
)


@lru_cache(maxsize=POSTINGS_PER_ENTRY_MAX)
def _state_statement(count: int) -> FastStatement:
    return FastStatement(
        select(
            accounts.c.code,
            accounts.c.kind,
            accounts.c.floor_minutes,
            members.c.status,
            balances.c.credit_class,
            balances.c.balance_minutes,
        )
        .select_from(accounts.outerjoin(balances).outerjoin(
            members, members.c.local_id == accounts.c.member_local_id))
        .where(accounts.c.code.in_(in_params(count)))
    )


@dataclass(frozen=True)
class AccountState:
    kind: str
    floor_minutes: int | None
    by_class: dict[str, int]
    member_status: str | None = None  # a member account's member's status


def read_state(conn: Connection, codes: list[str]) -> dict[str, AccountState]:
    """Kind, floor and balance by class of each named account, in one query."""
    state: dict[str, AccountState] = {}
    for row in _state_statement(len(codes)).rows(conn, in_values(codes)):
        account = state.setdefault(
            row.code, AccountState(row.kind, row.floor_minutes, {}, row.status))
        if row.credit_class is not None:
            account.by_class[row.credit_class] = row.balance_minutes
    require(len(state) == len(set(codes)), f"unknown account among {codes}")
    return state


class Ledger:
    def __init__(self, node_id: str) -> None:
        self.node_id = node_id

    # accounts -------------------------------------------------------------------------------

    def create_account(
        self,
        conn: Connection,
        *,
        code: str,
        kind: AccountKind,
        now_ms: int,
        member_local_id: str | None = None,
        peer_node_id: str | None = None,
        floor_minutes: int | None = None,
    ) -> None:
        require(kind != AccountKind.MEMBER or floor_minutes is not None, "members need a floor")
        conn.execute(insert(accounts).values(AccountRow(
            code=code, kind=str(kind), member_local_id=member_local_id,
            peer_node_id=peer_node_id, floor_minutes=floor_minutes, created_at_ms=now_ms,
        ).values()))

    def balances_of(self, conn: Connection, account: str) -> dict[CreditClass, int]:
        rows = _BALANCES_OF.rows(conn, {"a": account})
        return {CreditClass(row.credit_class): row.balance_minutes for row in rows}

    # posting --------------------------------------------------------------------------------

    def head(self, conn: Connection) -> tuple[int, str]:
        (row,) = _HEAD.rows(conn, {})
        return int(row.height), str(row.head_hash)

    def move(
        self,
        conn: Connection,
        *,
        debtor: str,
        creditor: str,
        amount_minutes: int,
        spend_order: tuple[CreditClass, ...],
        kind: str,
        ref: str,
        actor: str,
        memo: str,
        now_ms: int,
    ) -> Entry:
        """Move hours between two accounts, spending the debtor's classes in `spend_order`."""
        state = read_state(conn, [debtor, creditor])
        available = {CreditClass(c): v for c, v in state[debtor].by_class.items()}
        legs = transfer_legs(
            debtor=debtor,
            creditor=creditor,
            available=available,
            amount_minutes=amount_minutes,
            spend_order=spend_order,
        )
        if legs is None:
            raise RuleViolation(
                ErrorCode.INSUFFICIENT_FUNDS, f"{debtor} cannot spend {amount_minutes} minutes"
            )
        return self.post(
            conn, kind=kind, ref=ref, actor=actor, memo=memo, now_ms=now_ms, legs=legs, state=state
        )

    def post(
        self,
        conn: Connection,
        *,
        kind: str,
        ref: str | None,
        actor: str,
        memo: str,
        now_ms: int,
        legs: tuple[Posting, ...],
        reverses_height: int | None = None,
        state: dict[str, AccountState] | None = None,
    ) -> Entry:
        """Append one balanced entry, or raise RuleViolation if a member would go below floor.

        `state` may carry what `read_state` returned for these accounts in this transaction.
        """
        check_postings(legs)
        if state is None:
            state = read_state(conn, sorted({p.account for p in legs}))
        _refuse_credit_to_moved(state, legs, kind)
        new_balances = _apply(state, legs)
        height, prev_hash = self.head(conn)
        draft = Entry(
            height=height + 1, entry_id=uuid.uuid4().hex, kind=str(kind), ref=ref, actor=actor,
            memo=memo, created_at_ms=now_ms, reverses_height=reverses_height,
            prev_hash=prev_hash, entry_hash="", postings=legs,
        )
        entry = replace(draft, entry_hash=rehash(draft, self.node_id))
        _INSERT_ENTRY.run(conn, _entry_row(entry).values())
        _INSERT_POSTING.run_many(
            conn,
            [
                PostingRow(entry_height=entry.height, seq=seq, account_code=p.account,
                           credit_class=str(p.credit_class),
                           amount_minutes=p.amount_minutes).values()
                for seq, p in enumerate(legs)
            ],
        )
        self._store_balances(conn, new_balances)
        moved = _ADVANCE_HEAD.run(
            conn, {"old_height": height, "new_height": entry.height, "new_hash": entry.entry_hash}
        )
        require(moved == 1, "ledger head moved under the write lock")
        return entry

    @staticmethod
    def _store_balances(
        conn: Connection, new_balances: dict[tuple[str, str], tuple[int, bool]]
    ) -> None:
        updates = [
            {"a": code, "c": cls, "b": value}
            for (code, cls), (value, existed) in new_balances.items()
            if existed
        ]
        inserts = [
            BalanceRow(account_code=code, credit_class=cls, balance_minutes=value).values()
            for (code, cls), (value, existed) in new_balances.items()
            if not existed
        ]
        if updates:
            _UPDATE_BALANCE.run_many(conn, updates)
        if inserts:
            _INSERT_BALANCE.run_many(conn, inserts)

    # reading entries -----------------------------------------------------------------------

    def load_entry(self, conn: Connection, height: int) -> Entry:
        row = conn.execute(
            select(journal_entries).where(journal_entries.c.height == height)
        ).one_or_none()
        if row is None:
            raise NotFound(ErrorCode.ENTRY_NOT_FOUND, f"no journal entry at height {height}")
        legs = conn.execute(
            select(postings).where(postings.c.entry_height == height).order_by(postings.c.seq)
        )
        return entry_from_row(row, [posting_from_row(p) for p in legs])

    def reverse(
        self, conn: Connection, *, height: int, actor: str, memo: str, now_ms: int
    ) -> Entry:
        """Correct an entry by appending its mirror image; the original stays as it was."""
        original = self.load_entry(conn, height)
        if original.kind == EntryKind.REVERSAL:
            raise RuleViolation(ErrorCode.NOT_REVERSIBLE, "a reversal is not reversed again")
        if original.kind not in REVERSIBLE_KINDS:
            raise RuleViolation(
                ErrorCode.NOT_REVERSIBLE,
                f"a {original.kind} entry records what a peer node signed for; it is corrected "
                "through the link's reconciliation, not by a one-sided reversal",
            )
        already = conn.execute(
            select(journal_entries.c.height).where(journal_entries.c.reverses_height == height)
        ).scalar_one_or_none()
        if already is not None:
            raise Conflict(
                ErrorCode.ALREADY_REVERSED, f"entry {height} was reversed by entry {already}"
            )
        legs = tuple(
            Posting(p.account, p.credit_class, -p.amount_minutes) for p in original.postings
        )
        return self.post(
            conn,
            kind=EntryKind.REVERSAL,
            ref=original.entry_id,
            actor=actor,
            memo=memo,
            now_ms=now_ms,
            legs=legs,
            reverses_height=height,
        )

    def totals_by_kind(self, conn: Connection) -> dict[str, int]:
        rows = conn.execute(
            select(accounts.c.kind, func.coalesce(func.sum(balances.c.balance_minutes), 0))
            .select_from(accounts.join(balances))
            .group_by(accounts.c.kind)
        )
        return {kind: int(total) for kind, total in rows}


def _entry_row(entry: Entry) -> JournalEntryRow:
    return JournalEntryRow(
        height=entry.height, entry_id=entry.entry_id, kind=entry.kind, ref=entry.ref,
        actor=entry.actor, memo=entry.memo, created_at_ms=entry.created_at_ms,
        reverses_height=entry.reverses_height, prev_hash=entry.prev_hash,
        entry_hash=entry.entry_hash,
    )


def _refuse_credit_to_moved(
    state: dict[str, AccountState], legs: tuple[Posting, ...], kind: str
) -> None:
    """No hours land on the account of a member who moved to another node (issue 12): there
    nothing could ever spend or move them; nor new hours on a closed account (only what gives
    back her own, CREDITS_TO_CLOSED_ACCOUNTS). Every path that credits a member checks the
    member first; this is the backstop, for all of them at once."""
    for p in legs:
        if p.amount_minutes <= 0:
            continue
        status = state[p.account].member_status
        if status == MEMBER_RELOCATED:
            raise RuleViolation(ErrorCode.MEMBER_RELOCATED,
                                f"{p.account} moved to another node; no hours may land on it")
        if status == MEMBER_RELOCATING and kind != EntryKind.RELOCATION_OUT:
            raise RuleViolation(ErrorCode.MEMBER_INACTIVE,
                                f"{p.account} is relocating; no hours may land on it")
        if status == MEMBER_DEACTIVATED and kind not in CREDITS_TO_CLOSED_ACCOUNTS:
            raise RuleViolation(ErrorCode.MEMBER_INACTIVE,
                                f"{p.account} is closed; {kind} may not credit it")


def _apply(
    state: dict[str, AccountState], legs: tuple[Posting, ...]
) -> dict[tuple[str, str], tuple[int, bool]]:
    """New balance of every (account, class) the legs touch, checked against floors.

    A member's earned hours may go down to the member's floor (an overdraft the standard may
    allow); every other class only down to zero. Returns {(account, class): (new, row existed)}.
    """
    deltas: dict[tuple[str, str], int] = defaultdict(int)
    for p in legs:
        deltas[(p.account, str(p.credit_class))] += p.amount_minutes
    result: dict[tuple[str, str], tuple[int, bool]] = {}
    for (code, credit_class), delta in deltas.items():
        account = state[code]
        before = account.by_class.get(credit_class, 0)
        after = before + delta
        if account.kind == AccountKind.MEMBER and delta < 0:
            lowest = account.floor_minutes if credit_class == CreditClass.EARNED else 0
            require(lowest is not None, f"member account {code} has no floor")
            if after < (lowest or 0):
                raise RuleViolation(
                    ErrorCode.INSUFFICIENT_FUNDS,
                    f"{code} has {before} {credit_class} minutes, the entry needs {-delta}",
                )
        result[(code, credit_class)] = (after, credit_class in account.by_class)
    return result
