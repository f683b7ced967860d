"""`hourbridge verify-report`: check a report offline, from the federation directory alone.

 1. report.json is exactly its canonical (RFC 8785) encoding: any changed byte that still
    parses changes the encoding or the signed bytes;
 2. the report's signature, with a key valid at `issued_at_ms`: a node report's by its node,
    a federation report's by the federation authority;
 3. the CSV and HTML next to it hash to what the report states;
 4. the report has exactly the members the format defines, at every level
    (node/reports/members.py);
 5. every embedded statement, record and checkpoint verifies against the directory, with a key
    valid at that document's own signing time;
 6. every total, net position and unmatched pair is recomputed from the embedded signed inputs
    (node/reports/figures.py) and compared with what the report states;
 7. a federation report names the directory given (serial and hash) and covers exactly its
    nodes that are not retired; every embedded node report passes every check of a node report
    (node/reports/node_checks.py); links, positions and the hours past the last co-signed cuts
    are recomputed from the windows and figures inside them, so a window, an open discrepancy
    or a node cannot be left out unless the whole node is named as not collected; and the
    federation-wide sums are recomputed from them (node/reports/aggregates.py);
 8. an embedded link map is accepted against the directory as a node would accept it (§22),
    and the settlement figures, at each of its hubs too, are recomputed from `positions` and
    that map (node/reports/settlement.py). A report made before hubs has neither member.

Every problem found is reported, not only the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.errors import ErrorCode, FixedCodeError
from node.reports import figures, settlement, unreconciled
from node.reports.aggregates import aggregates
from node.reports.collect import asked_nodes
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
from node.reports.members import NODE_REPORT, federation_shape, member_problems
from node.reports.node_checks import MALFORMED, embedded_problems, node_content, timely_problems
from protocol.canonical import CanonicalError, canonical_bytes
from protocol.directory import Directory
from protocol.errors import ProtocolError
from protocol.links import LinkMap, accept_links
from protocol.version import STANDARD
from protocol.wire import parse_object


class ReportInvalid(FixedCodeError):
    """A report file that does not verify; `problems` names every reason."""

    CODE = ErrorCode.REPORT_INVALID

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


def _pinned(doc: dict[str, Any], signer: str, directory: Directory) -> list[str]:
    """The report names the directory given (serial and hash), covers exactly its nodes that
    are not retired, and is signed by its federation authority."""
    problems = same("federation", doc["federation_id"], directory.federation_id)
    stated = (doc["directory_serial"], doc["directory_hash"])
    given = (directory.serial, directory.content_hash())
    if stated != given:
        problems.append(f"the report was made against directory serial {stated[0]} (hash "
                        f"{str(stated[1])[:16]}…), not the one given (serial {given[0]}, hash "
                        f"{given[1][:16]}…): verify it with the directory it names")
    problems += same("nodes (every node of the directory not retired)", doc["nodes"],
                     [entry.node_id for entry in asked_nodes(directory)])
    if signer != directory.federation_id:
        problems.append(f"a federation report is signed by the federation authority "
                        f"({directory.federation_id}), not by {signer}")
    return problems


def _node_reports(doc: dict[str, Any], directory: Directory) -> list[str]:
    """Every embedded node report passes every check of a node report and was made during the
    collection the federation report was made from."""
    problems = _every_node_once(doc["nodes"], doc["node_reports"], doc["node_report_failures"],
                                "node_reports")
    for entry in doc["node_reports"]:
        found = embedded_problems(entry["report"], node=entry["node"], directory=directory)
        problems += found or timely_problems(entry["report"], node=entry["node"],
                                             collected_at_ms=doc["issued_at_ms"],
                                             directory=directory)
    return problems


def _link_map(doc: dict[str, Any], directory: Directory) -> tuple[LinkMap | None, list[str]]:
    """The embedded link map as a node holding `directory` would accept it (§22), or why not."""
    if doc.get("link_map") is None:
        return None, []
    try:
        return accept_links(doc["link_map"], directory=directory, current=None), []
    except ProtocolError as exc:
        return None, [f"link_map: refused against the directory: {exc.code.value}: "
                      f"{str(exc.detail)[:200]}"]


def _recomputed(doc: dict[str, Any], link_map: LinkMap | None) -> list[str]:
    """Every figure again, from the embedded node reports (and link map) alone."""
    reports = {entry["node"]: entry["report"] for entry in doc["node_reports"]}
    failed = {entry["node"]: entry["error"] for entry in doc["node_report_failures"]}
    positioned = figures.federation_figures(doc["nodes"], reports, failed)
    again = {**positioned,
             "unreconciled": unreconciled.federation_section(reports),
             **{f"aggregates.{name}": value for name, value in aggregates(reports).items()}}
    if "settlement" in doc:
        again["settlement"] = settlement.section(positioned["positions"], link_map)
    problems = []
    for member, value in again.items():
        stated = doc
        for name in member.split("."):
            stated = stated[name]
        problems += same(member, stated, value)
    return problems


def _summary(doc: dict[str, Any]) -> str:
    totals, past = doc["totals"], doc["unreconciled"]
    windows = [w for e in doc["node_reports"] for w in e["report"]["windows"]]
    signed = sum(1 + (w["peer_statement"] is not None) + (w["record"] is not None)
                 for w in windows)
    return (f"federation {doc['federation_id']} at directory serial {doc['directory_serial']}: "
            f"{len(doc['nodes'])} nodes ({len(doc['node_report_failures'])} not collected), "
            f"{totals['links']} links ({totals['matched']} matched, {totals['unmatched']} "
            f"unmatched), {signed} signed statements and records, net positions sum to "
            f"{totals['net_position_minutes']} min, {len(unreconciled.with_hours(past))} "
            f"directions with hours past the last co-signed cut "
            f"({past['totals']['sent']['sum_minutes']} min sent, "
            f"{past['totals']['received']['sum_minutes']} min received); "
            f"{len(doc['node_reports'])} signed node reports embedded and checked"
            f"{_settled(doc)}")


def _settled(doc: dict[str, Any]) -> str:
    if "settlement" not in doc:
        return ""
    totals = doc["settlement"]["totals"]
    mesh = ("a full mesh (no link map)" if doc["link_map"] is None else
            f"link map serial {doc['link_map']['serial']} with "
            f"{len(doc['settlement']['hubs'])} hub(s)")
    return (f"; {mesh}, settlement: {totals['gross_minutes']} min of bilateral positions, "
            f"{totals['multilateral_minutes']} min multilaterally, "
            f"{totals['replaced_minutes']} min replaced")


def _check_federation(doc: dict[str, Any], signer: str,
                      directory: Directory) -> tuple[list[str], str]:
    link_map, map_problems = _link_map(doc, directory)
    problems = _pinned(doc, signer, directory) + map_problems + _node_reports(doc, directory)
    if problems:
        return problems, ""
    problems = _recomputed(doc, link_map)
    return problems, "" if problems else _summary(doc)


def verify_report(path: Path, *, directory: Directory) -> Verified:
    """Raise ReportInvalid naming every problem, or return what was verified."""
    json_path = locate(path)
    document = _load(json_path)
    signer, problems = check_report_signature(document, directory=directory)
    file_problems, checked = _files(json_path, document)
    problems += file_problems
    shape = NODE_REPORT if document["kind"] == NODE_KIND else federation_shape(document)
    problems += member_problems(document, shape, where="the report")
    try:
        if document["kind"] == NODE_KIND:
            found, summary = node_content(document, signer, directory)
        else:
            assert document["kind"] == FEDERATION_KIND
            found, summary = _check_federation(document, signer, directory)
    except MALFORMED as exc:
        found, summary = [f"the report lacks or misshapes a member: {exc!r}"], ""
    problems += found
    if problems:
        raise ReportInvalid(json_path, problems)
    files = f"; {' and '.join(checked)} match" if checked else "; no CSV or HTML beside it"
    return Verified(json_path, document["kind"], signer,
                    f"{document['kind']} signed by {signer}: {summary}{files}")
