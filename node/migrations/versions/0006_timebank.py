"""The local time bank (docs/timebank.md): vetting, kin, sponsors, service requests, disputes,
their audit trail, goods redemptions and donations.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

HASH = sa.String(64)
ID = sa.String(64)
ADDRESS = sa.String(100)
TABLES = ("tb_donations", "tb_redemptions", "tb_audit", "tb_disputes", "tb_service_requests",
          "tb_sponsorships", "tb_sponsors", "tb_kin", "tb_profiles")


def upgrade() -> None:
    op.create_table(
        "tb_profiles",
        sa.Column("member_local_id", ID, sa.ForeignKey("members.local_id"), primary_key=True),
        sa.Column("hardship", sa.Integer(), nullable=False),
        sa.Column("subsidised", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("vetted_by", ADDRESS, nullable=False),
        sa.Column("vetted_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "tb_kin",
        sa.Column("member_local_id", ID, sa.ForeignKey("members.local_id"), primary_key=True),
        sa.Column("relative", ADDRESS, primary_key=True),
        sa.Column("relation", sa.String(24), nullable=False),
        sa.Column("registered_by", ADDRESS, nullable=False),
        sa.Column("registered_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "tb_sponsors",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("registered_by", ADDRESS, nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "tb_sponsorships",
        sa.Column("grant_id", ID, sa.ForeignKey("grants.id"), primary_key=True),
        sa.Column("sponsor_id", ID, sa.ForeignKey("tb_sponsors.id"), nullable=False),
    )
    op.create_index("ix_tb_sponsorships_sponsor_id", "tb_sponsorships", ["sponsor_id"])
    op.create_table(
        "tb_service_requests",
        sa.Column("id", ID, primary_key=True),
        sa.Column("recipient_local_id", ID, sa.ForeignKey("members.local_id"), nullable=False),
        sa.Column("station", ID, nullable=True),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("item", sa.String(40), nullable=True),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("payer", sa.String(16), nullable=False),
        sa.Column("request_hash", HASH, nullable=False),
        sa.Column("posted_by", ADDRESS, nullable=False),
        sa.Column("recipient_age", sa.Integer(), nullable=True),
        sa.Column("volunteer_local_id", ID, nullable=True),
        sa.Column("volunteer_age", sa.Integer(), nullable=True),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("accepted_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("checked_in_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("checked_out_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("duration_minutes", sa.BigInteger(), nullable=True),
        sa.Column("rounded_minutes", sa.BigInteger(), nullable=True),
        sa.Column("price_minutes", sa.BigInteger(), nullable=True),
        sa.Column("held_minutes", sa.BigInteger(), nullable=True),
        sa.Column("hold_entry_height", sa.BigInteger(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(500), nullable=True),
        sa.Column("confirmed_by", ADDRESS, nullable=True),
        sa.Column("settled_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("released_minutes", sa.BigInteger(), nullable=True),
        sa.Column("refunded_minutes", sa.BigInteger(), nullable=True),
        sa.Column("credited_minutes", sa.BigInteger(), nullable=True),
        sa.Column("overflow_minutes", sa.BigInteger(), nullable=True),
        sa.Column("settle_entry_height", sa.BigInteger(), nullable=True),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    for column in ("recipient_local_id", "volunteer_local_id"):
        op.create_index(f"ix_tb_service_requests_{column}", "tb_service_requests", [column])
    op.create_index("ix_tb_service_requests_state", "tb_service_requests",
                    ["state", "created_at_ms"])
    op.create_table(
        "tb_disputes",
        sa.Column("request_id", ID, sa.ForeignKey("tb_service_requests.id"), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("raised_by", ADDRESS, nullable=False),
        sa.Column("raised_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("released_minutes", sa.BigInteger(), nullable=True),
        sa.Column("resolution", sa.String(500), nullable=True),
        sa.Column("resolved_by", ADDRESS, nullable=True),
        sa.Column("resolved_at_ms", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "tb_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("subject", sa.String(80), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", ADDRESS, nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("entry_height", sa.BigInteger(), nullable=True),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_tb_audit_subject", "tb_audit", ["subject", "id"])
    op.create_table(
        "tb_redemptions",
        sa.Column("id", ID, primary_key=True),
        sa.Column("member_local_id", ID, sa.ForeignKey("members.local_id"), nullable=False),
        sa.Column("goods", sa.String(40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount_minutes", sa.BigInteger(), nullable=False),
        sa.Column("request_hash", HASH, nullable=False),
        sa.Column("entry_height", sa.BigInteger(), nullable=False),
        sa.Column("actor", ADDRESS, nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_tb_redemptions_member_local_id", "tb_redemptions", ["member_local_id"])
    op.create_table(
        "tb_donations",
        sa.Column("id", ID, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("member_local_id", ID, sa.ForeignKey("members.local_id"), nullable=False),
        sa.Column("to_node", sa.String(32), nullable=True),
        sa.Column("amount_minutes", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("request_hash", HASH, nullable=False),
        sa.Column("entry_height", sa.BigInteger(), nullable=True),
        sa.Column("transfer_id", ID, nullable=True),
        sa.Column("actor", ADDRESS, nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_tb_donations_member_local_id", "tb_donations", ["member_local_id"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
