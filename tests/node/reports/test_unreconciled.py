"""Hours past the last co-signed cut (issue 12, finding 1, the reports' part): SH sends NJ two
transfers, the window is co-signed, two more commit after it. NJ's report shows exactly those
minutes received past the cut, SH's shows them sent, the federation report puts the two side
by side, verify-report recomputes them, and a changed figure is refused."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from node.reports import node_report
from node.reports.evidence import unsigned
from node.reports.verify import ReportInvalid, verify_report
from protocol.directory import Directory, decode_directory
from protocol.signing import sign_object
from tests.federation import Federation
from tests.node.reports.conftest import NJ, SH, federation_report, refigure, resign
from tests.support import AUTHORITY, FEDERATION_ID, node_key

LATER = (30, 45)  # minutes of the transfers committed after the co-signed window


@dataclass
class Past:
    fed: Federation
    directory: Directory
    root: Path
    record: dict[str, Any]  # window 1's co-signed record (SH closed it: SH's statement)
    nj: dict[str, Any]  # NJ's node report
    sh: dict[str, Any]
    federation: dict[str, Any]


@pytest.fixture(scope="module")
def past(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Past]:
    root = tmp_path_factory.mktemp("past")
    fed = Federation(root / "fed", [SH, NJ], members=2, grant_minutes=600)
    try:
        for minutes in (10, 20):
            assert fed.send(f"m0@{SH}", f"m1@{NJ}", minutes).status_code == 201
        fed.settle()
        view = fed.close_window(SH, NJ)
        assert view["state"] == "matched"
        for minutes in LATER:
            assert fed.send(f"m1@{SH}", f"m0@{NJ}", minutes).status_code == 201
        fed.settle()
        nj = node_report.build(fed.nodes[NJ], root / "nj")[1]
        sh = node_report.build(fed.nodes[SH], root / "sh")[1]
        federation = federation_report(fed, root / "federation")[1]
        yield Past(fed, decode_directory(fed.directory), root, view["record"], nj, sh,
                   federation)
    finally:
        fed.close()


def problems(path: Path, directory: Directory) -> str:
    with pytest.raises(ReportInvalid) as caught:
        verify_report(path, directory=directory)
    return " | ".join(caught.value.problems)


def test_the_receivers_report_shows_exactly_the_minutes_past_the_cut(past: Past) -> None:
    (row,) = past.nj["unreconciled"]["rows"]
    record = past.record
    assert record["issuer"] == SH
    assert row == {"peer": SH, "window_index": 1,
                   # NJ's side of SH's cuts: its incoming chain is SH's outgoing one.
                   "outgoing_cut": record["incoming_sequence_cut"],
                   "incoming_cut": record["outgoing_sequence_cut"], "record": record,
                   "outgoing": {"count": 0, "sum_minutes": 0},
                   "incoming": {"count": 2, "sum_minutes": sum(LATER)}}
    assert past.nj["unreconciled"]["totals"]["incoming"] == {"count": 2,
                                                             "sum_minutes": sum(LATER)}
    (sent,) = past.sh["unreconciled"]["rows"]
    assert (sent["window_index"], sent["outgoing"]) == (1, {"count": 2,
                                                            "sum_minutes": sum(LATER)})
    verified = verify_report(past.root / "nj" / "report.json", directory=past.directory)
    assert "0 min sent and 75 min received past the last co-signed cuts" in verified.summary


def test_the_page_and_table_show_them(past: Past) -> None:
    page = (past.root / "nj" / "report.html").read_text(encoding="utf-8")
    assert "Hours past the last co-signed cut" in page
    with (past.root / "nj" / "report.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r[1:] for r in csv.reader(handle) if r and r[0] == "unreconciled"]
    assert rows[1][:2] == [SH, "1"] and rows[1][6:8] == ["2", "75"]
    assert rows[1][-1] == "1 小时 15 分"  # read out beside the table's own columns
    fed_page = (past.root / "federation" / "report.html").read_text(encoding="utf-8")
    assert "Is anything wrong?" in fed_page
    assert ("sent 2 transfers, 75 min since window 1 (per sh-pudong); received 2 transfers, "
            "75 min since window 1 (per nj-gulou)") in fed_page


def test_the_federation_report_puts_both_sides_of_each_direction_together(past: Past) -> None:
    found = past.federation["unreconciled"]
    later = {"count": 2, "sum_minutes": sum(LATER)}
    none = {"count": 0, "sum_minutes": 0}
    assert found["rows"] == [
        {"from": NJ, "to": SH, "sender_window_index": 1, "sent": none,
         "receiver_window_index": 1, "received": none},
        {"from": SH, "to": NJ, "sender_window_index": 1, "sent": later,
         "receiver_window_index": 1, "received": later}]
    assert found["totals"] == {"sent": later, "received": later}
    verified = verify_report(past.root / "federation" / "report.json", directory=past.directory)
    assert ("1 directions with hours past the last co-signed cut (75 min sent, 75 min "
            "received)") in verified.summary


def copy(past: Past, name: str, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    path = tmp_path / name / "report.json"
    path.parent.mkdir(parents=True)
    path.write_bytes((past.root / name / "report.json").read_bytes())
    return path, json.loads(path.read_bytes())


def test_a_changed_federation_figure_is_refused(past: Past, tmp_path: Path) -> None:
    path, document = copy(past, "federation", tmp_path)
    row = document["unreconciled"]["rows"][1]
    row["received"] = {"count": 0, "sum_minutes": 0}
    document["unreconciled"]["totals"]["received"] = {"count": 0, "sum_minutes": 0}
    resign(path, document, FEDERATION_ID, AUTHORITY)
    assert "unreconciled: the report states" in problems(path, past.directory)


def test_a_node_cannot_move_its_cut_nor_change_its_totals(past: Past, tmp_path: Path) -> None:
    path, document = copy(past, "nj", tmp_path)
    (row,) = document["unreconciled"]["rows"]
    # "No co-signed window yet", while the newest window is co-signed.
    row.update(window_index=0, outgoing_cut=0, incoming_cut=0, record=None)
    resign(path, document, NJ, node_key(NJ))
    found = problems(path, past.directory)
    assert "nj-gulou–sh-pudong past the last co-signed cut: the newest window is co-signed" \
        in found
    path, document = copy(past, "nj", tmp_path / "again")
    (row,) = document["unreconciled"]["rows"]
    row["incoming_cut"] += 1  # a cut the record does not have
    document["unreconciled"]["totals"]["incoming"]["sum_minutes"] = 0
    resign(path, document, NJ, node_key(NJ))
    found = problems(path, past.directory)
    assert "past the last co-signed cut: window and cuts: the report states" in found
    assert "unreconciled totals: the report states" in found


def test_a_node_cannot_hide_what_its_open_window_holds(tmp_path: Path) -> None:
    """SH closes window 2 while NJ is down: it stays open, and SH's own statement of it holds
    the two transfers; a report claiming less past window 1's cut is refused, and so is a
    federation report embedding it."""
    fed = Federation(tmp_path / "fed", [SH, NJ], members=2, grant_minutes=600)
    try:
        assert fed.send(f"m0@{SH}", f"m1@{NJ}", 10).status_code == 201
        fed.settle()
        assert fed.close_window(SH, NJ)["state"] == "matched"
        for minutes in LATER:
            assert fed.send(f"m1@{SH}", f"m0@{NJ}", minutes).status_code == 201
        fed.settle()
        fed.network.down.add(NJ)
        assert fed.close_window(SH, NJ)["state"] == "open"
        fed.network.down.discard(NJ)
        for node in fed.nodes.values():
            node.ledger_admin.checkpoint()
        path, document = federation_report(fed, tmp_path / "federation")
        directory = decode_directory(fed.directory)
        verify_report(path, directory=directory)
        embedded = {e["node"]: e for e in document["node_reports"]}
        sh = embedded[SH]["report"]
        (row,) = sh["unreconciled"]["rows"]
        assert (row["window_index"], row["outgoing"]["sum_minutes"]) == (1, sum(LATER))
        row["outgoing"] = {"count": 0, "sum_minutes": 0}
        sh["unreconciled"]["totals"]["outgoing"] = {"count": 0, "sum_minutes": 0}
        embedded[SH]["report"] = sign_object(unsigned(sh), signer=SH, key=node_key(SH))
        refigure(document)
        resign(path, document, FEDERATION_ID, AUTHORITY)
        assert ("sh-pudong node report: sh-pudong–nj-gulou past the last co-signed cut: "
                "outgoing {'count': 0, 'sum_minutes': 0} is less than open window 2 alone "
                "holds ({'count': 2, 'sum_minutes': 75})") in problems(path, directory)
    finally:
        fed.close()


def test_metrics_show_the_minutes_per_peer_and_direction(past: Past) -> None:
    def gauges(node_id: str) -> dict[str, int]:
        text = past.fed.call(node_id, "GET", "/metrics").text
        return {line.split()[0]: int(line.split()[1]) for line in text.splitlines()
                if line.startswith("hourbridge_unreconciled_minutes")}

    assert gauges(NJ) == {
        'hourbridge_unreconciled_minutes{peer="sh-pudong",direction="incoming"}': sum(LATER),
        'hourbridge_unreconciled_minutes{peer="sh-pudong",direction="outgoing"}': 0}
    assert gauges(SH) == {
        'hourbridge_unreconciled_minutes{peer="nj-gulou",direction="incoming"}': 0,
        'hourbridge_unreconciled_minutes{peer="nj-gulou",direction="outgoing"}': sum(LATER)}
