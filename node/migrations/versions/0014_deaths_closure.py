"""A member's death and the node's closure (issue 14, policy fidelity): `tb_deaths`, what the
policy's lifecycle.on_death did with a deceased member's hours, and `tb_closure`, the node's
decision to close under lifecycle.on_closure (node/timebank/deaths.py, closure.py).

The hours themselves move by one ordinary journal entry (kind `estate`); no balance is edited.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"  # bulk import (0013_imports.py)
branch_labels = None
depends_on = None

ID = sa.String(64)
ADDRESS = sa.String(100)
HASH = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "tb_deaths",
        sa.Column("member_local_id", ID, sa.ForeignKey("members.local_id"), primary_key=True),
        sa.Column("disposition", sa.String(24), nullable=False),
        sa.Column("heirs", sa.String(2000), nullable=False),
        sa.Column("pool_minutes", sa.BigInteger(), nullable=False),
        sa.Column("debt_minutes", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("request_hash", HASH, nullable=False),
        sa.Column("entry_height", sa.BigInteger(), nullable=True),
        sa.Column("recorded_by", ADDRESS, nullable=False),
        sa.Column("recorded_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "tb_closure",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("on_closure", sa.String(24), nullable=False),
        sa.Column("successor", sa.String(32), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("request_hash", HASH, nullable=False),
        sa.Column("decided_by", ADDRESS, nullable=False),
        sa.Column("decided_at_ms", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tb_closure")
    op.drop_table("tb_deaths")
