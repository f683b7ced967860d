"""Visits recorded after the fact and volunteer qualifications (issue 14, items 5 and 7).

`tb_slip_records`: the paper slip a visit was last recorded from, by its content hash, so that
the same slip sent again replays instead of re-holding (node/timebank/slips.py).
`tb_service_adjustments`: corrections of a paid visit's duration, each posted as its own
`service_adjust` journal entry once a second person confirms (node/timebank/corrections.py).
`tb_qualifications`: a volunteer's trainings and qualifications with validity dates
(node/timebank/qualifications.py). No personal data: kinds, titles, issuers, dates and an
evidence reference (a certificate number), never a copy of the document.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"  # stations and staff accounts (0018_stations_staff.py)
branch_labels = None
depends_on = None

ID = sa.String(64)
ADDRESS = sa.String(100)
HASH = sa.String(64)
DAY = sa.String(10)  # YYYY-MM-DD in the policy's time zone
TEXT = sa.String(500)
# The stored lifecycle this revision adds, as node/states.py spells it (tests/node/test_states.py
# compares the two): CorrectionState.
CHECKS: dict[str, dict[str, tuple[str, ...]]] = {
    "tb_service_adjustments": {"state": ("pending", "posted")},
}


def upgrade() -> None:
    op.create_table(
        "tb_slip_records",
        sa.Column("request_id", ID, sa.ForeignKey("tb_service_requests.id"), primary_key=True),
        sa.Column("slip_hash", HASH, nullable=False),
        sa.Column("reference", ID, nullable=False),
        sa.Column("recorded_by", ADDRESS, nullable=False),
        sa.Column("recorded_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "tb_service_adjustments",
        sa.Column("id", ID, primary_key=True),
        sa.Column("request_id", ID, sa.ForeignKey("tb_service_requests.id"), nullable=False),
        sa.Column("request_hash", HASH, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reference", ID, nullable=False),
        sa.Column("reason", TEXT, nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("rounded_before", sa.Integer(), nullable=False),
        sa.Column("rounded_after", sa.Integer(), nullable=False),
        sa.Column("price_before", sa.Integer(), nullable=False),
        sa.Column("price_after", sa.Integer(), nullable=False),
        sa.Column("recorded_by", ADDRESS, nullable=False),
        sa.Column("recorded_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("confirmed_by", ADDRESS, nullable=True),
        sa.Column("confirmed_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("entry_height", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'posted')",
                           name="ck_tb_service_adjustments_state"),
    )
    op.create_index("ix_tb_service_adjustments_request_id", "tb_service_adjustments",
                    ["request_id"])
    op.create_table(
        "tb_qualifications",
        sa.Column("id", ID, primary_key=True),
        sa.Column("member_local_id", ID, sa.ForeignKey("members.local_id"), nullable=False),
        sa.Column("request_hash", HASH, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("issuer", sa.String(200), nullable=False),
        sa.Column("valid_from", DAY, nullable=False),
        sa.Column("valid_until", DAY, nullable=True),
        sa.Column("evidence_ref", sa.String(200), nullable=False),
        sa.Column("recorded_by", ADDRESS, nullable=False),
        sa.Column("recorded_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_tb_qualifications_member_local_id", "tb_qualifications",
                    ["member_local_id"])


def downgrade() -> None:
    op.drop_index("ix_tb_qualifications_member_local_id", table_name="tb_qualifications")
    op.drop_table("tb_qualifications")
    op.drop_index("ix_tb_service_adjustments_request_id", table_name="tb_service_adjustments")
    op.drop_table("tb_service_adjustments")
    op.drop_table("tb_slip_records")
