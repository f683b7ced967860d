"""Personal data under the PIPL (issue 14, items 3 and 4; node/privacy/): `personal_data`
(phone, emergency contact, home address, the ID-card number as a keyed hash and masked, care
notes), `privacy_consents` (consent per purpose, guardians of members under 14), and the
hash-chained `access_log` with its head and pruning anchor `access_log_head`.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"  # the relocation profile (0016_relocation_profile.py)
branch_labels = None
depends_on = None

ID = sa.String(64)
ADDRESS = sa.String(100)
HASH = sa.String(64)
GENESIS = "0" * 64  # node/privacy/access_log.py's GENESIS_HASH: nothing before


def upgrade() -> None:
    op.create_table(
        "personal_data",
        sa.Column("member_local_id", ID, sa.ForeignKey("members.local_id"), primary_key=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("emergency_name", sa.String(200), nullable=True),
        sa.Column("emergency_phone", sa.String(32), nullable=True),
        sa.Column("home_address", sa.String(500), nullable=True),
        sa.Column("id_hash", HASH, nullable=True),
        sa.Column("id_masked", sa.String(24), nullable=True),
        sa.Column("care_notes", sa.String(2000), nullable=True),
        sa.Column("updated_by", ADDRESS, nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_personal_data_id_hash", "personal_data", ["id_hash"])
    op.create_table(
        "privacy_consents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("member_local_id", ID, sa.ForeignKey("members.local_id"), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("guardian_name", sa.String(200), nullable=True),
        sa.Column("given_by", ADDRESS, nullable=False),
        sa.Column("given_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("withdrawn_by", ADDRESS, nullable=True),
        sa.Column("withdrawn_at_ms", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_privacy_consents_member", "privacy_consents",
                    ["member_local_id", "purpose", "id"])
    op.create_table(
        "access_log",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("member_local_id", ID, nullable=False),
        sa.Column("actor", ADDRESS, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("fields", sa.String(300), nullable=False),
        sa.Column("result", sa.String(8), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", HASH, nullable=False),
        sa.Column("row_hash", HASH, nullable=False),
    )
    op.create_index("ix_access_log_member", "access_log", ["member_local_id", "seq"])
    op.create_index("ix_access_log_at", "access_log", ["at_ms"])
    op.create_table(
        "access_log_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", HASH, nullable=False),
        sa.Column("anchor_seq", sa.BigInteger(), nullable=False),
        sa.Column("anchor_hash", HASH, nullable=False),
    )
    head = sa.table("access_log_head", sa.column("id", sa.Integer()),
                    sa.column("last_seq", sa.BigInteger()), sa.column("last_hash", HASH),
                    sa.column("anchor_seq", sa.BigInteger()), sa.column("anchor_hash", HASH))
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "last_hash": GENESIS, "anchor_seq": 0,
                           "anchor_hash": GENESIS}])


def downgrade() -> None:
    op.drop_table("access_log_head")
    op.drop_index("ix_access_log_at", table_name="access_log")
    op.drop_index("ix_access_log_member", table_name="access_log")
    op.drop_table("access_log")
    op.drop_index("ix_privacy_consents_member", table_name="privacy_consents")
    op.drop_table("privacy_consents")
    op.drop_index("ix_personal_data_id_hash", table_name="personal_data")
    op.drop_table("personal_data")
