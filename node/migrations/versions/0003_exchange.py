"""The federation exchange: links, outbox, transactions both ways, remote transfers, and the
cross-node columns of transfers and members.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

HASH = sa.String(64)
ID = sa.String(64)
ADDRESS = sa.String(100)
NODE = sa.String(32)


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("relocated_to", ADDRESS, nullable=True))
    with op.batch_alter_table("transfers") as batch:
        for column in (
            sa.Column("peer_node_id", NODE, nullable=True),
            sa.Column("wire_id", ID, nullable=True),
            sa.Column("message_id", ID, nullable=True),
            sa.Column("prepare_hash", HASH, nullable=True),
            sa.Column("credit_class", sa.String(16), nullable=True),
            sa.Column("purpose", sa.String(24), nullable=True),
            sa.Column("payment_request_id", ID, nullable=True),
            sa.Column("expires_at_ms", sa.BigInteger(), nullable=True),
            sa.Column("settled_entry_height", sa.BigInteger(), nullable=True),
            sa.Column("answer_transaction_id", ID, nullable=True),
            sa.Column("relocated_to", ADDRESS, nullable=True),
            sa.Column("final_answer", sa.Text(), nullable=True),
            sa.Column("dispute", sa.String(500), nullable=True),
        ):
            batch.add_column(column)
        batch.create_unique_constraint("uq_transfers_wire_id", ["wire_id"])
    open_transfer = sa.text("transfers.state IN ('pending', 'in_doubt')")
    op.create_index("ix_transfers_open_by_expiry", "transfers", ["expires_at_ms"],
                    sqlite_where=open_transfer, postgresql_where=open_transfer)
    op.create_table(
        "links",
        sa.Column("peer_node_id", NODE, primary_key=True),
        sa.Column("out_sequence", sa.BigInteger(), nullable=False),
        sa.Column("out_hash", HASH, nullable=False),
        sa.Column("in_sequence", sa.BigInteger(), nullable=False),
        sa.Column("in_hash", HASH, nullable=False),
        sa.Column("reserved_minutes", sa.BigInteger(), nullable=False),
        sa.Column("frozen_reason", sa.String(48), nullable=True),
        sa.Column("frozen_detail", sa.String(500), nullable=True),
        sa.Column("frozen_at_ms", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "outbox",
        sa.Column("message_id", ID, primary_key=True),
        sa.Column("peer_node_id", NODE, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("transaction_id", ID, nullable=True),
        sa.Column("not_before_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ix_outbox_peer_ready", "outbox", ["peer_node_id", "transaction_id", "not_before_ms"]
    )
    op.create_table(
        "out_transactions",
        sa.Column("peer_node_id", NODE, primary_key=True),
        sa.Column("sequence", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("transaction_id", ID, nullable=False, unique=True),
        sa.Column("transaction_hash", HASH, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("answered_at_ms", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "in_transactions",
        sa.Column("sender", NODE, primary_key=True),
        sa.Column("transaction_id", ID, primary_key=True),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", HASH, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("received_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "in_messages",
        sa.Column("sender", NODE, primary_key=True),
        sa.Column("message_id", ID, primary_key=True),
        sa.Column("message_hash", HASH, nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
    )
    op.create_table(
        "remote_transfers",
        sa.Column("debtor_node", NODE, primary_key=True),
        sa.Column("transfer_id", ID, primary_key=True),
        sa.Column("prepare_hash", HASH, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("debtor", ADDRESS, nullable=True),
        sa.Column("creditor", ADDRESS, nullable=True),
        sa.Column("amount_minutes", sa.BigInteger(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("entry_height", sa.BigInteger(), nullable=True),
        sa.Column("transaction_id", ID, nullable=True),
        sa.Column("received_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ix_remote_transfers_entry_height", "remote_transfers", ["entry_height"]
    )


def downgrade() -> None:
    for table in ("remote_transfers", "in_messages", "in_transactions", "out_transactions",
                  "outbox", "links"):
        op.drop_table(table)
    op.drop_index("ix_transfers_open_by_expiry", table_name="transfers")
    with op.batch_alter_table("transfers") as batch:
        batch.drop_constraint("uq_transfers_wire_id", type_="unique")
        for name in ("peer_node_id", "wire_id", "message_id", "prepare_hash", "credit_class",
                     "purpose", "payment_request_id", "expires_at_ms", "settled_entry_height",
                     "answer_transaction_id", "relocated_to", "final_answer", "dispute"):
            batch.drop_column(name)
    with op.batch_alter_table("members") as batch:
        batch.drop_column("relocated_to")
