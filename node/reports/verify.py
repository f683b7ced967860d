"""`hourbridge verify-report`: check a report offline, from the federation directory alone.

 1. report.json is exactly its canonical (RFC 8785) encoding: any changed byte that still
    parses changes the encoding or the signed bytes;
 2. the report's signature, by a node of the directory or by the federation authority, with a
    key valid at `issued_at_ms`;
 3. the CSV and HTML next to it hash to what the report states;
 4. every embedded statement, record and checkpoint verifies against the directory, with a key
    valid at that document's own signing time;
 5. every total, net position and unmatched pair is recomputed from the embedded signed inputs
    (node/reports/figures.py) and compared with what the report states.

Every problem found is reported, not only the first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.reports import figures
from node.reports.document import (
    CSV_NAME,
    FEDERATION_KIND,
    HTML_NAME,
    KINDS,
    NODE_KIND,
    REPORT_BYTES_MAX,
    sha256_file_hex,
)
from node.reports.evidence import check_checkpoint, check_report_signature, check_window
from node.reports.node_data import OPEN_ITEMS_MAX, discrepancy_age
from protocol.canonical import CanonicalError, canonical_bytes
from protocol.directory import Directory
from protocol.errors import ProtocolError
from protocol.version import STANDARD
from protocol.wire import parse_object


class ReportInvalid(Exception):
    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.path = path
        self.problems = problems


@dataclass(frozen=True)
class Verified:
    path: Path
    kind: str
    signer: str
    summary: str


def locate(path: Path) -> Path:
    """The report's JSON: `path` itself, or the .json beside a .html or .csv."""
    return path.with_suffix(".json") if path.suffix in (".html", ".csv") else path


def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ReportInvalid(path, ["no such file"])
    raw = path.read_bytes()
    try:
        document = parse_object(raw, bytes_max=REPORT_BYTES_MAX)
        canonical = canonical_bytes(document)
    except (ProtocolError, CanonicalError) as exc:
        raise ReportInvalid(path, [f"not a report: {exc}"]) from exc
    if canonical != raw:
        where = next((i for i, (a, b) in enumerate(zip(canonical, raw, strict=False)) if a != b),
                     min(len(canonical), len(raw)))
        raise ReportInvalid(path, [f"not its canonical encoding (first difference at byte "
                                   f"{where}): the file was edited"])
    if document.get("standard") != STANDARD or document.get("kind") not in KINDS:
        raise ReportInvalid(path, [f"not an {STANDARD} report (kind {document.get('kind')!r})"])
    return document


