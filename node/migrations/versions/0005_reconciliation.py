"""Settlement windows, reconciliation records and discrepancies (docs/reconciliation.md).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

HASH = sa.String(64)
ID = sa.String(64)
ADDRESS = sa.String(100)
NODE = sa.String(32)


def upgrade() -> None:
    with op.batch_alter_table("relocations") as batch:
        batch.add_column(sa.Column("prepare_hash", HASH, nullable=True))
        batch.add_column(sa.Column("answer_transaction_id", ID, nullable=True))
    with op.batch_alter_table("relocations_in") as batch:
        batch.add_column(sa.Column("prepare_hash", HASH, nullable=True))
    op.create_table(
        "windows",
        sa.Column("peer_node_id", NODE, primary_key=True),
        sa.Column("window_index", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("outgoing_cut", sa.BigInteger(), nullable=False),
        sa.Column("incoming_cut", sa.BigInteger(), nullable=False),
        sa.Column("closing_position_minutes", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("peer_statement", sa.Text(), nullable=True),
        sa.Column("record", sa.Text(), nullable=True),
        sa.Column("digests_exchanged", sa.BigInteger(), nullable=False),
        sa.Column("closed_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("reconciled_at_ms", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "discrepancies",
        sa.Column("id", ID, primary_key=True),
        sa.Column("peer_node_id", NODE, nullable=False),
        sa.Column("window_index", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("debtor_node", NODE, nullable=True),
        sa.Column("transfer_id", ID, nullable=True),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("found_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("closed_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("closed_by", ADDRESS, nullable=True),
    )
    op.create_index("ix_discrepancies_peer_node_id", "discrepancies", ["peer_node_id"])


def downgrade() -> None:
    op.drop_table("discrepancies")
    op.drop_table("windows")
    with op.batch_alter_table("relocations_in") as batch:
        batch.drop_column("prepare_hash")
    with op.batch_alter_table("relocations") as batch:
        batch.drop_column("answer_transaction_id")
        batch.drop_column("prepare_hash")
