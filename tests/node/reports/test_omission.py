"""A federation report that lies by omission (issue 12, finding 4): whoever signs it cannot leave
out a node, a disputed link's windows or an open discrepancy, replay node reports from before a
dispute, add members the format does not define, or pass for a report of another directory.
Each tamper recomputes every figure it touches and re-signs, as a compiler with a key would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from node.reports import node_report
from node.reports.verify import ReportInvalid, verify_report
from protocol.canonical import canonical_bytes
from protocol.directory import Directory, decode_directory
from protocol.signing import sign_object
from tests.federation import Federation
from tests.node.reports.conftest import (
    GZ,
    NJ,
    SH,
    Reports,
    dispute_link,
    federation_report,
    refigure,
    resign,
)
from tests.support import AUTHORITY, FEDERATION_ID, directory_document, node_key


def problems(path: Path, directory: Directory) -> str:
    with pytest.raises(ReportInvalid) as caught:
        verify_report(path, directory=directory)
    return " | ".join(caught.value.problems)


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_bytes())
    return document


def test_a_report_with_a_node_dropped_and_re_signed_is_refused(reports: Reports,
                                                               federation_copy: Path) -> None:
    document = load(federation_copy)
    assert document["nodes"] == [GZ, NJ, SH]
    document["nodes"].remove(NJ)
    document["node_reports"] = [e for e in document["node_reports"] if e["node"] != NJ]
    refigure(document)
    resign(federation_copy, document, FEDERATION_ID, AUTHORITY)
    found = problems(federation_copy, reports.directory)
    assert ("nodes (every node of the directory not retired): the report states "
            "['gz-nansha', 'sh-pudong']") in found


def test_a_disputed_links_figures_left_out_are_refused(reports: Reports,
                                                       federation_copy: Path) -> None:
    """The link, its positions and the nets edited to read "0 unmatched", the signed node
    reports that hold the disputed windows and the open discrepancies left as they are."""
    document = load(federation_copy)
    hidden = {(NJ, SH), (SH, NJ)}
    document["links"] = [link for link in document["links"] if (link["a"], link["b"]) != (NJ, SH)]
    document["positions"] = [p for p in document["positions"] if (p["node"], p["peer"])
                             not in hidden]
    for net in document["nets"]:
        net["net_position_minutes"] = sum(p["closing_position_minutes"]
                                          for p in document["positions"]
                                          if p["node"] == net["node"])
    document["totals"].update(links=2, matched=2, unmatched=0, net_position_minutes=0)
    resign(federation_copy, document, FEDERATION_ID, AUTHORITY)
    found = problems(federation_copy, reports.directory)
    assert "links: the report states" in found and "totals: the report states" in found


def test_a_disputed_links_windows_dropped_from_the_node_reports_are_refused(
        reports: Reports, federation_copy: Path) -> None:
    """SH, compiling (or colluding), drops the window from its own report and re-signs it; NJ's
    report, which it cannot sign, still holds its side."""
    document = load(federation_copy)
    embedded = {e["node"]: e for e in document["node_reports"]}
    for node, peer in ((SH, NJ), (NJ, SH)):
        report = embedded[node]["report"]
        report["windows"] = [w for w in report["windows"] if w["peer"] != peer]
        report["positions"]["rows"] = [r for r in report["positions"]["rows"]
                                       if r["peer"] != peer]
    sh = embedded[SH]["report"]
    sh["positions"]["net_position_minutes"] = sum(r["closing_position_minutes"]
                                                  for r in sh["positions"]["rows"])
    embedded[SH]["report"] = sign_object({k: v for k, v in sh.items() if k != "signatures"},
                                         signer=SH, key=node_key(SH))
    refigure(document)
    resign(federation_copy, document, FEDERATION_ID, AUTHORITY)
    found = problems(federation_copy, reports.directory)
    assert "nj-gulou node report: the report: signature by nj-gulou: bad_signature" in found


def test_node_reports_from_before_a_dispute_cannot_stand_for_the_nodes_now(
        tmp_path: Path) -> None:
    fed = Federation(tmp_path / "fed", [SH, NJ], members=3, grant_minutes=600)
    try:
        directory = decode_directory(fed.directory)
        assert fed.send(f"m0@{SH}", f"m1@{NJ}", 10).status_code == 201
        fed.settle()
        assert fed.close_window(SH, NJ)["state"] == "matched"
        before = {node: node_report.build(fed.nodes[node], tmp_path / node)[1]
                  for node in (SH, NJ)}
        fed.clock.advance(3_600_000)
        dispute_link(fed, f"m2@{SH}", f"m2@{NJ}")
        assert fed.close_window(SH, NJ)["state"] == "disputed"
        for node in (SH, NJ):
            fed.nodes[node].ledger_admin.checkpoint()
        path, document = federation_report(fed, tmp_path / "federation")
        assert document["totals"]["unmatched"] == 1
        verify_report(path, directory=directory)
        # The compiler embeds the two nodes' reports of an hour ago, validly signed by them.
        for entry in document["node_reports"]:
            entry["report"] = before[entry["node"]]
        refigure(document)
        assert document["totals"]["unmatched"] == 0  # what the lie would read
        resign(path, document, FEDERATION_ID, AUTHORITY)
        found = problems(path, directory)
        for node in (SH, NJ):
            assert f"{node} node report: issued at {before[node]['issued_at_ms']}, not during " \
                   "the collection" in found
    finally:
        fed.close()


@pytest.mark.parametrize("where", ["top", "nested", "node_report"])
def test_a_member_the_format_does_not_define_is_refused(reports: Reports,
                                                        federation_copy: Path,
                                                        where: str) -> None:
    document = load(federation_copy)
    if where == "top":
        document["comment"] = "every link matched"
    elif where == "nested":
        document["totals"]["checked_by"] = "the authority"
    else:
        entry = next(e for e in document["node_reports"] if e["node"] == GZ)
        report = {k: v for k, v in entry["report"].items() if k != "signatures"}
        entry["report"] = sign_object({**report, "note": "all well"}, signer=GZ,
                                      key=node_key(GZ))
    resign(federation_copy, document, FEDERATION_ID, AUTHORITY)
    found = problems(federation_copy, reports.directory)
    assert "has members the format does not define" in found


def test_an_unsigned_member_added_without_any_key_is_refused(reports: Reports,
                                                             federation_copy: Path,
                                                             node_copy: Path) -> None:
    """`unsigned` is outside the signed bytes (standard §5.1): anyone can add it at the top of a
    report, and every signature still verifies. Inside a co-signed record, a node's report could
    carry it with both nodes' signatures still verifying."""
    for path in (federation_copy, node_copy):
        document = load(path)
        document["unsigned"] = {"note": "0 unmatched"}
        path.write_bytes(canonical_bytes(document))
        assert "the report has members the format does not define: unsigned" in problems(
            path, reports.directory)
    document = load(federation_copy)
    del document["unsigned"]
    entry = next(e for e in document["node_reports"] if e["node"] == GZ)
    report = {k: v for k, v in entry["report"].items() if k != "signatures"}
    window = next(w for w in report["windows"] if w["record"] is not None)
    window["record"]["unsigned"] = {"note": "matched"}
    entry["report"] = sign_object(report, signer=GZ, key=node_key(GZ))
    resign(federation_copy, document, FEDERATION_ID, AUTHORITY)
    assert "record is not a statement" in problems(federation_copy, reports.directory)


def test_a_report_of_serial_n_is_refused_with_serial_n_plus_1(reports: Reports,
                                                              federation_copy: Path) -> None:
    later = decode_directory(directory_document([SH, NJ, GZ, "hz-xihu"], serial=2))
    found = problems(federation_copy, later)
    assert ("the report was made against directory serial 1 (hash "
            f"{reports.directory.content_hash()[:16]}…), not the one given (serial 2") in found
    assert "nodes (every node of the directory not retired)" in found
    # The same nodes under a new serial is another directory all the same.
    same_nodes = decode_directory(directory_document([SH, NJ, GZ], serial=2))
    assert "made against directory serial 1" in problems(federation_copy, same_nodes)
    verify_report(federation_copy, directory=reports.directory)


def test_a_federation_report_signed_by_a_node_is_refused(reports: Reports,
                                                         federation_copy: Path) -> None:
    document = load(federation_copy)
    resign(federation_copy, document, SH, node_key(SH))
    assert (f"a federation report is signed by the federation authority ({FEDERATION_ID}), "
            "not by sh-pudong") in problems(federation_copy, reports.directory)
