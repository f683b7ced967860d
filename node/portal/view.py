"""What the portal's pages show, computed from one signed federation report of the history and
the names of the directory it was made against. Plain functions over the document: nothing here
reads a node or a clock, so a page shows exactly what the signed file says.

The first screen answers the official's three questions (node/reports/summary.py): hours
outstanding, who owes whom in words, and 正常 or 需关注 with every reason. A report whose
stored files no longer verify is 需关注 first of all, whatever it says inside.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from node.portal.history import Kept
from node.reports.summary import (
    Debt,
    Summary,
    claims,
    debt_sentence,
    link_reason_text,
    name_of,
    names_from_directory,
    node_reasons,
    past_cut_text,
    positions_of,
    summarise,
)
from node.reports.words import BEIJING_OFFSET_MINUTES, code_label, failure_text, local_time

ATTENTION, OK = "attention", "ok"
STATUS_WORDS = {OK: "正常", ATTENTION: "需关注"}
PROBLEMS_SHOWN_MAX = 10
# protocol.errors' code for a signature that does not fit the signed bytes, as the collector's
# reason quotes it (node/reports/collect.py): the report was changed after the node signed it.
BAD_SIGNATURE = "bad_signature"


@dataclass(frozen=True)
class Headline:
    report_id: str
    issued: str
    outstanding_minutes: int
    sentences: tuple[str, ...]
    claims: tuple[str, ...]  # one side's word on a link the two sides do not agree on
    status: str  # ok or attention
    status_words: str
    reasons: tuple[str, ...]
    nodes: int
    collected: int


def directory_names(kept: Kept) -> dict[str, str]:
    """node id -> name from the directory kept beside the report (ids when unreadable)."""
    try:
        document = json.loads((kept.folder / "directory.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return names_from_directory(document) if isinstance(document, dict) else {}


def stored_problems(kept: Kept) -> list[str]:
    """The history's own check of the stored files, in words first."""
    return [f"本地保存的报告文件未通过核验（可能被改动）：{p}"
            for p in kept.problems[:PROBLEMS_SHOWN_MAX]]


def summary_of(kept: Kept, names: dict[str, str]) -> Summary | None:
    try:
        return summarise(kept.document, names)
    except (KeyError, TypeError, AssertionError, ValueError):
        return None  # a document too damaged to read: its stored problems say why


def headline(kept: Kept, names: dict[str, str]) -> Headline:
    found = summary_of(kept, names)
    reasons = stored_problems(kept) + list(found.reasons if found else ["报告内容无法读取"])
    status = ATTENTION if reasons else OK
    doc = kept.document
    return Headline(
        report_id=kept.id, issued=local_time(int(doc.get("issued_at_ms", 0)),
                                             BEIJING_OFFSET_MINUTES),
        outstanding_minutes=found.outstanding_minutes if found else 0,
        sentences=tuple(debt_sentence(d) for d in found.debts) if found else (),
        claims=claims(positions_of(doc), names) if found else (),
        status=status, status_words=STATUS_WORDS[status], reasons=tuple(reasons),
        nodes=len(doc.get("nodes", [])), collected=len(doc.get("node_reports", [])))


