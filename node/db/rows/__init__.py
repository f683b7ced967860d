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

from node.db.rows.base import Row, registered
from node.db.rows.exchange import (
    InMessageRow,
    InTransactionRow,
    LinkRow,
    OutboxRow,
    OutTransactionRow,
    PaymentRequestInRow,
    PaymentRequestRow,
    RelocationInRow,
    RelocationRow,
    RemoteTransferRow,
    TransferRow,
)
from node.db.rows.ledger import (
    AccountRow,
    BalanceRow,
    JournalEntryRow,
    MemberRow,
    PostingRow,
    SystemAccountRow,
)
from node.db.rows.reconcile import DiscrepancyRow, SightingRow, WindowRow

# tests/node/db/test_rows.py holds each one to its table.
ROWS = registered(JournalEntryRow, PostingRow, AccountRow, BalanceRow, MemberRow,
                  SystemAccountRow, TransferRow,
                  RemoteTransferRow, OutTransactionRow, InTransactionRow, LinkRow, OutboxRow,
                  InMessageRow, RelocationRow, RelocationInRow, PaymentRequestRow,
                  PaymentRequestInRow, WindowRow, DiscrepancyRow, SightingRow)

__all__ = [
    "ROWS",
    "AccountRow",
    "BalanceRow",
    "DiscrepancyRow",
    "InMessageRow",
    "InTransactionRow",
    "JournalEntryRow",
    "LinkRow",
    "MemberRow",
    "OutTransactionRow",
    "OutboxRow",
    "PaymentRequestInRow",
    "PaymentRequestRow",
    "PostingRow",
    "RelocationInRow",
    "RelocationRow",
    "RemoteTransferRow",
    "Row",
    "SightingRow",
    "SystemAccountRow",
    "TransferRow",
    "WindowRow",
]
