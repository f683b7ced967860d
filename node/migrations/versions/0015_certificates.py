"""Volunteer-service certificates (issue 14, item 7): `tb_certificates`, what the node keeps of
each certificate it issued (node/certificates/service.py): its id, the member, the period, the
totals and the SHA-256 of the signed document, never the document or the name it holds.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"  # deaths and closure (0014_deaths_closure.py)
branch_labels = None
depends_on = None

ID = sa.String(64)
ADDRESS = sa.String(100)
HASH = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "tb_certificates",
        sa.Column("id", ID, primary_key=True),
        sa.Column("member_local_id", ID, sa.ForeignKey("members.local_id"), nullable=False),
        sa.Column("from_ms", sa.BigInteger(), nullable=False),
        sa.Column("to_ms", sa.BigInteger(), nullable=False),
        sa.Column("total_minutes", sa.BigInteger(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("by_category", sa.Text(), nullable=False),
        sa.Column("document_sha256", HASH, nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("issued_by", ADDRESS, nullable=False),
        sa.Column("issued_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_tb_certificates_member_local_id", "tb_certificates",
                    ["member_local_id"])


def downgrade() -> None:
    op.drop_index("ix_tb_certificates_member_local_id", table_name="tb_certificates")
    op.drop_table("tb_certificates")
