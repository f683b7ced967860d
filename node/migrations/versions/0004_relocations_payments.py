"""Relocations and payment requests (standard §10), both directions of each.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

HASH = sa.String(64)
ID = sa.String(64)
ADDRESS = sa.String(100)
NODE = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "relocations",
        sa.Column("id", ID, primary_key=True),
        sa.Column("member_local_id", ID, nullable=False),
        sa.Column("to_node", NODE, nullable=False),
        sa.Column("new_local_id", ID, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason_code", sa.String(48), nullable=True),
        sa.Column("detail", sa.String(280), nullable=True),
        sa.Column("new_address", ADDRESS, nullable=True),
        sa.Column("request_hash", HASH, nullable=False),
        sa.Column("wire_id", ID, nullable=False, unique=True),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("balances", sa.Text(), nullable=False),
        sa.Column("history", sa.Text(), nullable=False),
        sa.Column("entry_height", sa.BigInteger(), nullable=True),
        sa.Column("settled_entry_height", sa.BigInteger(), nullable=True),
        sa.Column("actor", ADDRESS, nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("committed_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("dispute", sa.String(500), nullable=True),
    )
    op.create_index("ix_relocations_member_local_id", "relocations", ["member_local_id"])
    op.create_table(
        "relocations_in",
        sa.Column("from_node", NODE, primary_key=True),
        sa.Column("relocation_id", ID, primary_key=True),
        sa.Column("body_hash", HASH, nullable=False),
        sa.Column("member", ADDRESS, nullable=False),
        sa.Column("new_local_id", ID, nullable=False),
        sa.Column("balances", sa.Text(), nullable=False),
        sa.Column("history", sa.Text(), nullable=False),
        sa.Column("entry_height", sa.BigInteger(), nullable=True),
        sa.Column("committed_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", ID, nullable=False),
    )
    op.create_table(
        "payment_requests",
        sa.Column("id", ID, primary_key=True),
        sa.Column("wire_id", ID, nullable=False, unique=True),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("payee", ADDRESS, nullable=False),
        sa.Column("payer", ADDRESS, nullable=False),
        sa.Column("amount_minutes", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("description", sa.String(140), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason_code", sa.String(48), nullable=True),
        sa.Column("detail", sa.String(280), nullable=True),
        sa.Column("paid_by_transfer", ID, nullable=True),
        sa.Column("request_hash", HASH, nullable=False),
        sa.Column("actor", ADDRESS, nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "payment_requests_in",
        sa.Column("payee_node", NODE, primary_key=True),
        sa.Column("request_id", ID, primary_key=True),
        sa.Column("body_hash", HASH, nullable=False),
        sa.Column("payee", ADDRESS, nullable=False),
        sa.Column("payer_local_id", ID, nullable=False),
        sa.Column("amount_minutes", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("description", sa.String(140), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("transfer_id", ID, nullable=True),
        sa.Column("decline_message_id", ID, nullable=True),
        sa.Column("decided_by", ADDRESS, nullable=True),
        sa.Column("decided_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("received_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ix_payment_requests_in_payer_local_id", "payment_requests_in", ["payer_local_id"]
    )


def downgrade() -> None:
    for table in ("payment_requests_in", "payment_requests", "relocations_in", "relocations"):
        op.drop_table(table)
