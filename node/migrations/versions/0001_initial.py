"""Initial schema: members, accounts, balances, hash-chained journal, checkpoints, transfers,
grants, API tokens.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

HASH = sa.String(64)
ID = sa.String(64)
ADDRESS = sa.String(100)
MS = sa.BigInteger()


def upgrade() -> None:
    op.create_table(
        "node_info",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "members",
        sa.Column("local_id", ID, primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("station", ID, nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at_ms", MS, nullable=False),
        sa.Column("deactivated_at_ms", MS, nullable=True),
        sa.Column("deactivation_reason", sa.String(500), nullable=True),
    )
    op.create_index("ix_members_station", "members", ["station"])
    op.create_table(
        "accounts",
        sa.Column("code", ADDRESS, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("member_local_id", ID, sa.ForeignKey("members.local_id"), unique=True),
        sa.Column("peer_node_id", sa.String(32), unique=True),
        sa.Column("floor_minutes", sa.BigInteger(), nullable=True),
        sa.Column("created_at_ms", MS, nullable=False),
    )
    op.create_table(
        "balances",
        sa.Column("account_code", ADDRESS, sa.ForeignKey("accounts.code"), primary_key=True),
        sa.Column("credit_class", sa.String(16), primary_key=True),
        sa.Column("balance_minutes", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("height", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", HASH, nullable=False),
    )
    op.create_table(
        "journal_entries",
        sa.Column("height", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("entry_id", ID, nullable=False, unique=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("ref", ID, nullable=True),
        sa.Column("actor", ADDRESS, nullable=False),
        sa.Column("memo", sa.String(500), nullable=False),
        sa.Column("created_at_ms", MS, nullable=False),
        sa.Column("reverses_height", sa.BigInteger(), nullable=True),
        sa.Column("prev_hash", HASH, nullable=False),
        sa.Column("entry_hash", HASH, nullable=False),
    )
    op.create_index(
        "ux_journal_entries_reverses",
        "journal_entries",
        ["reverses_height"],
        unique=True,
        sqlite_where=sa.text("reverses_height IS NOT NULL"),
        postgresql_where=sa.text("reverses_height IS NOT NULL"),
    )
    op.create_table(
        "postings",
        sa.Column(
            "entry_height",
            sa.BigInteger(),
            sa.ForeignKey("journal_entries.height"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("account_code", ADDRESS, sa.ForeignKey("accounts.code"), nullable=False),
        sa.Column("credit_class", sa.String(16), nullable=False),
        sa.Column("amount_minutes", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_postings_account_height", "postings", ["account_code", "entry_height"])
    op.create_table(
        "checkpoints",
        sa.Column("height", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("head_hash", HASH, nullable=False),
        sa.Column("created_at_ms", MS, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
    )
    op.create_table(
        "transfers",
        sa.Column("id", ID, primary_key=True),
        sa.Column("debtor", ADDRESS, nullable=False),
        sa.Column("creditor", ADDRESS, nullable=False),
        sa.Column("amount_minutes", sa.BigInteger(), nullable=False),
        sa.Column("memo", sa.String(500), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason_code", sa.String(48), nullable=True),
        sa.Column("request_hash", HASH, nullable=False),
        sa.Column(
            "entry_height", sa.BigInteger(), sa.ForeignKey("journal_entries.height"), nullable=True
        ),
        sa.Column("actor", ADDRESS, nullable=False),
        sa.Column("created_at_ms", MS, nullable=False),
        sa.Column("updated_at_ms", MS, nullable=False),
    )
    op.create_index(
        "ix_transfers_open_by_debtor",
        "transfers",
        ["debtor"],
        sqlite_where=sa.text("state IN ('pending', 'in_doubt')"),
        postgresql_where=sa.text("state IN ('pending', 'in_doubt')"),
    )
    op.create_table(
        "grants",
        sa.Column("id", ID, primary_key=True),
        sa.Column("member_local_id", ID, sa.ForeignKey("members.local_id"), nullable=False),
        sa.Column("amount_minutes", sa.BigInteger(), nullable=False),
        sa.Column("credit_class", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("actor", ADDRESS, nullable=False),
        sa.Column("request_hash", HASH, nullable=False),
        sa.Column(
            "entry_height", sa.BigInteger(), sa.ForeignKey("journal_entries.height"), nullable=False
        ),
        sa.Column("created_at_ms", MS, nullable=False),
    )
    op.create_index("ix_grants_member_local_id", "grants", ["member_local_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("secret_hash", HASH, nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("member_local_id", ID, nullable=True),
        sa.Column("station", ID, nullable=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_at_ms", MS, nullable=False),
        sa.Column("revoked_at_ms", MS, nullable=True),
    )
    # The single row every ledger write locks; height 0 and the all-zero genesis hash.
    op.bulk_insert(
        sa.table("ledger_head", sa.column("id"), sa.column("height"), sa.column("head_hash")),
        [{"id": 1, "height": 0, "head_hash": "0" * 64}],
    )
