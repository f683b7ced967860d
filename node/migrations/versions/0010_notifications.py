"""Notifications (issue 13): a member's outbox of events, its deliveries, and the member's
contacts.

`notifications` holds what happened (a kind and a payload of ids and numbers); the words are
rendered when the notification is read or sent. `notification_deliveries` holds one row per
notification and channel (webhook, email). `member_contacts` is personal data: where a member's
notifications go, kept apart from everything the journal or a signed document carries.

The CHECK values are copied here, not imported: a revision must keep meaning what it meant.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"  # the sign-in revision (0009_member_sign_in.py)
branch_labels = None
depends_on = None

ID = sa.String(64)
ADDRESS = sa.String(100)
CHECKS: dict[str, dict[str, tuple[str, ...]]] = {
    "notifications": {"kind": ("request_taken", "volunteer_arriving", "visit_confirmed",
                               "hours_received", "payment_request_waiting",
                               "complaint_resolved")},
    "notification_deliveries": {"channel": ("webhook", "email"),
                                "state": ("pending", "delivered", "failed")},
}


def _check(table: str, column: str) -> sa.CheckConstraint:
    values = ", ".join(repr(value) for value in CHECKS[table][column])
    return sa.CheckConstraint(f"{column} IN ({values})", name=f"ck_{table}_{column}")


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("member_local_id", ID, sa.ForeignKey("members.local_id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.String(500), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("read_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("planned_at_ms", sa.BigInteger(), nullable=True),
        _check("notifications", "kind"),
    )
    op.create_index("ix_notifications_member", "notifications", ["member_local_id", "id"])
    op.create_index("ix_notifications_planned", "notifications", ["planned_at_ms", "id"])
    op.create_table(
        "notification_deliveries",
        sa.Column("notification_id", sa.Integer(), sa.ForeignKey("notifications.id"),
                  primary_key=True, autoincrement=False),
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("delivered_at_ms", sa.BigInteger(), nullable=True),
        _check("notification_deliveries", "channel"),
        _check("notification_deliveries", "state"),
    )
    op.create_index("ix_notification_deliveries_due", "notification_deliveries",
                    ["state", "channel", "next_attempt_at_ms"])
    op.create_table(
        "member_contacts",
        sa.Column("member_local_id", ID, sa.ForeignKey("members.local_id"), primary_key=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("gateway_recipient", sa.String(128), nullable=True),
        sa.Column("updated_by", ADDRESS, nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("member_contacts")
    op.drop_index("ix_notification_deliveries_due", table_name="notification_deliveries")
    op.drop_table("notification_deliveries")
    op.drop_index("ix_notifications_planned", table_name="notifications")
    op.drop_index("ix_notifications_member", table_name="notifications")
    op.drop_table("notifications")
