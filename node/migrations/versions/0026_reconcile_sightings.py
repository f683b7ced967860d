"""The responder's first sight of a proposal's cuts it told to come back (standard §20.2,
§20.6), kept across restarts: the cut rule judges the closer's later proposal of the same cuts,
signed again, by that time (node/reconcile/sightings.py). Before it the time was kept in memory
only, and a responder restarted in between could dispute an honest closer `cut_behind`.

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconcile_sightings",
        sa.Column("peer_node_id", sa.String(32), primary_key=True),
        sa.Column("window_index", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("outgoing_cut", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("incoming_cut", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("first_seen_ms", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reconcile_sightings")
