"""Stations and staff accounts (issue 14, item 8): `stations`, the node's registry of its
service stations (node/stations/), and `staff_accounts`, the console's username and password
logins (node/staff/). A password is kept only as its Argon2id hash.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"  # personal data (0017_privacy.py)
branch_labels = None
depends_on = None

ID = sa.String(64)
ADDRESS = sa.String(100)


def upgrade() -> None:
    op.create_table(
        "stations",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("district_code", sa.String(6), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("active IN (0, 1)", name="ck_stations_active"),
    )
    op.create_table(
        "staff_accounts",
        sa.Column("username", sa.String(32), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("station", ID, sa.ForeignKey("stations.id"), nullable=True),
        sa.Column("secret_hash", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("locked_until_ms", sa.BigInteger(), nullable=True),
        sa.Column("disabled_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("created_by", ADDRESS, nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_sign_in_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'staff')", name="ck_staff_accounts_role"),
        sa.CheckConstraint("(role = 'staff') = (station IS NOT NULL)",
                           name="ck_staff_accounts_station"),
    )


def downgrade() -> None:
    op.drop_table("staff_accounts")
    op.drop_table("stations")
