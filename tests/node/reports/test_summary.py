"""The three questions in words, from real federation and node reports (the module's
three-node federation, tests/node/reports/conftest.py): hours outstanding, who owes whom and
whether anything needs attention."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from node.reports.summary import Debt, claims, debt_sentence, positions_of, summarise
from tests.node.reports.conftest import GZ, NJ, SH, Reports

NAMES = {SH: "上海浦东", NJ: "南京鼓楼", GZ: "广州南沙"}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_debt_sentence() -> None:
    debt = Debt(debtor=SH, debtor_name="上海浦东", creditor="bj-chaoyang",
                creditor_name="北京朝阳", minutes=480)
    assert debt_sentence(debt) == "上海浦东 欠 北京朝阳 8 小时"
    with pytest.raises(AssertionError):
        Debt(debtor=SH, debtor_name="", creditor=NJ, creditor_name="", minutes=0)


def test_federation_summary_states_agreed_debts_and_every_reason(reports: Reports) -> None:
    document = load(reports.federation_dir / "report.json")
    found = summarise(document, NAMES)
    assert found.outstanding_minutes == (
        document["aggregates"]["liability"]["totals"]["outstanding_minutes"])
    assert found.outstanding_minutes > 0
    # GZ's member paid SH's 35 min and NJ's paid GZ's 20 min, both links matched; the SH–NJ
    # link is disputed (SH says it paid 10 + 30, NJ says it received 10 + 300): no debt, a claim.
    assert [debt_sentence(d) for d in found.debts] == ["广州南沙 欠 上海浦东 35 分",
                                                        "南京鼓楼 欠 广州南沙 20 分"]
    assert claims(positions_of(document), NAMES) == (
        "南京鼓楼 称 上海浦东 欠它 5 小时 10 分；上海浦东 称它欠 南京鼓楼 40 分",)
    assert found.status == "attention"
    unmatched = [r for r in found.reasons if r.startswith("南京鼓楼 与 上海浦东 链路未匹配")]
    assert len(unmatched) == 1
    assert "南京鼓楼 处对账有争议" in unmatched[0]
    assert "双方对账单不一致：转账记录不一致" in unmatched[0]
    assert "上海浦东 有 1 条未结对账差异" in found.reasons
    assert all("sh-pudong" not in r and "disputed" not in r for r in found.reasons)


def test_a_node_without_a_checkpoint_is_a_reason_in_words(reports: Reports) -> None:
    found = summarise(load(reports.early_dir / "report.json"), NAMES)
    assert found.status == "attention"
    assert found.reasons[0].startswith("广州南沙 未能收集节点报告：节点尚无账本检查点（HTTP 404")
    assert found.reasons[1].startswith("南京鼓楼 未能收集节点报告：节点尚无账本检查点")


def test_names_fall_back_to_node_ids(reports: Reports) -> None:
    found = summarise(load(reports.federation_dir / "report.json"), {})
    assert debt_sentence(found.debts[0]) == f"{GZ} 欠 {SH} 35 分"


def test_node_summary_is_the_nodes_own_view(reports: Reports) -> None:
    document = load(reports.node_dir / "report.json")
    found = summarise(document, NAMES)
    assert found.outstanding_minutes == document["liability"]["totals"]["outstanding_minutes"]
    assert [debt_sentence(d) for d in found.debts] == ["上海浦东 欠 南京鼓楼 40 分",
                                                        "广州南沙 欠 上海浦东 35 分"]
    assert found.status == "attention"
    assert "与 南京鼓楼 的对账有争议（窗口 1）" in found.reasons


def test_an_all_clear_report_is_ok(reports: Reports) -> None:
    document = load(reports.federation_dir / "report.json")
    document["node_report_failures"] = []
    document["links"] = [{**link, "matched": True, "reasons": []} for link in document["links"]]
    document["unreconciled"]["rows"] = []
    sums = document["aggregates"]
    for row in sums["discrepancies"]["by_node"]:
        row["open"] = 0
    for row in sums["in_doubt"]["by_node"]:
        row["count"] = 0
    for row in sums["service"]["by_node"]:
        row["frozen_links"] = 0
    found = summarise(document, NAMES)
    assert (found.status, found.reasons) == ("ok", ())
