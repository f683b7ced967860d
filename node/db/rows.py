"""One typed row per table the money path writes: the one spelling of each.

A writer builds its table's dataclass instead of a dict spelled by hand (a transfer was
spelled in three places, each with its own list of the columns it left NULL), so mypy checks
every write, and tests/node/db/test_rows.py holds each class to its table: the same column
names, `| None` exactly where the column is nullable, the Python type of the column's type, and
on each stored lifecycle column the enum of node/states.py (a StrEnum: it binds as its string).

`values()` gives the insert parameters; `from_row(row)` reads a whole row back, from a
SQLAlchemy Row or a named tuple of node/db/fast.py. Fields are keyword-only: many neighbours
share a type. Not frozen: a frozen dataclass sets each field through object.__setattr__, which
made a local transfer ~7 % slower; rows are built, written and dropped, never shared.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar, Self

from sqlalchemy import Table

from node.db import schema
from node.states import (
    STORED,
    DiscrepancyOutcome,
    DiscrepancyStatus,
    IncomingPaymentState,
    PaymentRequestState,
    RelocationState,
    RemoteTransferState,
    TransferState,
    WindowState,
)


@dataclass(slots=True, kw_only=True)
class Row:
    """What every row class shares. FIELDS and ENUMS are filled in once, below the classes."""

    TABLE: ClassVar[Table]
    FIELDS: ClassVar[tuple[str, ...]] = ()  # the dataclass fields, in order: the columns
    ENUMS: ClassVar[tuple[tuple[str, type[StrEnum]], ...]] = ()  # (column, its enum)

    def values(self) -> dict[str, Any]:
        """The insert parameters, one per column. Not dataclasses.asdict: this runs on every
        transfer, and asdict deep-copies each value."""
        return {name: getattr(self, name) for name in self.FIELDS}

    @classmethod
    def from_row(cls, row: Any) -> Self:
        """A stored row with every column selected, its lifecycle columns as their enums."""
        values = row._asdict()
        for column, enum in cls.ENUMS:
            if values[column] is not None:
                values[column] = enum(values[column])
        return cls(**values)



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


# transfers, ours and our members' from other nodes -------------------------------------------

@dataclass(slots=True, kw_only=True)
class TransferRow(Row):
    """A local transfer fills the first twelve columns; the rest are a cross-node transfer's."""

    TABLE = schema.transfers
    id: str
    debtor: str
    creditor: str
    amount_minutes: int
    memo: str
    state: TransferState
    reason_code: str | None
    request_hash: str
    entry_height: int | None
    actor: str
    created_at_ms: int
    updated_at_ms: int
    peer_node_id: str | None = None
    wire_id: str | None = None
    message_id: str | None = None
    prepare_hash: str | None = None
    credit_class: str | None = None
    purpose: str | None = None
    payment_request_id: str | None = None
    expires_at_ms: int | None = None
    settled_entry_height: int | None = None
    answer_transaction_id: str | None = None
    relocated_to: str | None = None
    final_answer: str | None = None
    dispute: str | None = None


@dataclass(slots=True, kw_only=True)
class RemoteTransferRow(Row):
    TABLE = schema.remote_transfers
    debtor_node: str
    transfer_id: str
    prepare_hash: str
    state: RemoteTransferState
    debtor: str | None
    creditor: str | None
    amount_minutes: int | None
    answer: str | None
    entry_height: int | None
    transaction_id: str | None
    received_at_ms: int


# the exchange's signed transactions (node/exchange/store.py) ---------------------------------

@dataclass(slots=True, kw_only=True)
class OutTransactionRow(Row):
    TABLE = schema.out_transactions
    peer_node_id: str
    sequence: int
    transaction_id: str
    transaction_hash: str
    document: str
    response: str | None
    created_at_ms: int
    answered_at_ms: int | None


