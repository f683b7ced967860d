"""Link maps accepted by the node (issue 18, second slice; docs/standard.md §22): every accepted
serial once, as the `directories` table keeps the directory.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_maps",
        sa.Column("serial", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("federation_id", sa.String(32), nullable=False),
        sa.Column("issued_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("accepted_at_ms", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("link_maps")
