"""Transfers routed through hubs (standard §22.4): each leg records its path, and a hub's leg
the node the previous leg came from. The hub's `transit` account is a system account, created
at start like the others (node/services/system_accounts.py).

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transfers") as batch:
        batch.add_column(sa.Column("route", sa.Text(), nullable=True))
        batch.add_column(sa.Column("forwarded_from", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transfers") as batch:
        batch.drop_column("forwarded_from")
        batch.drop_column("route")
