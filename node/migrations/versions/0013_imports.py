"""Bulk import (issue 14): `import_rows`, the source ids of every row imported.

One row per (kind, programme, source id): what it became (a member's local id or a grant's id)
and the SHA-256 of its normalised content, so a re-import of the same file changes nothing and
a row whose source id came back with different content is refused (node/imports/).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"  # corrections of members' records (0012_member_changes.py)
branch_labels = None
depends_on = None

ID = sa.String(64)
ADDRESS = sa.String(100)
HASH = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "import_rows",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("programme", ID, primary_key=True),
        sa.Column("source_id", ID, primary_key=True),
        sa.Column("content_hash", HASH, nullable=False),
        sa.Column("target", ID, nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("imported_by", ADDRESS, nullable=False),
        sa.Column("imported_at_ms", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("kind IN ('members', 'records')", name="ck_import_rows_kind"),
    )


def downgrade() -> None:
    op.drop_table("import_rows")
