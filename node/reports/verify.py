"""`hourbridge verify-report`: check a report offline, from the federation directory alone.

 1. report.json is exactly its canonical (RFC 8785) encoding: any changed byte that still
    parses changes the encoding or the signed bytes;
 2. the report's signature, by a node of the directory or by the federation authority, with a
    key valid at `issued_at_ms`;
 3. the CSV and HTML next to it hash to what the report states;
 4. every embedded statement, record and checkpoint verifies against the directory, with a key
    valid at that document's own signing time;
 5. every total, net position and unmatched pair is recomputed from the embedded signed inputs
    (node/reports/figures.py) and compared with what the report states;
 6. in a federation report, every embedded node report passes every check of a node report
    (node/reports/node_checks.py), and the federation-wide sums are recomputed from them
    (node/reports/aggregates.py).

Every problem found is reported, not only the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.reports import figures
from node.reports.aggregates import aggregates
from node.reports.document import (
    CSV_NAME,
    FEDERATION_KIND,
    HTML_NAME,
    KINDS,
    NODE_KIND,
    REPORT_BYTES_MAX,
    sha256_file_hex,
)
from node.reports.evidence import check_report_signature
from node.reports.figures import same
from node.reports.node_checks import MALFORMED, embedded_problems, node_content, windows_problems
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


def _every_node_once(nodes: list[str], kept: list[dict[str, Any]],
                     missing: list[dict[str, Any]], what: str) -> list[str]:
    named = [entry["node"] for entry in [*kept, *missing]]
    if sorted(named) != sorted(nodes):
        return [f"every node asked must appear once in {what}, collected or failed"]
    return []


def _node_reports(doc: dict[str, Any], directory: Directory) -> list[str]:
    """Every embedded node report passes every check of a node report, and the aggregates are
    what they sum to."""
    reports = {entry["node"]: entry["report"] for entry in doc["node_reports"]}
    problems = _every_node_once(doc["nodes"], doc["node_reports"], doc["node_report_failures"],
                                "node_reports")
    for node, report in reports.items():
        problems += embedded_problems(report, node=node, directory=directory)
    if problems:
        return problems
    again = aggregates(reports)
    for member, figures_again in again.items():
        problems += same(f"aggregates.{member}", doc["aggregates"][member], figures_again)
    return problems


def _check_federation(doc: dict[str, Any], directory: Directory) -> tuple[list[str], str]:
    problems = same("federation", doc["federation_id"], directory.federation_id)
    nodes = doc["nodes"]
    collected = {entry["node"]: entry["windows"] for entry in doc["collected"]}
    failed = {entry["node"]: entry["error"] for entry in doc["failures"]}
    problems += _every_node_once(nodes, doc["collected"], doc["failures"], "collected")
    for node, windows in collected.items():
        problems += windows_problems(windows, node, directory)
    problems += _node_reports(doc, directory)
    if problems:
        return problems, ""
    again = figures.federation_figures(nodes, collected, failed)
    for member in ("positions", "nets", "links", "totals"):
        problems += same(member, doc[member], again[member])
    totals = again["totals"]
    signed = sum(1 + (w["peer_statement"] is not None) + (w["record"] is not None)
                 for windows in collected.values() for w in windows)
    summary = (f"federation {doc['federation_id']}: {len(nodes)} nodes ({len(failed)} not "
               f"collected), {totals['links']} links ({totals['matched']} matched, "
               f"{totals['unmatched']} unmatched), {signed} signed statements and records, "
               f"net positions sum to {totals['net_position_minutes']} min; "
               f"{len(doc['node_reports'])} signed node reports embedded and checked")
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
            found, summary = node_content(document, signer, directory)
        else:
            assert document["kind"] == FEDERATION_KIND
            found, summary = _check_federation(document, directory)
    except MALFORMED as exc:
        found, summary = [f"the report lacks or misshapes a member: {exc!r}"], ""
    problems += found
    if problems:
        raise ReportInvalid(json_path, problems)
    files = f"; {' and '.join(checked)} match" if checked else "; no CSV or HTML beside it"
    return Verified(json_path, document["kind"], signer,
                    f"{document['kind']} signed by {signer}: {summary}{files}")