def _files(path: Path, document: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(problems, names checked) for the CSV and HTML written with the report."""
    problems, checked = [], []
    stated = document.get("files") or {}
    for name, member in ((CSV_NAME, "csv_sha256"), (HTML_NAME, "html_sha256")):
        sibling = path.with_suffix(Path(name).suffix)
        if not sibling.is_file():
            continue
        checked.append(sibling.name)
        if sha256_file_hex(sibling.read_bytes()) != stated.get(member):
            problems.append(f"{sibling.name} is not the file the report was written with "
                            f"(SHA-256 differs from {member})")
    return problems, checked


def _same(what: str, stated: Any, recomputed: Any) -> list[str]:
    if stated == recomputed:
        return []
    return [f"{what}: the report states {str(stated)[:200]}, the embedded data give "
            f"{str(recomputed)[:200]}"]


def _windows(windows: list[dict[str, Any]], node: str, directory: Directory) -> list[str]:
    problems = [p for w in windows for p in check_window(w, node=node, directory=directory)]
    peers = Counter(w.get("peer") for w in windows)
    problems += [f"{node}: more than one window with {peer}" for peer, n in peers.items() if n > 1]
    return problems


def _check_node(doc: dict[str, Any], signer: str, directory: Directory) -> tuple[list[str],
                                                                                 str]:
    node, windows = doc["node"], doc["windows"]
    problems = [] if signer == node else [f"a report of {node} signed by {signer}"]
    problems += check_checkpoint(doc["checkpoint"], node=node, directory=directory)
    problems += _windows(windows, node, directory)
    if problems:  # recomputing from unverified inputs would prove nothing
        return problems, ""
    rows = figures.position_rows(node, windows)
    problems += _same("positions", doc["positions"]["rows"], rows)
    problems += _same("net position", doc["positions"]["net_position_minutes"],
                      sum(r["closing_position_minutes"] for r in rows))
    signed = {t["account_kind"]: t["balance_minutes"] for t in doc["checkpoint"]["totals"]}
    activity = doc["activity"]
    totals = figures.activity_totals(activity["rows"])
    problems += _same("activity rows", activity["rows"], figures.activity_rows(activity["rows"]))
    problems += _same("activity totals", activity["totals"], totals)
    problems += _same("hours issued against the checkpoint's issuance",
                      totals["issued_minutes"], -signed["issuance"])
    problems += _same("hours redeemed against the checkpoint", totals["redeemed_minutes"],
                      signed["redemption"])
    problems += _same("hours expired against the checkpoint", totals["expired_minutes"],
                      signed["expiry"])
    liability = doc["liability"]
    owed = figures.liability_totals(liability["rows"])
    problems += _same("liability totals", liability["totals"], owed)
    problems += _same("outstanding hours against the checkpoint's member total",
                      owed["outstanding_minutes"], signed["member"])
    found = doc["discrepancies"]
    counted = figures.discrepancy_totals(found["rows"])
    problems += _same("discrepancy totals", found["totals"], counted)
    if counted["open"] <= OPEN_ITEMS_MAX:
        by_age = Counter(discrepancy_age(doc["issued_at_ms"] - i["found_at_ms"])
                         for i in found["open_items"])
        problems += _same("open discrepancies by age", [r["open"] for r in found["rows"]],
                          [by_age[r["age"]] for r in found["rows"]])
    summary = (f"node {node} at ledger height {doc['checkpoint']['height']}: {len(windows)} "
               f"links, net position {sum(r['closing_position_minutes'] for r in rows)} min, "
               f"{counted['open']} open discrepancies")
    return problems, summary


def _check_federation(doc: dict[str, Any], directory: Directory) -> tuple[list[str], str]:
    problems = _same("federation", doc["federation_id"], directory.federation_id)
    nodes = doc["nodes"]
    collected = {entry["node"]: entry["windows"] for entry in doc["collected"]}
    failed = {entry["node"]: entry["error"] for entry in doc["failures"]}
    if len(collected) != len(doc["collected"]) or sorted(nodes) != sorted([*collected, *failed]):
        problems.append("every node asked must appear once, collected or failed")
    for node, windows in collected.items():
        problems += _windows(windows, node, directory)
    if problems:
        return problems, ""
    again = figures.federation_figures(nodes, collected, failed)
    for member in ("positions", "nets", "links", "totals"):
        problems += _same(member, doc[member], again[member])
    totals = again["totals"]
    signed = sum(1 + (w["peer_statement"] is not None) + (w["record"] is not None)
                 for windows in collected.values() for w in windows)
    summary = (f"federation {doc['federation_id']}: {len(nodes)} nodes ({len(failed)} not "
               f"collected), {totals['links']} links ({totals['matched']} matched, "
               f"{totals['unmatched']} unmatched), {signed} signed statements and records, "
               f"net positions sum to {totals['net_position_minutes']} min")
    return problems, summary


def verify_report(path: Path, *, directory: Directory) -> Verified:
    """Raise ReportInvalid naming every problem, or return what was verified."""
    json_path = locate(path)
    document = _load(json_path)
    signer, problems = check_report_signature(document, directory=directory)
    file_problems, checked = _files(json_path, document)
    problems += file_problems
    try:
        if document["kind"] == NODE_KIND:
            found, summary = _check_node(document, signer, directory)
        else:
            assert document["kind"] == FEDERATION_KIND
            found, summary = _check_federation(document, directory)
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        found, summary = [f"the report lacks or misshapes a member: {exc!r}"], ""
    problems += found
    if problems:
        raise ReportInvalid(json_path, problems)
    files = f"; {' and '.join(checked)} match" if checked else "; no CSV or HTML beside it"
    return Verified(json_path, document["kind"], signer,
                    f"{document['kind']} signed by {signer}: {summary}{files}")
