"""System accounts the node owns, recorded apart from members (issue 12, the pool hijack).

Creates `system_accounts` and marks the system accounts an existing database already holds:
the ledger's own accounts and the service escrow always (no member path can create an account
of those codes), and the donation pool `member:hardship-pool` only when its row has the shape
the node gave it. Before this revision the pool was created on first use together with the
escrow account, in one call with one clock reading: no station, no birth year, the node's own
display name, and the member row, its account and the escrow account all created at the same
millisecond. A member registered as `hardship-pool` through the API (then adopted as the pool)
was created in an earlier, separate write and carries a station or a name of its own: it is left
unmarked, and the node refuses to start until an operator runs
`hourbridge admin reclaim-system-id` (node/services/system_accounts.py).

The values are copied here, not imported: a revision must keep meaning what it meant.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ADDRESS = sa.String(100)
POOL_LOCAL_ID = "hardship-pool"
POOL_ACCOUNT = f"member:{POOL_LOCAL_ID}"
POOL_DISPLAY_NAME = "Donation and hardship pool 爱心池"
ESCROW_ACCOUNT = "pending:services"
ALWAYS_SYSTEM = {"issuance": "issuance", "redemption": "redemption", "expiry": "expiry",
                 "pending": "pending", ESCROW_ACCOUNT: "escrow"}


def upgrade() -> None:
    table = op.create_table(
        "system_accounts",
        sa.Column("code", ADDRESS, sa.ForeignKey("accounts.code"), primary_key=True),
        sa.Column("purpose", sa.String(24), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    )
    conn = op.get_bind()
    accounts = sa.table("accounts", sa.column("code"), sa.column("created_at_ms"))
    created = dict(conn.execute(sa.select(accounts.c.code, accounts.c.created_at_ms).where(
        accounts.c.code.in_([*ALWAYS_SYSTEM, POOL_ACCOUNT]))).all())
    rows = [{"code": code, "purpose": purpose, "created_at_ms": created[code]}
            for code, purpose in ALWAYS_SYSTEM.items() if code in created]
    if POOL_ACCOUNT in created and _pool_made_by_the_node(conn, created):
        rows.append({"code": POOL_ACCOUNT, "purpose": "pool",
                     "created_at_ms": created[POOL_ACCOUNT]})
    if rows:
        op.bulk_insert(table, rows)


def _pool_made_by_the_node(conn: sa.Connection, created: dict[str, int]) -> bool:
    members = sa.table("members", sa.column("local_id"), sa.column("display_name"),
                       sa.column("station"), sa.column("birth_year"),
                       sa.column("created_at_ms"))
    row = conn.execute(sa.select(members).where(
        members.c.local_id == POOL_LOCAL_ID)).one_or_none()
    return (row is not None and row.station is None and row.birth_year is None
            and row.display_name == POOL_DISPLAY_NAME
            and row.created_at_ms == created[POOL_ACCOUNT] == created.get(ESCROW_ACCOUNT))


def downgrade() -> None:
    op.drop_table("system_accounts")
