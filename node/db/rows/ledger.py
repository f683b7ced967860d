"""Rows of the ledger: journal entries, their postings, accounts, balances and members."""

from __future__ import annotations

from dataclasses import dataclass

from node.db import schema
from node.db.rows.base import Row
from node.states import MemberStatus

# the ledger (node/ledger/journal.py) ----------------------------------------------------------

@dataclass(slots=True, kw_only=True)
class JournalEntryRow(Row):
    TABLE = schema.journal_entries
    height: int
    entry_id: str
    kind: str
    ref: str | None
    actor: str
    memo: str
    created_at_ms: int
    reverses_height: int | None
    prev_hash: str
    entry_hash: str


@dataclass(slots=True, kw_only=True)
class PostingRow(Row):
    TABLE = schema.postings
    entry_height: int
    seq: int
    account_code: str
    credit_class: str
    amount_minutes: int


@dataclass(slots=True, kw_only=True)
class AccountRow(Row):
    TABLE = schema.accounts
    code: str
    kind: str
    member_local_id: str | None
    peer_node_id: str | None
    floor_minutes: int | None
    created_at_ms: int


@dataclass(slots=True, kw_only=True)
class BalanceRow(Row):
    TABLE = schema.balances
    account_code: str
    credit_class: str
    balance_minutes: int


@dataclass(slots=True, kw_only=True)
class MemberRow(Row):
    TABLE = schema.members
    local_id: str
    display_name: str
    station: str | None
    birth_year: int | None
    status: MemberStatus
    created_at_ms: int
    deactivated_at_ms: int | None = None
    deactivation_reason: str | None = None
    relocated_to: str | None = None


@dataclass(slots=True, kw_only=True)
class SystemAccountRow(Row):
    """An account the node owns, recorded so that no member can be registered under its id."""

    TABLE = schema.system_accounts
    code: str
    purpose: str
    created_at_ms: int
