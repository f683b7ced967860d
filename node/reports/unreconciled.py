"""Hours past the last co-signed cut (docs/reconciliation.md; docs/standard.md §19): what a node
report states per link, what a federation report sums per direction, and the checks of both.

A node states, per link, its newest co-signed (matched) window with that window's record, and
the committed transfers past the record's cuts on each of its chains. The record's cuts are
checked against the record, which both nodes signed; the counts are the node's signed claim,
checked against what its own newest statement alone holds past them. The federation report
puts each direction's two claims side by side, the sender's and the receiver's: a node whose
key signed prepares its own books never saw shows as minutes received that were never sent.
"""

from __future__ import annotations

from typing import Any

from node.reports.evidence import check_record, unsigned
from node.reports.figures import same
from node.states import WindowState
from protocol.directory import Directory

DIRECTIONS = ("outgoing", "incoming")
FIELDS = ("count", "sum_minutes")


def _sum(found: list[dict[str, int]]) -> dict[str, int]:
    return {name: sum(item[name] for item in found) for name in FIELDS}


def node_section(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A node report's `unreconciled` member from node_data.unreconciled's rows."""
    return {"rows": rows,
            "totals": {d: _sum([row[d] for row in rows]) for d in DIRECTIONS}}


def _record_problems(node: str, row: dict[str, Any], directory: Directory,
                     where: str) -> list[str]:
    """The row's window index and cuts are its co-signed record's (none: 0, 0 and 0)."""
    index, record = row["window_index"], row["record"]
    stated = [index, row["outgoing_cut"], row["incoming_cut"]]
    if record is None:
        return same(f"{where}: with no co-signed record, window and cuts", stated, [0, 0, 0])
    statement, problems = check_record(record, node=node, peer=row["peer"],
                                       directory=directory, what=f"{where}: record")
    if statement is None:
        return problems
    cuts = [statement.outgoing_sequence_cut, statement.incoming_sequence_cut]
    if statement.issuer != node:
        cuts.reverse()
    return same(f"{where}: window and cuts", stated, [statement.window_index, *cuts])


def _newest_problems(row: dict[str, Any], window: dict[str, Any], where: str) -> list[str]:
    """Against the link's newest window: the same one when it is matched, an older one
    otherwise, and then at least what the newest statement alone holds past the cuts (its
    span lies past them)."""
    newest, state = window["window_index"], window["state"]
    if state == WindowState.MATCHED:
        record = window["record"]
        return (same(f"{where}: the newest window is co-signed", row["window_index"], newest)
                + same(f"{where}: the newest window's record",
                       unsigned(row["record"] or {}), unsigned(record or {})))
    if row["window_index"] >= newest:
        return [f"{where}: window {row['window_index']} is not older than the newest "
                f"({state}) window {newest}"]
    mine = window["statement"]
    return [f"{where}: {d} {row[d]} is less than {state} window {newest} alone holds "
            f"({mine[d]})" for d in DIRECTIONS
            if any(row[d][name] < mine[d][name] for name in FIELDS)]


def node_problems(doc: dict[str, Any], directory: Directory) -> list[str]:
    """A row for every link the report has a window with, each row consistent with its
    record and the newest window, and totals that are the rows' sums."""
    node, section = doc["node"], doc["unreconciled"]
    rows = section["rows"]
    peers = [row["peer"] for row in rows]
    problems = same("unreconciled links (sorted, each once)", peers, sorted(set(peers)))
    windows = {w["peer"]: w for w in doc["windows"]}
    missing = sorted(set(windows) - set(peers))
    if missing:
        problems.append(f"unreconciled: no row for the links with {', '.join(missing)}")
    for row in rows:
        where = f"{node}–{row['peer']} past the last co-signed cut"
        if row["peer"] == node:
            problems.append(f"{where}: a link with itself")
            continue
        problems += _record_problems(node, row, directory, where)
        if row["peer"] in windows:
            problems += _newest_problems(row, windows[row["peer"]], where)
    problems += same("unreconciled totals", section["totals"], node_section(rows)["totals"])
    return problems


def federation_section(reports: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per direction sender → receiver that either node's report names: the sender's count of
    what it sent past its last co-signed cut, and the receiver's of what it received past its
    own (null where that node's report is missing or names no such link)."""
    by_link = {(node, row["peer"]): row for node, report in reports.items()
               for row in report["unreconciled"]["rows"]}
    directions = sorted({*by_link, *((peer, node) for node, peer in by_link)})
    rows = []
    for sender, receiver in directions:
        sent, received = by_link.get((sender, receiver)), by_link.get((receiver, sender))
        rows.append({
            "from": sender, "to": receiver,
            "sender_window_index": None if sent is None else sent["window_index"],
            "sent": None if sent is None else sent["outgoing"],
            "receiver_window_index": None if received is None else received["window_index"],
            "received": None if received is None else received["incoming"]})
    return {"rows": rows, "totals": {
        side: _sum([row[side] for row in rows if row[side] is not None])
        for side in ("sent", "received")}}


def with_hours(section: dict[str, Any]) -> list[dict[str, Any]]:
    """The directions with minutes past the last co-signed cut on either side."""
    return [row for row in section["rows"]
            if any(row[side] is not None and row[side]["sum_minutes"] > 0
                   for side in ("sent", "received"))]
