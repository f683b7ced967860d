"""A workbook as scripts/make_import_sample.py writes it (Chinese headings, date cells, a
notes column, categories by their Chinese names), read and imported; and what a workbook may
hold that a CSV cannot."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from openpyxl import Workbook

from node.imports.columns import Kind
from node.imports.run import check, run_import
from node.imports.sheet import read_sheet
from node.runtime import Node
from tests.factories import ADMIN
from tests.node.imports.support import OPERATOR

ROOT = Path(__file__).resolve().parents[3]


def test_the_sample_workbooks_import(sqlite_node: Node, tmp_path: Path) -> None:
    made = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_import_sample.py"),
                           str(tmp_path), "--members", "30", "--records", "200"],
                          capture_output=True, text=True, timeout=60, check=True)
    members, records = (Path(p) for p in made.stdout.split())
    sheet = read_sheet(records)
    assert sheet.header[:3] == ("source_id", "会员编号", "分钟")
    assert isinstance(sheet.rows[0][1][3], dt.date)  # a date cell, not text

    assert run_import(sqlite_node, Kind.MEMBERS, members, programme=None,
                      principal=OPERATOR).written == 30
    member = sqlite_node.members.get(ADMIN, "gl000001")
    assert member.station and member.station.startswith("gulou-")
    assert member.birth_year and 1930 <= member.birth_year <= 2005
    done = run_import(sqlite_node, Kind.RECORDS, records, programme=None, principal=OPERATOR)
    assert done.receipt["rows"]["imported"] == 200
    assert done.receipt["total_minutes"] == sum(int(str(cells[2])) for _, cells in sheet.rows)


def test_a_workbook_cell_of_the_wrong_type_is_named(sqlite_node: Node, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["来源编号", "会员编号", "姓名", "出生年份", "服务站"])
    sheet.append(["A1", 1001, "周桂芝", 1936.0, "gulou-01"])  # numbers typed as numbers
    sheet.append(["A2", "x1", "吴国强", 1941.5, "gulou-01"])
    sheet.append([None, None, None, None, None])  # a blank line keeps the numbering
    sheet.append(["A3", "x2", "郑淑兰", dt.datetime(1938, 1, 1), "gulou-02", "extra"])
    path = tmp_path / "members.xlsx"
    book.save(path)

    checked = check(sqlite_node, Kind.MEMBERS, path, programme=None, principal=OPERATOR)
    assert [(e.row, e.column, e.problem) for e in checked.errors] == [
        (3, "出生年份", "malformed"), (5, "", "extra_cells"), (5, "出生年份", "malformed")]
    assert [row.values["local_id"] for row in checked.new] == ["1001"]
