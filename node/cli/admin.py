"""Repairs an operator makes on the node's database, with the node stopped:

    hourbridge admin reclaim-system-id ID --keep-as NEW_ID --data DIR [--move-minutes N]

`reclaim-system-id` fixes a database where a member was registered under the id of an account
the node owns (its donation pool), which the node refuses to start on (`system_account_taken`):
the member record moves to NEW_ID, the account, its hours and its history stay the node's, and
only `--move-minutes` moves hours (one ordinary, reversible ledger entry). Steps and reasons:
node/services/system_accounts.py. It opens the database directly, not through the node, since
the node refuses to open it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from node.access import Principal, Role
from node.cli.output import out
from node.clock import SystemClock
from node.config import load_config
from node.db.engine import Database
from node.db.migrate import require_migrated
from node.db.schema import node_info
from node.errors import ConfigError
from node.ledger.journal import Ledger
from node.services.system_accounts import Reclaimed, reclaim

admin_app = typer.Typer(help="Repairs an operator makes on a stopped node's database.",
                        no_args_is_help=True)
DataOpt = Annotated[
    Path, typer.Option("--data", envvar="HOURBRIDGE_DATA", help="the node's data folder")
]
OPERATOR = Principal(Role.ADMIN, "cli")


@admin_app.command("reclaim-system-id")
def reclaim_system_id(
    local_id: Annotated[str, typer.Argument(help="the system id a member holds: hardship-pool")],
    keep_as: Annotated[str, typer.Option(help="the member record's new local id")],
    data: DataOpt,
    move_minutes: Annotated[int, typer.Option(
        min=0, help="minutes of the account that were the member's own, moved to the new id "
        "by one ledger entry (default: none; hours sent to the pool stay the pool's)")] = 0,
) -> None:
    """Give a member registered under a system id a new id; the account returns to the node."""
    config = load_config(data)
    db = Database(config.existing_database_url())
    try:
        require_migrated(db)
        with db.write() as conn:
            owner = conn.execute(select(node_info.c.value).where(
                node_info.c.key == "node_id")).scalar_one_or_none()
            if owner != config.node_id:
                raise ConfigError(f"database belongs to node {owner}, config says "
                                  f"{config.node_id}")
            done = reclaim(conn, Ledger(config.node_id), local_id=local_id, keep_as=keep_as,
                           move_minutes=move_minutes, actor=OPERATOR.actor,
                           now_ms=SystemClock().now_ms())
    finally:
        db.dispose()
    _report(done, config.node_id)


def _report(done: Reclaimed, node_id: str) -> None:
    out.print(f"{done.local_id}@{node_id} is the node's account again; the member record is "
              f"now {done.kept_as}@{node_id}")
    if done.moved_minutes:
        out.print(f"moved {done.moved_minutes} minutes to {done.kept_as} "
                  f"(ledger entry {done.entry_height})")
    if done.revoked_tokens:
        out.print(f"revoked {done.revoked_tokens} member token(s) of {done.local_id}: issue "
                  f"new ones for {done.kept_as} with `hourbridge token create`")
    if not done.debits:
        out.print("nothing ever left the account")
        return
    out.print("entries that took hours out of the account; review them, and reverse a wrong "
              "transfer with POST /api/v1/ledger/reversals {height, reason} (admin):")
    table = Table("height", "kind", "actor", "minutes out")
    for debit in done.debits:
        table.add_row(str(debit.height), debit.kind, debit.actor, str(debit.amount_minutes))
    out.print(table)
