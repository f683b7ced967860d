"""A node's report over an in-process federation: signed by the node, every figure at the
height of the checkpoint it embeds, the disputed link and its discrepancy shown."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import httpx

from node.access import Role
from node.reports import node_report
from node.reports.verify import verify_report
from node.reports.words import hours_text
from protocol.canonical import canonical_bytes
from protocol.envelope import verify_evidence
from tests.factories import ADMIN, grant
from tests.federation import Federation
from tests.node.reports.conftest import GZ, NJ, SH, Reports


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def csv_rows(path: Path, table: str) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[1:] for row in csv.reader(handle) if row and row[0] == table]


def test_the_node_report_is_signed_by_the_node_and_verifies(reports: Reports) -> None:
    document = load(reports.node_dir / "report.json")
    verify_evidence(document, directory=reports.directory, time_member="issued_at_ms")
    assert list(document["signatures"]) == [SH]
    verified = verify_report(reports.node_dir / "report.json", directory=reports.directory)
    assert verified.signer == SH
    assert "report.csv and report.html match" in verified.summary


def test_positions_are_the_nodes_signed_closing_positions(reports: Reports) -> None:
    document = load(reports.node_dir / "report.json")
    rows = {r["peer"]: r for r in document["positions"]["rows"]}
    windows = {w["peer"]: w for w in document["windows"]}
    assert set(rows) == {GZ, NJ}
    assert rows[GZ]["state"] == "matched" and rows[NJ]["state"] == "disputed"
    assert windows[GZ]["record"] is not None and windows[NJ]["record"] is None
    # SH paid 10 to NJ and 30 on the disputed transfer; GZ paid SH 35.
    assert rows[NJ]["closing_position_minutes"] == -40
    assert rows[GZ]["closing_position_minutes"] == 35
    assert document["positions"]["net_position_minutes"] == -5
    ledger_positions = {view["peer"]: view["closing_position_minutes"]
                        for view in fed_windows(reports)}
    assert ledger_positions == {GZ: 35, NJ: -40}


def fed_windows(reports: Reports) -> list[dict]:
    return reports.fed.nodes[SH].reconciler.statements(ADMIN)["windows"]


def test_issuance_and_liability_agree_with_the_signed_checkpoint(reports: Reports) -> None:
    document = load(reports.node_dir / "report.json")
    signed = {t["account_kind"]: t["balance_minutes"] for t in document["checkpoint"]["totals"]}
    totals = document["activity"]["totals"]
    assert totals["issued_by_class"]["granted"] == 3 * 600
    assert totals["issued_by_class"]["earned"] == 240
    assert totals["issued_minutes"] == 3 * 600 + 240 == -signed["issuance"]
    bands = {r["age_band"]: r for r in document["liability"]["rows"]}
    fed = reports.fed
    assert bands["70_79"]["outstanding_minutes"] == fed.balance(f"m0@{SH}")  # born 1950
    assert bands["18_39"]["outstanding_minutes"] == fed.balance(f"m1@{SH}")  # born 1990
    assert (bands["18_39"]["supply_minutes"], bands["18_39"]["volunteers"]) == (240, 1)
    assert bands["unknown"]["outstanding_minutes"] == fed.balance(f"m2@{SH}")
    assert document["liability"]["totals"]["outstanding_minutes"] == signed["member"]
    # The CSV states the same totals.
    (total,) = [r for r in csv_rows(reports.node_dir / "report.csv", "liability")
                if r[0] == "total"]
    # Its own columns first, then the same figures read out (the label, hours and minutes).
    assert total[:5] == ["total", "3", str(signed["member"]), "240", "1"]
    assert total[5:] == ["合计", hours_text(signed["member"]), "4 小时"]


def test_the_disputed_link_shows_as_an_open_discrepancy_aged_by_its_finding(
        reports: Reports, tmp_path: Path) -> None:
    document = load(reports.node_dir / "report.json")
    (item,) = document["discrepancies"]["open_items"]
    # NJ closed the window and found the field mismatch; SH, asked to co-sign, saw its
    # statement differ in the entries.
    assert (item["peer"], item["kind"]) == (NJ, "entries_differ")
    assert document["discrepancies"]["rows"][0] == {"age": "under_1d", "open": 1, "closed": 0}
    reports.fed.clock.advance(3 * 86_400_000)
    path, later = node_report.build(reports.fed.nodes[SH], tmp_path)
    assert [r["open"] for r in later["discrepancies"]["rows"]] == [0, 1, 0, 0]  # 1d_7d
    verify_report(path, directory=reports.directory)


def test_the_page_has_a_chart_and_a_table_for_each_part(reports: Reports) -> None:
    page = (reports.node_dir / "report.html").read_text(encoding="utf-8")
    for heading in ("Positions between nodes", "Issuance and redemption over time",
                    "Outstanding hours by holder age", "Discrepancies by age", "节点间头寸",
                    "Transfers in doubt", "Service quality"):
        assert heading in page
    assert page.count("<svg") == 5  # and the ratings
    assert "<script" not in page


def test_the_api_gives_a_regulator_the_report_at_the_newest_checkpoint(
        reports: Reports, tmp_path: Path) -> None:
    fed = reports.fed
    node = fed.nodes[SH]
    checkpoint = node.ledger_admin.checkpoint()
    grant(node, "m0", 90)  # after the checkpoint: not in the report's figures
    regulator = node.tokens.create(role=Role.REGULATOR, label="r").token
    answer = call(fed, regulator)
    assert answer.status_code == 200, answer.text
    served = answer.json()
    report = served["report"]
    assert report["checkpoint"] == checkpoint
    assert report["activity"]["totals"]["issued_minutes"] == -signed_total(report, "issuance")
    (tmp_path / "report.json").write_bytes(canonical_bytes(report))
    (tmp_path / "report.csv").write_text(served["csv"], encoding="utf-8")
    (tmp_path / "report.html").write_text(served["html"], encoding="utf-8")
    assert verify_report(tmp_path / "report.json", directory=reports.directory).signer == SH
    staff = node.tokens.create(role=Role.STAFF, station="s1", label="s").token
    refused = call(fed, staff)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


def signed_total(report: dict, kind: str) -> int:
    return next(t["balance_minutes"] for t in report["checkpoint"]["totals"]
                if t["account_kind"] == kind)


def call(fed: Federation, token: str) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fed.network.apps[SH]),
                                     base_url=f"http://{SH}.test") as client:
            return await client.get("/api/v1/reports/node",
                                    headers={"Authorization": f"Bearer {token}"})
    return fed.run(go())