@dataclass(slots=True, kw_only=True)
class InTransactionRow(Row):
    TABLE = schema.in_transactions
    sender: str
    transaction_id: str
    sequence: int
    transaction_hash: str
    document: str
    response: str
    received_at_ms: int


# relocations, from here and to here ----------------------------------------------------------

@dataclass(slots=True, kw_only=True)
class RelocationRow(Row):
    TABLE = schema.relocations
    id: str
    member_local_id: str
    to_node: str
    new_local_id: str
    state: RelocationState
    reason_code: str | None
    detail: str | None
    new_address: str | None
    request_hash: str
    wire_id: str
    message_id: str
    balances: str
    history: str
    entry_height: int | None
    settled_entry_height: int | None
    actor: str
    created_at_ms: int
    expires_at_ms: int
    committed_at_ms: int | None
    updated_at_ms: int
    dispute: str | None
    prepare_hash: str | None
    answer_transaction_id: str | None


@dataclass(slots=True, kw_only=True)
class RelocationInRow(Row):
    TABLE = schema.relocations_in
    from_node: str
    relocation_id: str
    body_hash: str
    member: str
    new_local_id: str
    balances: str
    history: str
    entry_height: int | None
    committed_at_ms: int
    transaction_id: str
    prepare_hash: str | None


# payment requests, the payee's and the payer's ------------------------------------------------

@dataclass(slots=True, kw_only=True)
class PaymentRequestRow(Row):
    TABLE = schema.payment_requests
    id: str
    wire_id: str
    message_id: str
    payee: str
    payer: str
    amount_minutes: int
    category: str
    description: str
    state: PaymentRequestState
    reason_code: str | None
    detail: str | None
    paid_by_transfer: str | None
    request_hash: str
    actor: str
    created_at_ms: int
    expires_at_ms: int
    updated_at_ms: int


@dataclass(slots=True, kw_only=True)
class PaymentRequestInRow(Row):
    TABLE = schema.payment_requests_in
    payee_node: str
    request_id: str
    body_hash: str
    payee: str
    payer_local_id: str
    amount_minutes: int
    category: str
    description: str
    created_at_ms: int
    expires_at_ms: int
    state: IncomingPaymentState
    transfer_id: str | None
    decline_message_id: str | None
    decided_by: str | None
    decided_at_ms: int | None
    received_at_ms: int


# reconciliation (node/reconcile/records.py) ---------------------------------------------------

@dataclass(slots=True, kw_only=True)
class WindowRow(Row):
    TABLE = schema.windows
    peer_node_id: str
    window_index: int
    outgoing_cut: int
    incoming_cut: int
    closing_position_minutes: int
    state: WindowState
    statement: str
    peer_statement: str | None
    record: str | None
    digests_exchanged: int
    closed_at_ms: int
    reconciled_at_ms: int | None


@dataclass(slots=True, kw_only=True)
class DiscrepancyRow(Row):
    TABLE = schema.discrepancies
    id: str
    peer_node_id: str
    window_index: int
    kind: str
    outcome: DiscrepancyOutcome
    status: DiscrepancyStatus
    debtor_node: str | None
    transfer_id: str | None
    detail: str
    evidence: str | None
    found_at_ms: int
    closed_at_ms: int | None
    closed_by: str | None


def _registered(*classes: type[Row]) -> dict[str, type[Row]]:
    """Fill in each class's FIELDS and ENUMS; the classes by their table's name."""
    for row in classes:
        row.FIELDS = tuple(field.name for field in fields(row))
        row.ENUMS = tuple((column, enum) for (table, column), enum in STORED.items()
                          if table == row.TABLE.name)
    return {row.TABLE.name: row for row in classes}


# tests/node/db/test_rows.py holds each one to its table.
ROWS = _registered(JournalEntryRow, PostingRow, TransferRow, RemoteTransferRow, OutTransactionRow,
                   InTransactionRow, RelocationRow, RelocationInRow, PaymentRequestRow,
                   PaymentRequestInRow, WindowRow, DiscrepancyRow)
