"""Visit codes (issue 13): each elder's standing code that her volunteer presents to check in.

`tb_visit_codes` holds the code sealed (AES-256-GCM) under a key kept in the node's data folder,
never the code itself; `card` counts the codes made for the member. Wrong codes are counted from
the requests' audit trail (`tb_audit`, action `visit_code_wrong`), so no other table changes.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"  # notifications (0010_notifications.py)
branch_labels = None
depends_on = None

ID = sa.String(64)
ADDRESS = sa.String(100)


def upgrade() -> None:
    op.create_table(
        "tb_visit_codes",
        sa.Column("member_local_id", ID, sa.ForeignKey("members.local_id"), primary_key=True),
        sa.Column("sealed", sa.String(100), nullable=False),
        sa.Column("card", sa.Integer(), nullable=False),
        sa.Column("made_by", ADDRESS, nullable=False),
        sa.Column("made_at_ms", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tb_visit_codes")