def node_rows(doc: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """One row per node asked: collected or why not, and its figures side by side."""
    sums = doc["aggregates"]
    by = {key: {r["node"]: r for r in sums[key]["by_node"]}
          for key in ("liability", "in_doubt", "discrepancies", "service")}
    nets = {r["node"]: r["net_position_minutes"] for r in doc["nets"]}
    failed = {f["node"]: f["error"] for f in doc["node_report_failures"]}
    rows = []
    for node in doc["nodes"]:
        reason = failure_text(failed[node]) if node in failed else ""
        rows.append({
            "node": node, "name": name_of(names, node), "failed": reason,
            "bad_signature": node in failed and BAD_SIGNATURE in failed[node],
            "outstanding": by["liability"].get(node, {}).get("outstanding_minutes"),
            "net": nets.get(node, 0) if node not in failed else None,
            "in_doubt": by["in_doubt"].get(node, {}).get("count"),
            "open": by["discrepancies"].get(node, {}).get("open"),
            "completed": by["service"].get(node, {}).get("completed")})
    return rows


def link_rows(doc: dict[str, Any], names: dict[str, str],
              debts: tuple[Debt, ...]) -> list[dict[str, Any]]:
    """One row per link: who owes whom on it (when both sides agree), matched, and why not."""
    owed = {tuple(sorted((d.debtor, d.creditor))): debt_sentence(d) for d in debts}
    return [{"a": link["a"], "b": link["b"], "a_name": name_of(names, link["a"]),
             "b_name": name_of(names, link["b"]), "matched": link["matched"],
             "debt": owed.get((link["a"], link["b"]), "两清" if link["matched"] else ""),
             "reasons": [link_reason_text(r, names) for r in link["reasons"]]}
            for link in doc["links"]]


def discrepancy_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"age": code_label(r["age"]), "open": r["open"], "closed": r["closed"]}
            for r in doc["aggregates"]["discrepancies"]["rows"]]


def in_doubt_rows(doc: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    return [{"node": r["node"], "name": name_of(names, r["node"]), "count": r["count"],
             "minutes": r["minutes"]} for r in doc["aggregates"]["in_doubt"]["by_node"]]


def service_rows(doc: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """Each node's service figures; the mean rating worked out here (the document holds
    integers only)."""
    rows = []
    for r in doc["aggregates"]["service"]["by_node"]:
        mean = f"{r['rating_stars'] / r['ratings']:.1f}" if r["ratings"] else "—"
        rows.append({**r, "name": name_of(names, r["node"]), "mean": mean})
    return rows


def node_detail(doc: dict[str, Any], node: str, names: dict[str, str]) -> dict[str, Any]:
    """One node's embedded signed report, as the drill-down page shows it."""
    if node not in doc["nodes"]:
        return {}
    failed = {f["node"]: f["error"] for f in doc["node_report_failures"]}
    report = next((e["report"] for e in doc["node_reports"] if e["node"] == node), None)
    detail: dict[str, Any] = {"node": node, "name": name_of(names, node),
                              "failed": failure_text(failed[node]) if node in failed else ""}
    if report is None:
        return detail
    return {**detail,
            "height": report["checkpoint"]["height"],
            "issued": local_time(report["issued_at_ms"], BEIJING_OFFSET_MINUTES),
            "reasons": node_reasons(report, names),
            "liability": [{**r, "band": code_label(r["age_band"])}
                          for r in report["liability"]["rows"]],
            "liability_totals": report["liability"]["totals"],
            "activity": report["activity"]["totals"],
            "positions": [{**r, "peer_name": name_of(names, r["peer"]),
                           "state_words": code_label(r["state"])}
                          for r in report["positions"]["rows"]],
            "in_doubt": report["in_doubt"], "service": report["service"]}


def link_detail(doc: dict[str, Any], a: str, b: str, names: dict[str, str],
                debts: tuple[Debt, ...]) -> dict[str, Any]:
    """One link: both sides' positions, the state of each side's newest window, and the hours
    past the last co-signed cut in each direction."""
    found = next((row for row in link_rows(doc, names, debts)
                  if {row["a"], row["b"]} == {a, b}), None)
    if found is None:
        return {}
    positions = [{**p, "name": name_of(names, p["node"]), "peer_name": name_of(names, p["peer"]),
                  "state_words": code_label(p["state"])}
                 for p in doc["positions"] if {p["node"], p["peer"]} == {a, b}]
    past = [past_cut_text(row, names) for row in doc["unreconciled"]["rows"]
            if {row["from"], row["to"]} == {a, b}]
    return {**found, "positions": positions, "past": past}
