"""Corrections of members' records (issue 14): `member_changes`, one row per field changed.

Who, when, why, the value before and after. Personal data beside the ledger, never in the
journal; the members' table itself is unchanged (a correction updates its row in place).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"  # visit codes (0011_visit_codes.py)
branch_labels = None
depends_on = None

ID = sa.String(64)
ADDRESS = sa.String(100)


def upgrade() -> None:
    op.create_table(
        "member_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("member_local_id", ID, sa.ForeignKey("members.local_id"), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("before", sa.String(200), nullable=True),
        sa.Column("after", sa.String(200), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("actor", ADDRESS, nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_member_changes_member", "member_changes", ["member_local_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_member_changes_member", table_name="member_changes")
    op.drop_table("member_changes")
