"""CHECK constraints on every stored lifecycle state (issue 20).

Each state, status or outcome column may hold only the values of its enum in node/states.py;
node/db/schema.py builds the same constraints from the enums. Every value the node has ever
written is in its list (the writers were read column by column), so existing rows pass. The
values are copied here, not imported: a revision must keep meaning what it meant.

On SQLite a constraint is added by rebuilding the table (batch mode). The two partial indexes on
`transfers` are dropped before and made again after its rebuild, so their WHERE clause survives.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CHECKS: dict[str, dict[str, tuple[str, ...]]] = {
    "members": {"status": ("active", "deactivated", "relocating", "relocated")},
    "transfers": {"state": ("pending", "in_doubt", "committed", "rejected", "expired")},
    "remote_transfers": {"state": ("committed", "rejected", "unknown_expired")},
    "relocations": {"state": ("pending", "committed", "rejected")},
    "payment_requests": {"state": ("sent", "acknowledged", "refused", "paid", "declined")},
    "payment_requests_in": {"state": ("awaiting", "approved", "declined")},
    "windows": {"state": ("open", "matched", "disputed")},
    "discrepancies": {"status": ("open", "closed"),
                      "outcome": ("repaired", "carried", "disputed")},
    "tb_service_requests": {"state": ("open", "accepted", "in_progress", "completed",
                                      "disputed", "paid", "refunded", "cancelled")},
    "tb_disputes": {"state": ("open", "resolved"), "outcome": ("release", "refund", "partial")},
}
OPEN_TRANSFER = sa.text("transfers.state IN ('pending', 'in_doubt')")
PARTIAL_INDEXES = {"ix_transfers_open_by_debtor": ["debtor"],
                   "ix_transfers_open_by_expiry": ["expires_at_ms"]}


def _condition(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    _drop_partial_indexes()
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column, values in columns.items():
                batch.create_check_constraint(f"ck_{table}_{column}",
                                              _condition(column, values))
    _create_partial_indexes()


def downgrade() -> None:
    _drop_partial_indexes()
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_constraint(f"ck_{table}_{column}", type_="check")
    _create_partial_indexes()


def _drop_partial_indexes() -> None:
    for name in PARTIAL_INDEXES:
        op.drop_index(name, table_name="transfers")


def _create_partial_indexes() -> None:
    for name, indexed in PARTIAL_INDEXES.items():
        op.create_index(name, "transfers", indexed, sqlite_where=OPEN_TRANSFER,
                        postgresql_where=OPEN_TRANSFER)
