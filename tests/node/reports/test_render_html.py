"""The report's page and CSV in the reader's units, from the module's real three-node reports
(tests/node/reports/conftest.py): the summary first, hours and minutes, local time, names,
Chinese labels, a sign legend, and a layout that cannot widen a phone's screen."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from node.reports.document import sha256_file_hex
from node.reports.evidence import unsigned
from node.reports.render_csv import render_csv
from node.reports.render_html import render_html
from node.reports.words import SIGN_LEGEND
from node.version import NODE_VERSION
from protocol.version import STANDARD_REVISION
from tests.node.reports.conftest import GZ, NJ, SH, Reports

NAMES = {SH: "上海浦东", NJ: "南京鼓楼", GZ: "广州南沙"}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def body(document: dict[str, Any]) -> dict[str, Any]:
    """What the builder rendered: the signed document without its signatures and file hashes."""
    return {k: v for k, v in unsigned(document).items() if k != "files"}


def test_the_written_page_is_the_one_rendered_with_the_directorys_names(
        reports: Reports) -> None:
    document = load(reports.federation_dir / "report.json")
    names = {n.node_id: n.name for n in reports.directory.nodes}
    page = render_html(body(document), names=names)
    assert sha256_file_hex(page.encode("utf-8")) == document["files"]["html_sha256"]
    table = render_csv(body(document), names=names)
    assert sha256_file_hex(table.encode("utf-8")) == document["files"]["csv_sha256"]


def test_the_federation_page_answers_the_three_questions_before_any_table(
        reports: Reports) -> None:
    page = render_html(body(load(reports.federation_dir / "report.json")), names=NAMES)
    summary = page[:page.index("<table")]
    assert "未兑付时数" in summary and "小时" in summary
    assert "广州南沙 欠 上海浦东 35 分" in summary and "南京鼓楼 欠 广州南沙 20 分" in summary
    assert "南京鼓楼 称 上海浦东 欠它 5 小时 10 分" in summary
    assert "需关注" in summary and "南京鼓楼 与 上海浦东 链路未匹配" in summary
    assert SIGN_LEGEND in summary and "北京时间" in summary


def test_the_details_speak_the_readers_units(reports: Reports) -> None:
    page = render_html(body(load(reports.federation_dir / "report.json")), names=NAMES)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)
    assert "70–79 岁" in cells and "70_79" not in cells and "80 岁及以上" in cells
    assert "否 NO" in cells
    assert "上海浦东" in cells and SH not in cells
    assert "5 小时 10 分" in cells
    assert " UTC<" not in page and "（北京时间）" in page
    assert page.count("<table") == page.count('<div class="scroll"><table')
    node_page = render_html(body(load(reports.node_dir / "report.json")), names=NAMES)
    node_cells = re.findall(r"<td[^>]*>([^<]*)</td>", node_page)
    assert "有争议" in node_cells and "disputed" not in node_cells
    assert "记录不同" in node_cells and "entries_differ" not in node_cells


def test_the_page_cannot_widen_a_phone(reports: Reports) -> None:
    page = render_html(body(load(reports.node_dir / "report.json")), names=NAMES)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media (max-width:640px)" in page and "svg{max-width:100%" in page
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page):
        assert "<td>" not in row, "every cell carries its column's label for the phone's cards"


def test_a_report_without_node_figures_says_why_in_words(reports: Reports) -> None:
    page = render_html(body(load(reports.early_dir / "report.json")), names=NAMES)
    summary = page[:page.index("<table")]
    assert "广州南沙 未能收集节点报告：节点尚无账本检查点" in summary
    assert "只含已收集报告的 1 个节点（共 3 个）" in summary


def test_the_csv_opens_with_the_summary_and_reads_out_each_table(reports: Reports) -> None:
    text = render_csv(body(load(reports.federation_dir / "report.json")), names=NAMES)
    assert text.startswith("\ufeffsummary,")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert ["summary", "状态 status", "需关注"] in rows
    assert ["debts", GZ, SH, "35", "广州南沙 欠 上海浦东 35 分", "广州南沙", "上海浦东",
            "35 分"] in rows
    positions = [r for r in rows if r and r[0] == "positions"]
    assert positions[0][1:6] == ["node", "peer", "window_index", "state",
                                 "closing_position_minutes"]
    assert [NJ, SH, "1", "disputed", "310", "南京鼓楼", "上海浦东", "有争议",
            "5 小时 10 分"] in [r[1:] for r in positions]


def test_both_pages_name_the_release_that_wrote_them(reports: Reports) -> None:
    """Issue 19: a regulator asking which version counted the hours finds it on the page (the
    signed report.json carries the page's hash)."""
    for folder in (reports.node_dir, reports.federation_dir):
        page = render_html(body(load(folder / "report.json")), names=NAMES)
        assert f"软件 Software: hourbridge {NODE_VERSION}" in page
        assert f"修订 revision {STANDARD_REVISION}" in page


def test_a_report_made_before_hubs_renders_without_the_settlement_section(
        reports: Reports) -> None:
    document = body(load(reports.federation_dir / "report.json"))
    assert "经枢纽结算" in render_html(document, names=NAMES)
    older = {k: v for k, v in document.items() if k not in ("link_map", "settlement")}
    assert "经枢纽结算" not in render_html(older, names=NAMES)
    assert "\nsettlement," not in render_csv(older, names=NAMES)
