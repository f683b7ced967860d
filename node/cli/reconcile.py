"""Reconciliation commands (docs/reconciliation.md):

    hourbridge window close --data DIR [--peer P]   close a settlement window now and reconcile
    hourbridge window list --data DIR               windows, newest first
    hourbridge window disputes --data DIR           open disputes
    hourbridge recover --data DIR [--peer P]        rebuild cross-node history from the peers

Each opens the node's database and talks to the peers' federation endpoints directly, so it
works whether or not this node's server is running (the peers' must be).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from node.access import Principal, Role
from node.cli.output import out
from node.config import load_config
from node.runtime import Node, open_node
from node.states import DiscrepancyStatus, WindowState

window_app = typer.Typer(help="Settlement windows and reconciliation with peers.",
                         no_args_is_help=True)
DataOpt = Annotated[
    Path, typer.Option("--data", envvar="HOURBRIDGE_DATA", help="the node's data folder")
]
PeerOpt = Annotated[str | None, typer.Option("--peer", help="one peer; default: every link")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
OPERATOR = Principal(Role.ADMIN, "cli")
T = TypeVar("T")


def _against_peers(data: Path, work: Callable[[Node], Awaitable[T]]) -> T:
    """Open the node, run `work` (which talks to the peers) and close everything again."""
    node = open_node(load_config(data))

    async def run() -> T:
        try:
            return await work(node)
        finally:
            await node.exchange.transport.aclose()

    try:
        return asyncio.run(run())
    finally:
        node.close()


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _windows_table(views: list[dict[str, Any]]) -> Table:
    table = Table("peer", "window", "state", "cuts out/in", "closing (min)", "digests",
                  "found", "closed at")
    for view in views:
        found = view.get("discrepancies")
        table.add_row(
            view["peer"], str(view["window_index"]), view["state"],
            f"{view['outgoing_cut']}/{view['incoming_cut']}",
            str(view["closing_position_minutes"]), str(view["digests_exchanged"]),
            "-" if found is None else ", ".join(f"{d['kind']}:{d['outcome']}" for d in found)
            or "none",
            _when(view["closed_at_ms"]),
        )
    return table


@window_app.command("close")
def close(data: DataOpt, peer: PeerOpt = None, as_json: JsonOpt = False) -> None:
    """Close the next settlement window with each peer (or one) and reconcile it."""
    async def work(node: Node) -> list[dict[str, Any]]:
        if peer is not None:
            return [await node.reconciler.close(peer)]
        return await node.reconciler.close_all()

    views = _against_peers(data, work)
    if as_json:
        out.print_json(json.dumps(views))
    else:
        out.print(_windows_table(views))
    if any(view["state"] == WindowState.DISPUTED for view in views):
        raise typer.Exit(2)


@window_app.command("list")
def list_windows(data: DataOpt, peer: PeerOpt = None, limit: int = 20) -> None:
    """Settlement windows with each peer (or one), newest first, with their state."""
    node = open_node(load_config(data))
    try:
        out.print(_windows_table(node.reconciler.windows(OPERATOR, peer=peer, limit=limit)))
    finally:
        node.close()


@window_app.command("disputes")
def disputes(data: DataOpt) -> None:
    """Open disputes: each freezes its link until an operator resolves it."""
    node = open_node(load_config(data))
    try:
        items = node.reconciler.discrepancies(OPERATOR, status=DiscrepancyStatus.OPEN, limit=500)
    finally:
        node.close()
    table = Table("id", "peer", "window", "kind", "transfer", "detail", "found at")
    for item in items:
        table.add_row(item["id"], item["peer_node_id"], str(item["window_index"]), item["kind"],
                      item["transfer_id"] or "-", item["detail"], _when(item["found_at_ms"]))
    out.print(table)


def recover(data: DataOpt, peer: PeerOpt = None, as_json: JsonOpt = False) -> None:
    """For a node restored from an old backup: fetch the signed evidence of every later
    cross-node transfer from the peers, verify it and replay it. Run before `serve`."""
    report = _against_peers(
        data, lambda node: node.reconciler.recover(None if peer is None else [peer]))
    if as_json:
        out.print_json(json.dumps(report))
        if any(row.get("error") for row in report):
            raise typer.Exit(1)
        return
    table = Table("peer", "chain", "transactions", "credited", "debited", "in flight again",
                  "records restored", "skipped", "error")
    for row in report:
        table.add_row(row["peer"], row["chain"], str(row["transactions"]), str(row["credits"]),
                      str(row["debits"]), str(row["reserved"]), str(row["records_restored"]),
                      "; ".join(row["skipped"]) or "-", row.get("error") or "-")
    out.print(table)
    out.print("Local transactions made after the backup (grants, transfers between members of "
              "this node) are not known to any peer and are not recovered.")
    if any(row.get("error") for row in report):
        raise typer.Exit(1)
