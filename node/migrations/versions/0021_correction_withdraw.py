"""A pending correction of a paid visit may be withdrawn (issue 14, item 5).

`tb_service_adjustments.state` gains `withdrawn`: its recorder or an admin withdrew the
correction before anyone confirmed it; nothing reached the journal and it can no longer be
confirmed (node/timebank/corrections.py). Who withdrew it, when and why are kept beside it.

On SQLite a CHECK constraint changes by rebuilding the table (batch mode), as in 0008. Every
row written before holds `pending` or `posted`, which the new constraint still allows.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

ADDRESS = sa.String(100)
TEXT = sa.String(500)
CONSTRAINT = "ck_tb_service_adjustments_state"
# The lifecycle as node/states.py spells it (tests/node/test_states.py compares them); it widens
# 0019's ("pending", "posted") and keeps its order.
CHECKS: dict[str, dict[str, tuple[str, ...]]] = {
    "tb_service_adjustments": {"state": ("pending", "posted", "withdrawn")},
}
BEFORE = ("pending", "posted")


def _condition(values: tuple[str, ...]) -> str:
    return f"state IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("tb_service_adjustments") as batch:
        batch.drop_constraint(CONSTRAINT, type_="check")
        batch.create_check_constraint(
            CONSTRAINT, _condition(CHECKS["tb_service_adjustments"]["state"]))
        batch.add_column(sa.Column("withdrawn_by", ADDRESS, nullable=True))
        batch.add_column(sa.Column("withdrawn_at_ms", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("withdraw_reason", TEXT, nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM tb_service_adjustments WHERE state = 'withdrawn'")
    with op.batch_alter_table("tb_service_adjustments") as batch:
        batch.drop_column("withdraw_reason")
        batch.drop_column("withdrawn_at_ms")
        batch.drop_column("withdrawn_by")
        batch.drop_constraint(CONSTRAINT, type_="check")
        batch.create_check_constraint(CONSTRAINT, _condition(BEFORE))
