"""The checks of a node report (docs/standard.md §19), one piece of code for the three places
that need them: `verify-report` on a node report, `verify-report` on each node report a
federation report embeds, and the federation collector refusing a node's report that fails.

Every embedded signed document is checked against the directory first; the figures are then
recomputed from the embedded data and compared with what the report states (recomputing from
unverified inputs would prove nothing).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from node.reports import figures, quality, unreconciled
from node.reports.document import NODE_KIND
from node.reports.evidence import check_checkpoint, check_report_signature, check_window
from node.reports.figures import same
from node.reports.members import NODE_REPORT, member_problems
from node.reports.node_data import OPEN_ITEMS_MAX, discrepancy_age
from protocol.directory import Directory

MALFORMED = (KeyError, TypeError, AttributeError, IndexError, ValueError)


def windows_problems(windows: list[dict[str, Any]], node: str,
                     directory: Directory) -> list[str]:
    problems = [p for w in windows for p in check_window(w, node=node, directory=directory)]
    peers = Counter(w.get("peer") for w in windows)
    problems += [f"{node}: more than one window with {peer}" for peer, n in peers.items() if n > 1]
    return problems


def _ledger_problems(doc: dict[str, Any]) -> list[str]:
    """Activity and liability against their rows and against the signed checkpoint."""
    signed = {t["account_kind"]: t["balance_minutes"] for t in doc["checkpoint"]["totals"]}
    activity = doc["activity"]
    totals = figures.activity_totals(activity["rows"])
    problems = same("activity rows", activity["rows"], figures.activity_rows(activity["rows"]))
    problems += same("activity totals", activity["totals"], totals)
    problems += same("hours issued against the checkpoint's issuance",
                     totals["issued_minutes"], -signed["issuance"])
    problems += same("hours redeemed against the checkpoint", totals["redeemed_minutes"],
                     signed["redemption"])
    problems += same("hours expired against the checkpoint", totals["expired_minutes"],
                     signed["expiry"])
    liability = doc["liability"]
    owed = figures.liability_totals(liability["rows"])
    problems += same("liability totals", liability["totals"], owed)
    problems += same("outstanding hours against the checkpoint's member total",
                     owed["outstanding_minutes"], signed["member"])
    return problems


def _discrepancy_problems(doc: dict[str, Any]) -> list[str]:
    found = doc["discrepancies"]
    counted = figures.discrepancy_totals(found["rows"])
    problems = same("discrepancy totals", found["totals"], counted)
    if counted["open"] <= OPEN_ITEMS_MAX:
        by_age = Counter(discrepancy_age(doc["issued_at_ms"] - i["found_at_ms"])
                         for i in found["open_items"])
        problems += same("open discrepancies by age", [r["open"] for r in found["rows"]],
                         [by_age[r["age"]] for r in found["rows"]])
    return problems


def node_content(doc: dict[str, Any], signer: str, directory: Directory) -> tuple[list[str],
                                                                                 str]:
    """(problems, one-line summary) of a node report whose own signature is by `signer`."""
    node, windows = doc["node"], doc["windows"]
    problems = [] if signer == node else [f"a report of {node} signed by {signer}"]
    problems += check_checkpoint(doc["checkpoint"], node=node, directory=directory)
    problems += windows_problems(windows, node, directory)
    if problems:
        return problems, ""
    rows = figures.position_rows(node, windows)
    net = sum(r["closing_position_minutes"] for r in rows)
    problems += same("positions", doc["positions"]["rows"], rows)
    problems += same("net position", doc["positions"]["net_position_minutes"], net)
    problems += _ledger_problems(doc)
    problems += _discrepancy_problems(doc)
    problems += quality.in_doubt_problems(node, doc["in_doubt"], items_max=OPEN_ITEMS_MAX)
    problems += quality.service_problems(node, doc["service"])
    problems += unreconciled.node_problems(doc, directory)
    past = doc["unreconciled"]["totals"]
    summary = (f"node {node} at ledger height {doc['checkpoint']['height']}: {len(windows)} "
               f"links, net position {net} min, {doc['discrepancies']['totals']['open']} open "
               f"discrepancies, {doc['in_doubt']['count']} transfers in doubt, "
               f"{past['outgoing']['sum_minutes']} min sent and "
               f"{past['incoming']['sum_minutes']} min received past the last co-signed cuts")
    return problems, summary


# A federation report collects every node report at once, each answer within 30 s: a node
# report made further than this (plus the clock skew) from the federation report's own time was
# not made for it, and an older one could stand for a node as it was before a dispute. Either
# side, so that a compiler whose clock runs a little ahead still collects every node.
COLLECTION_MS_MAX = 5 * 60 * 1000


def timely_problems(doc: dict[str, Any], *, node: str, collected_at_ms: int,
                    directory: Directory) -> list[str]:
    """An embedded node report was made during the collection that began at `collected_at_ms`
    (the federation report's `issued_at_ms`): within COLLECTION_MS_MAX and the policy's skew of
    it."""
    bound_ms = directory.policy.skew_ms + COLLECTION_MS_MAX
    made = doc.get("issued_at_ms")
    earliest, latest = collected_at_ms - bound_ms, collected_at_ms + bound_ms
    if isinstance(made, int) and earliest <= made <= latest:
        return []
    return [f"{node} node report: issued at {made}, not during the collection the federation "
            f"report was made from ({earliest} to {latest})"]


def embedded_problems(doc: Any, *, node: str, directory: Directory) -> list[str]:
    """A node report carried inside another document: it must be `node`'s, signed by it, have
    exactly the members of a node report and pass every check of one. Each problem names the
    node."""
    if not isinstance(doc, dict) or doc.get("kind") != NODE_KIND or doc.get("node") != node:
        return [f"{node}: the embedded document is not {node}'s node report"]
    signer, problems = check_report_signature(doc, directory=directory)
    problems += member_problems(doc, NODE_REPORT, where="the report")
    try:
        problems += node_content(doc, signer, directory)[0]
    except MALFORMED as exc:
        problems.append(f"it lacks or misshapes a member: {exc!r}")
    return [f"{node} node report: {p}" for p in problems]
