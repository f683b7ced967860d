"""A member profile that travels (issue 14, item 2): the relocations table records whether the
member agreed to share her profile with her new home node (`profile_consent_at_ms`, null: she
did not) and the station she asked for there (`arrival_station`). The profile itself travels
signed in the relocation.prepare (standard §10.1); its name and birth year are not copied here.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"  # volunteer-service certificates (0015_certificates.py)
branch_labels = None
depends_on = None

ID = sa.String(64)


def upgrade() -> None:
    with op.batch_alter_table("relocations") as batch:
        batch.add_column(sa.Column("profile_consent_at_ms", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("arrival_station", ID, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("relocations") as batch:
        batch.drop_column("arrival_station")
        batch.drop_column("profile_consent_at_ms")
