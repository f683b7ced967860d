"""The report's arithmetic as plain functions over the report's own data. The builder states
what they return; `verify-report` runs them again on the embedded signed inputs and compares,
so every total and every position in a report is recomputable from the report alone."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from node.reports.evidence import unsigned
from node.reports.node_data import CLASSES
from node.states import WindowState
from protocol.messages.documents import Statement
from protocol.statements import compare

ACTIVITY_FIELDS = ("redeemed_minutes", "expired_minutes")
LIABILITY_FIELDS = ("holders", "outstanding_minutes", "supply_minutes", "volunteers")


def same(what: str, stated: Any, recomputed: Any) -> list[str]:
    """A problem when a stated figure is not what its inputs give."""
    if stated == recomputed:
        return []
    return [f"{what}: the report states {str(stated)[:200]}, the embedded data give "
            f"{str(recomputed)[:200]}"]


def activity_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Every credit class, with no rows too: the format's member set is closed."""
    by_class = dict.fromkeys(CLASSES, 0)
    for row in rows:
        for name, minutes in row["issued_by_class"].items():
            by_class[name] = by_class.get(name, 0) + minutes
    totals: dict[str, Any] = {"issued_by_class": by_class,
                              "issued_minutes": sum(by_class.values())}
    for field in ACTIVITY_FIELDS:
        totals[field] = sum(row[field] for row in rows)
    return totals


def activity_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each day with its issued total (the sum of its classes) stated beside the classes."""
    return [{**row, "issued_minutes": sum(row["issued_by_class"].values())} for row in rows]


def liability_totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {field: sum(row[field] for row in rows) for field in LIABILITY_FIELDS}


def discrepancy_totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {"open": sum(r["open"] for r in rows), "closed": sum(r["closed"] for r in rows)}


def position_rows(node: str, windows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per link: the node's closing position from its own signed statement."""
    return [{"node": node, "peer": w["peer"], "window_index": w["statement"]["window_index"],
             "state": w["state"],
             "closing_position_minutes": w["statement"]["closing_position_minutes"]}
            for w in sorted(windows, key=lambda w: w["peer"])]


def nets(nodes: list[str], positions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each node's net position against the federation: the sum over its links of its closing
    positions (minutes the others owe it)."""
    return [{"node": node,
             "links": sum(1 for p in positions if p["node"] == node),
             "net_position_minutes": sum(p["closing_position_minutes"] for p in positions
                                         if p["node"] == node)}
            for node in nodes]


def _record_of(window: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if window is None else window.get("record")


def link_problems(a: str, b: str, *, wa: dict[str, Any] | None, wb: dict[str, Any] | None,
                  failed: dict[str, str]) -> list[str]:
    """Why the link a–b is not matched (empty: matched). Both sides' statements must mirror
    each other (protocol.statements.compare), and both must hold the same co-signed record."""
    reasons = []
    for node, peer, window in ((a, b, wa), (b, a, wb)):
        if node in failed:
            reasons.append(f"no verified node report from {node}")
        elif window is None:
            reasons.append(f"{node} holds no window with {peer}")
        elif window["state"] == WindowState.DISPUTED:
            reasons.append(f"disputed at {node}")
    if wa is None or wb is None:
        return reasons
    try:
        found = compare(Statement.model_validate(wa["statement"]),
                        Statement.model_validate(wb["statement"]))
    except ValidationError:
        return [*reasons, "a statement does not decode"]
    reasons += [f"statements differ: {d.value}" for d in found]
    ra, rb = _record_of(wa), _record_of(wb)
    if ra is None or rb is None:
        missing = [n for n, r in ((a, ra), (b, rb)) if r is None]
        reasons.append(f"no co-signed record at {' and '.join(missing)}")
    elif unsigned(ra) != unsigned(rb):
        reasons.append("the two nodes hold different records")
    return reasons


def open_discrepancies(reports: dict[str, dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Open discrepancies by (node, peer), as the embedded node reports list them."""
    found: dict[tuple[str, str], int] = {}
    for node, report in reports.items():
        for item in report["discrepancies"]["open_items"]:
            found[(node, item["peer"])] = found.get((node, item["peer"]), 0) + 1
    return found


def federation_figures(nodes: list[str], reports: dict[str, dict[str, Any]],
                       failed: dict[str, str]) -> dict[str, Any]:
    """Positions, net positions and the state of every link, from the windows of every node's
    signed node report (a node's windows enter only inside its report, so none can be left
    out alone). `nodes`: every node asked; `reports`: the verified node reports by node;
    `failed`: why a node's report is missing. A link is every pair a report names: by a
    window, an open discrepancy, or a row of hours past the last co-signed cut."""
    collected = {node: report["windows"] for node, report in reports.items()}
    positions = [row for node in sorted(collected)
                 for row in position_rows(node, collected[node])]
    by_link = {(node, w["peer"]): w for node, windows in collected.items() for w in windows}
    disputes = open_discrepancies(reports)
    named = {(node, row["peer"]) for node, report in reports.items()
             for row in report["unreconciled"]["rows"]}
    pairs = sorted({tuple(sorted(link)) for link in (*by_link, *disputes, *named)})
    links = []
    for a, b in pairs:
        reasons = link_problems(a, b, wa=by_link.get((a, b)), wb=by_link.get((b, a)),
                                failed=failed)
        reasons += [f"open discrepancies at {node}: {disputes[(node, peer)]}"
                    for node, peer in ((a, b), (b, a)) if (node, peer) in disputes]
        links.append({"a": a, "b": b, "matched": not reasons, "reasons": reasons})
    node_nets = nets(nodes, positions)
    unmatched = sum(1 for link in links if not link["matched"])
    return {
        "positions": positions,
        "nets": node_nets,
        "links": links,
        "totals": {"net_position_minutes": sum(n["net_position_minutes"] for n in node_nets),
                   "links": len(links), "matched": len(links) - unmatched,
                   "unmatched": unmatched},
    }
