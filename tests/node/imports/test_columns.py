"""Rows checked on their own, without a node: how a spreadsheet may type a value, and the
same record typed differently hashing the same."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from node.imports.columns import Context, Kind, category_names, parse_rows
from node.imports.sheet import ImportRefused, read_sheet
from node.timebank.policy import DEFAULT_POLICY

CTX = Context(today=dt.date(2026, 5, 28), categories=category_names(DEFAULT_POLICY.categories))
HEADER = "来源编号,会员编号,分钟,日期,服务类别,来源文件\n"


def _rows(path: Path, text: str, encoding: str = "utf-8") -> tuple[list[dict[str, object]],
                                                                     list[tuple[int, str, str]]]:
    path.write_bytes(text.encode(encoding))
    rows, errors = parse_rows(Kind.RECORDS, read_sheet(path), CTX)
    return [row.values for row in rows], [(e.row, e.column, e.problem) for e in errors]


def test_dates_numbers_and_categories_as_people_type_them(tmp_path: Path) -> None:
    values, errors = _rows(tmp_path / "r.csv", HEADER
                           + "A1,gl1,60,2019/3/2,生活照料,登记簿\n"
                           + "A2,gl1, 90 ,2019年3月2日,Daily living 生活照料,登记簿\n"
                           + "A3,gl1,45,2019-03-02,HEALTH,登记簿\n"
                           + ",,,,,\n"
                           + "A4,gl1,0,2019-02-30,午餐,登记簿\n"
                           + "A5,gl1,1441,2030-01-01,health,\n", encoding="gb18030")
    assert [(v["minutes"], v["date"], v["category"]) for v in values] == [
        (60, "2019-03-02", "daily_living"), (90, "2019-03-02", "daily_living"),
        (45, "2019-03-02", "health")]
    assert errors == [
        (6, "分钟", "out_of_range"), (6, "日期", "malformed"), (6, "服务类别", "unknown"),
        (7, "分钟", "out_of_range"), (7, "日期", "out_of_range"), (7, "来源文件", "missing")]


def test_the_same_record_typed_differently_hashes_the_same(tmp_path: Path) -> None:
    one = tmp_path / "one.csv"
    one.write_text(HEADER + "A1,gl1,60,2019/3/2,生活照料,登记簿\n", encoding="utf-8-sig")
    two = tmp_path / "two.csv"
    two.write_text(HEADER + "A1,gl1,060,2019-03-02,daily_living,登记簿\n")
    three = tmp_path / "three.csv"
    three.write_text(HEADER + "A1,gl1,61,2019-03-02,daily_living,登记簿\n")
    hashes = [parse_rows(Kind.RECORDS, read_sheet(p), CTX)[0][0].content_hash
              for p in (one, two, three)]
    assert hashes[0] == hashes[1] != hashes[2]


def test_files_the_import_does_not_read(tmp_path: Path) -> None:
    with pytest.raises(ImportRefused, match=r"reads \.csv or \.xlsx"):
        read_sheet(tmp_path / "records.xls")
    with pytest.raises(ImportRefused, match="no such file"):
        read_sheet(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ImportRefused, match="is empty"):
        read_sheet(empty)
