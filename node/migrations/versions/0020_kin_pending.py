"""Kin arriving with a relocation wait for staff (issue 14, item 2).

`tb_kin_pending`: a parent or grandparent that an arriving member's profile names (standard
§10.1) waits here until staff of her station or an admin confirm the relation from the papers
the family shows; confirming moves it into `tb_kin` (node/timebank/kin_pending.py). A pending
row counts for nothing: not as a guardian, not for kin-only gifts, not as an heir. No personal
data beyond the kin registry's own: addresses and a relation.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"  # visits recorded after the fact, qualifications (0019_...py)
branch_labels = None
depends_on = None

ID = sa.String(64)
ADDRESS = sa.String(100)


def upgrade() -> None:
    op.create_table(
        "tb_kin_pending",
        sa.Column("member_local_id", ID, sa.ForeignKey("members.local_id"), primary_key=True),
        sa.Column("relative", ADDRESS, primary_key=True),
        sa.Column("relation", sa.String(24), nullable=False),
        sa.Column("relocation_id", ID, nullable=False),
        sa.Column("proposed_by", ADDRESS, nullable=False),
        sa.Column("proposed_at_ms", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tb_kin_pending")
