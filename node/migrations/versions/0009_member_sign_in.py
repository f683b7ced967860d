"""Members signing in (issue 13): PIN credentials, one-time activation codes and delegates.

`member_credentials` holds a member's Argon2id PIN hash, its version (a reset raises it and ends
every live session) and the lockout counter; `member_invitations` the SHA-256 of one-time
activation codes; `member_delegates` who may act for whom. No existing row changes.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

HASH = sa.String(64)
ID = sa.String(64)
ADDRESS = sa.String(100)
MEMBER = "members.local_id"


def upgrade() -> None:
    op.create_table(
        "member_credentials",
        sa.Column("member_local_id", ID, sa.ForeignKey(MEMBER), primary_key=True),
        sa.Column("secret_hash", sa.String(200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("locked_until_ms", sa.BigInteger(), nullable=True),
        sa.Column("set_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_sign_in_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "member_invitations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("member_local_id", ID, sa.ForeignKey(MEMBER), nullable=False),
        sa.Column("code_hash", HASH, nullable=False, unique=True),
        sa.Column("created_by", ADDRESS, nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("used_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("voided_at_ms", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_member_invitations_member_local_id", "member_invitations",
                    ["member_local_id"])
    op.create_table(
        "member_delegates",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("member_local_id", ID, sa.ForeignKey(MEMBER), nullable=False),
        sa.Column("delegate_local_id", ID, sa.ForeignKey(MEMBER), nullable=False),
        sa.Column("granted_by", ADDRESS, nullable=False),
        sa.Column("granted_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("revoked_by", ADDRESS, nullable=True),
        sa.Column("revoked_at_ms", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_member_delegates_member_local_id", "member_delegates",
                    ["member_local_id"])
    op.create_index("ix_member_delegates_delegate_local_id", "member_delegates",
                    ["delegate_local_id"])


def downgrade() -> None:
    for table in ("member_delegates", "member_invitations", "member_credentials"):
        op.drop_table(table)
