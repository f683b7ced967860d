"""How `hourbridge directory show` draws the draft and its signed state for an operator."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.table import Table

from node.cli.authority import Draft
from protocol.directory import Directory


def when(at_ms: int | None) -> str:
    if at_ms is None:
        return "open"
    return datetime.fromtimestamp(at_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def signed_state(draft: Draft, current: Directory | None) -> str:
    if current is None:
        return "never signed"
    changed = "" if draft.same_as(current) else "; the draft has unsigned changes"
    return f"last signed: serial {current.serial} at {when(current.issued_at_ms)}{changed}"


def nodes_table(draft: Draft) -> Table:
    table = Table(
        "node", "name", "region", "url", "status", "keys (valid from → until)", "caps", "unit"
    )
    for node in draft.nodes:
        keys = "\n".join(
            f"{key.key_id} {when(key.valid_from_ms)} → {when(key.valid_until_ms)}"
            for key in node.keys
        )
        caps = (
            f"{node.net_debit_cap_per_partner_minutes} per partner\n"
            f"{node.net_debit_cap_overall_minutes} overall"
        )
        unit = node.local_unit
        table.add_row(
            node.node_id,
            node.name,
            node.region_code,
            node.base_url,
            node.status.value,
            keys,
            caps,
            f"{unit.units} {unit.name} = {unit.minutes} min",
        )
    return table
