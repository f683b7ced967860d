"""The latest time stamped in the outbox, found by an index (node/exchange/clockwatch.py).

The exchange's tick reads `max(outbox.created_at_ms)` every second to find a clock that was
stepped back between two ticks; without an index that read scans the whole outbox, which a
peer offline for a day fills with its backlog.

Revision ID: 0024
Revises: 0023
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_created", "outbox", ["created_at_ms"])


def downgrade() -> None:
    op.drop_index("ix_outbox_created", table_name="outbox")
