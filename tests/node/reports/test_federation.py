"""The multilateral view over HTTP: every node's signed report collected with a regulator token,
net positions against the federation from the windows inside them, and every unmatched pair."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from node.reports.verify import verify_report
from node.reports.words import FULL_MESH
from protocol.envelope import verify_evidence
from tests.factories import ADMIN
from tests.node.reports.conftest import (
    GZ,
    NJ,
    SH,
    Reports,
    federation_report,
    hub_map,
    regulator_tokens,
)


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_nets_are_each_nodes_positions_summed_and_the_disputed_link_is_unmatched(
        reports: Reports) -> None:
    document = load(reports.federation_dir / "report.json")
    assert document["node_report_failures"] == []
    assert [e["node"] for e in document["node_reports"]] == [GZ, NJ, SH]
    nets = {n["node"]: n["net_position_minutes"] for n in document["nets"]}
    # SH owes NJ 10 and GZ owes SH 35 (matched); on the disputed link SH says it paid 30, NJ
    # says it received 300.
    assert nets == {SH: 35 - 10 - 30, NJ: 10 + 300 - 20, GZ: 20 - 35}
    assert document["totals"] == {"net_position_minutes": sum(nets.values()), "links": 3,
                                  "matched": 2, "unmatched": 1}
    links = {(link["a"], link["b"]): link for link in document["links"]}
    assert links[(GZ, NJ)]["matched"] and links[(GZ, SH)]["matched"]
    disputed = links[(NJ, SH)]
    assert not disputed["matched"]
    assert {"disputed at nj-gulou", "disputed at sh-pudong", "statements differ: entries",
            "no co-signed record at nj-gulou and sh-pudong", "open discrepancies at nj-gulou: 1",
            "open discrepancies at sh-pudong: 1"} <= set(disputed["reasons"])


def test_matched_links_net_to_zero_between_their_two_nodes(reports: Reports) -> None:
    document = load(reports.federation_dir / "report.json")
    position = {(p["node"], p["peer"]): p["closing_position_minutes"]
                for p in document["positions"]}
    for a, b in ((GZ, NJ), (GZ, SH)):
        assert position[(a, b)] == -position[(b, a)]
    assert position[(SH, NJ)] != -position[(NJ, SH)]


def test_every_collected_statement_is_embedded_verbatim_and_verifies(reports: Reports) -> None:
    document = load(reports.federation_dir / "report.json")
    for entry in document["node_reports"]:
        served = reports.fed.nodes[entry["node"]].reconciler.statements(ADMIN)["windows"]
        for window, original in zip(entry["report"]["windows"], served, strict=True):
            assert window["statement"] == original["statement"]
            assert window["record"] == original["record"]
            verify_evidence(window["statement"], directory=reports.directory,
                            time_member="issued_at_ms", signer=entry["node"])
    verified = verify_report(reports.federation_dir / "report.json",
                             directory=reports.directory)
    assert "3 links (2 matched, 1 unmatched)" in verified.summary


def test_a_node_without_a_token_is_named_and_its_links_are_unmatched(reports: Reports,
                                                                      tmp_path: Path) -> None:
    tokens = regulator_tokens(reports.fed)
    del tokens[GZ]
    tokens[NJ] = "hb_not-a-token"
    path, document = federation_report(reports.fed, tmp_path, tokens=tokens)
    failures = {f["node"]: f["error"] for f in document["node_report_failures"]}
    assert failures[GZ] == "no regulator token for gz-nansha"
    assert failures[NJ].startswith("HTTP 401")
    assert [e["node"] for e in document["node_reports"]] == [SH]
    assert document["totals"]["matched"] == 0
    assert any("no verified node report from gz-nansha" in r
               for link in document["links"] for r in link["reasons"])
    verify_report(path, directory=reports.directory)


def test_a_node_serving_a_forged_statement_is_not_collected(reports: Reports,
                                                            tmp_path: Path) -> None:
    network = reports.fed.network
    original = network.apps[GZ]

    async def forging(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/reports/node"):
            return await original(scope, receive, send)
        body = bytearray()

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if message.get("more_body"):
                    return None
                answer = json.loads(body)
                answer["report"]["windows"][0]["statement"]["closing_position_minutes"] += 1
                forged = json.dumps(answer).encode()
                return await send({"type": "http.response.body", "body": forged})
            if message["type"] == "http.response.start":
                message = {**message, "headers": [h for h in message["headers"]
                                                  if h[0] != b"content-length"]}
            return await send(message)
        return await original(scope, receive, capture)

    network.apps[GZ] = forging
    try:
        _, document = federation_report(reports.fed, tmp_path)
    finally:
        network.apps[GZ] = original
    failures = {f["node"]: f["error"] for f in document["node_report_failures"]}
    assert "bad_signature" in failures[GZ]
    assert GZ not in [e["node"] for e in document["node_reports"]]


def test_each_nodes_signed_report_is_embedded_and_the_federation_figures_are_their_sums(
        reports: Reports) -> None:
    document = load(reports.federation_dir / "report.json")
    assert document["node_report_failures"] == []
    embedded = {e["node"]: e["report"] for e in document["node_reports"]}
    assert sorted(embedded) == [GZ, NJ, SH]
    for node_id, report in embedded.items():
        assert list(report["signatures"]) == [node_id]
        verify_evidence(report, directory=reports.directory, time_member="issued_at_ms")
    fed = reports.fed
    sums = document["aggregates"]
    # Every member of the three nodes holds the hours the ledgers say: 3 members each.
    held = sum(fed.balance(f"m{i}@{n}") for i in range(3) for n in (SH, NJ, GZ))
    assert sums["liability"]["totals"]["outstanding_minutes"] == held
    bands = {r["age_band"]: r for r in sums["liability"]["rows"]}
    assert (bands["18_39"]["supply_minutes"], bands["18_39"]["volunteers"]) == (240, 1)
    # 600 granted to each of 9 members, 240 earned at SH.
    assert sums["activity"]["totals"]["issued_by_class"]["granted"] == 9 * 600
    assert sums["activity"]["totals"]["issued_minutes"] == 9 * 600 + 240
    assert [r["issued_minutes"] for r in sums["activity"]["by_node"]] == [1800, 1800, 2040]
    # The disputed link's discrepancy is open at both of its nodes.
    assert {r["node"]: r["open"] for r in sums["discrepancies"]["by_node"]} == {
        GZ: 0, NJ: 1, SH: 1}
    assert sums["discrepancies"]["totals"]["open"] == 2
    assert sums["in_doubt"]["totals"] == {"count": 0, "minutes": 0}
    assert [r["frozen_links"] for r in sums["service"]["by_node"]] == [0, 1, 1]
    verified = verify_report(reports.federation_dir / "report.json", directory=reports.directory)
    assert "3 signed node reports embedded and checked" in verified.summary


def test_a_node_without_a_checkpoint_is_named_and_the_rest_is_summed(reports: Reports) -> None:
    document = load(reports.early_dir / "report.json")
    failures = {f["node"]: f["error"] for f in document["node_report_failures"]}
    assert sorted(failures) == [GZ, NJ]
    assert failures[NJ].startswith("HTTP 404 checkpoint_not_found")
    assert [e["node"] for e in document["node_reports"]] == [SH]
    # Their windows come only inside their signed reports: their links are unmatched.
    links = {(link["a"], link["b"]): link for link in document["links"]}
    assert sorted(links) == [(GZ, SH), (NJ, SH)]
    assert "no verified node report from nj-gulou" in links[(NJ, SH)]["reasons"]
    sums = document["aggregates"]
    assert [r["node"] for r in sums["liability"]["by_node"]] == [SH]
    sh = load(reports.node_dir / "report.json")
    assert sums["liability"]["rows"] == sh["liability"]["rows"]
    verify_report(reports.early_dir / "report.json", directory=reports.directory)


def test_the_federation_page_and_table_show_the_federation_wide_figures(
        reports: Reports) -> None:
    page = (reports.federation_dir / "report.html").read_text(encoding="utf-8")
    for heading in ("Node reports embedded", "Issuance and redemption over time — federation",
                    "Outstanding hours by holder age against volunteer supply — federation",
                    "Discrepancies by age — federation", "Discrepancies by node",
                    "Transfers in doubt", "Service quality"):
        assert heading in page
    assert page.count("<svg") == 6  # nets, positions, activity, liability, ages, by node
    table = (reports.federation_dir / "report.csv").read_text(encoding="utf-8")
    document = load(reports.federation_dir / "report.json")
    outstanding = document["aggregates"]["liability"]["totals"]["outstanding_minutes"]
    assert f"federation_liability,total,9,{outstanding}," in table
    assert "federation_discrepancies_by_node,sh-pudong,1,0" in table


def test_a_report_with_the_link_map_shows_what_its_hub_replaces(reports: Reports,
                                                               tmp_path: Path) -> None:
    path, document = federation_report(reports.fed, tmp_path,
                                       link_map=hub_map(reports.directory))
    assert document["link_map"] == hub_map(reports.directory)
    # SH, the hub: GZ owes it 35; on the disputed link it states it owes NJ 10 + 30.
    assert document["settlement"]["hubs"] == [
        {"node": SH, "links": 2, "owed_minutes": 35, "owing_minutes": 40, "gross_minutes": 75,
         "net_minutes": -5, "replaced_minutes": 35}]
    # Creditors' rows: SH 35 from GZ, GZ 20 from NJ, NJ 310 from SH as NJ states it; only NJ's
    # net (290) is positive.
    assert document["settlement"]["totals"] == {
        "gross_minutes": 35 + 20 + 310, "multilateral_minutes": 290, "replaced_minutes": 75}
    assert "link map serial 1 with 1 hub(s)" in verify_report(
        path, directory=reports.directory).summary
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "经枢纽结算 Settlement through hubs" in page
    assert "<td data-label=\"抵消 replaced\">35 分</td>" in page
    table = (tmp_path / "report.csv").read_text(encoding="utf-8")
    assert "hubs,sh-pudong,2,35,40,75,-5,35," in table
    assert "settlement,replaced,75," in table


def test_without_a_link_map_the_report_says_the_federation_is_a_full_mesh(
        reports: Reports) -> None:
    document = load(reports.federation_dir / "report.json")
    assert document["link_map"] is None and document["settlement"]["hubs"] == []
    page = (reports.federation_dir / "report.html").read_text(encoding="utf-8")
    assert FULL_MESH in page and "枢纽 hub</th>" not in page
    assert "a full mesh (no link map)" in verify_report(
        reports.federation_dir / "report.json", directory=reports.directory).summary
