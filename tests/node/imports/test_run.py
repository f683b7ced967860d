"""Importing members and historical records into a real SQLite node: the dry run's errors by
row and column, the import, a re-import that changes nothing, and a conflicting re-import."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Table, func, select

from node.db.schema import grants, import_rows, journal_entries, members
from node.imports import store
from node.imports.columns import Kind
from node.imports.run import check, run_import
from node.imports.sheet import ImportRefused
from node.runtime import Node
from tests.factories import ADMIN, add_members, by_class
from tests.node.imports.support import (
    MEMBERS_HEADER,
    OPERATOR,
    RECORDS_HEADER,
    member_rows,
    record_rows,
    write_csv,
)


def _count(node: Node, table: Table) -> int:
    with node.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _errors(node: Node, kind: Kind, path: Path) -> list[tuple[int, str, str]]:
    checked = check(node, kind, path, programme=None, principal=OPERATOR)
    return [(e.row, e.column, e.problem) for e in checked.errors]


def test_a_dry_run_names_every_bad_row_by_row_and_column(sqlite_node: Node,
                                                         tmp_path: Path) -> None:
    add_members(sqlite_node, "gl0009")
    rows = member_rows(8)
    rows[1] = ("M0002", "GL 2", "李桂兰", 1931, "gulou-01")  # not a member number
    rows[2] = ("M0003", "gl0003", "", 1850, "gulou-01")  # no name, born too early
    rows[4] = ("M0001", "gl0005", "赵德福", "nineteen", "gulou-02")  # source id again
    rows.append(("M0009", "gl0009", "陈玉珍", 1940, "gulou-01"))  # registered already
    path = write_csv(tmp_path / "members.csv", MEMBERS_HEADER, rows)
    before = _count(sqlite_node, members)

    assert _errors(sqlite_node, Kind.MEMBERS, path) == [
        (3, "local_id", "malformed"),
        (4, "birth_year", "out_of_range"),
        (4, "display_name", "missing"),
        (6, "birth_year", "malformed"),
        (10, "local_id", "exists"),
    ]
    # The repeated source id is found once its row's cells are right.
    rows[4] = ("M0001", "gl0005", "赵德福", 1950, "gulou-02")
    write_csv(path, MEMBERS_HEADER, rows)
    assert (6, "source_id", "duplicate") in _errors(sqlite_node, Kind.MEMBERS, path)
    with pytest.raises(ImportRefused) as refused:
        run_import(sqlite_node, Kind.MEMBERS, path, programme=None, principal=OPERATOR)
    assert len(refused.value.errors) == 5
    assert _count(sqlite_node, members) == before  # all or nothing: no row was written


def test_the_header_is_checked_first(sqlite_node: Node, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", ("source_id", "会员编号", "分钟", "日期", "电话",
                                          "#备注", "document"), [("R1", "gl0001", 60)])
    assert _errors(sqlite_node, Kind.RECORDS, path) == [
        (1, "category", "missing_column"), (1, "电话", "unknown_column")]


def test_records_become_earned_grants_naming_their_row(sqlite_node: Node,
                                                            tmp_path: Path) -> None:
    run_import(sqlite_node, Kind.MEMBERS, write_csv(tmp_path / "m.csv", MEMBERS_HEADER,
                                                     member_rows(5)),
               programme=None, principal=OPERATOR)
    rows = record_rows(40, members_count=5)
    path = write_csv(tmp_path / "records.csv", RECORDS_HEADER, rows)
    done = run_import(sqlite_node, Kind.RECORDS, path, programme="gulou-2015",
                      principal=OPERATOR)

    total = sum(int(str(row[2])) for row in rows)
    assert done.written == 40
    assert done.receipt["rows"] == {"read": 40, "imported": 40, "already_there": 0}
    assert done.receipt["total_minutes"] == done.receipt["imported_minutes"] == total
    assert (done.receipt["first_source_id"], done.receipt["last_source_id"]) == ("R00001",
                                                                                  "R00040")
    earned = sum(by_class(sqlite_node, f"gl{n:04d}").get("earned", 0) for n in range(1, 6))
    assert earned == total
    grant = sqlite_node.grants.get(ADMIN, store.grant_id("gulou-2015", "R00001"))
    assert grant["credit_class"] == "earned" and grant["approved_by"] == "admin:cli"
    # The file's name and the document column are free text: the receipt keeps them (and
    # import_rows the file's name), the journal does not.
    assert grant["reason"] == "import row 2 (source R00001): 2016-02-02 daily_living"
    # The journal memo is the reason: no member's name is in it.
    with sqlite_node.db.read() as conn:
        memos = [m for (m,) in conn.execute(select(journal_entries.c.memo))]
    assert not any("王" in memo for memo in memos)
    assert sqlite_node.ledger_admin.verify().ok


def test_a_reimport_changes_nothing_and_a_changed_row_is_refused(sqlite_node: Node,
                                                                 tmp_path: Path) -> None:
    member_file = write_csv(tmp_path / "m.csv", MEMBERS_HEADER, member_rows(4))
    run_import(sqlite_node, Kind.MEMBERS, member_file, programme=None, principal=OPERATOR)
    rows = record_rows(12, members_count=4)
    path = write_csv(tmp_path / "records.csv", RECORDS_HEADER, rows)
    run_import(sqlite_node, Kind.RECORDS, path, programme=None, principal=OPERATOR)
    height = _count(sqlite_node, journal_entries)

    # The same rows again, in another file name and order, typed a little differently.
    again = [(*row[:2], f" {row[2]} ", str(row[3]).replace("/", "-"), *row[4:])
             for row in reversed(rows)]
    renamed = write_csv(tmp_path / "records-copy.csv", RECORDS_HEADER, again)
    done = run_import(sqlite_node, Kind.RECORDS, renamed, programme=None, principal=OPERATOR)
    assert done.written == 0
    assert done.receipt["rows"] == {"read": 12, "imported": 0, "already_there": 12}
    redone = run_import(sqlite_node, Kind.MEMBERS, member_file, programme=None,
                        principal=OPERATOR)
    assert redone.receipt["rows"]["already_there"] == 4
    assert _count(sqlite_node, journal_entries) == height

    rows[6] = (rows[6][0], rows[6][1], 240, *rows[6][3:])  # R00007: other minutes
    write_csv(path, RECORDS_HEADER, rows)
    assert _errors(sqlite_node, Kind.RECORDS, path) == [(8, "source_id", "conflict")]
    with pytest.raises(ImportRefused):
        run_import(sqlite_node, Kind.RECORDS, path, programme=None, principal=OPERATOR)
    assert _count(sqlite_node, journal_entries) == height
    # Another programme's source ids are its own.
    other = run_import(sqlite_node, Kind.RECORDS, path, programme="pukou", principal=OPERATOR)
    assert other.written == 12


def test_records_need_active_members_of_this_node(sqlite_node: Node, tmp_path: Path) -> None:
    add_members(sqlite_node, "gl0001", "gl0002")
    sqlite_node.members.deactivate(ADMIN, "gl0002", reason="test")
    rows = record_rows(3, members_count=3)  # gl0002, gl0003, gl0001
    path = write_csv(tmp_path / "records.csv", RECORDS_HEADER, rows)
    assert _errors(sqlite_node, Kind.RECORDS, path) == [
        (2, "local_id", "inactive"), (3, "local_id", "unknown")]


def test_a_refusal_part_way_keeps_whole_chunks_and_a_rerun_resumes(
        sqlite_node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "CHUNK_ROWS", 10)
    path = write_csv(tmp_path / "m.csv", MEMBERS_HEADER, member_rows(35))

    def meanwhile(checked: object) -> None:  # staff register row 25's member during the run
        add_members(sqlite_node, "gl0024")

    with pytest.raises(ImportRefused) as refused:
        run_import(sqlite_node, Kind.MEMBERS, path, programme=None, principal=OPERATOR,
                   started=meanwhile)
    assert [(e.row, e.problem) for e in refused.value.errors] == [(25, "exists")]
    assert _count(sqlite_node, import_rows) == 20  # chunks 1 and 2 committed, 3 rolled back
    assert _errors(sqlite_node, Kind.MEMBERS, path) == [(25, "local_id", "exists")]
    rows = member_rows(35)
    del rows[23]
    done = run_import(sqlite_node, Kind.MEMBERS, write_csv(path, MEMBERS_HEADER, rows),
                      programme=None, principal=OPERATOR)
    assert done.receipt["rows"] == {"read": 34, "imported": 14, "already_there": 20}
    assert _count(sqlite_node, grants) == 0


def test_records_never_take_a_member_over_the_balance_cap(sqlite_node: Node,
                                                          tmp_path: Path) -> None:
    add_members(sqlite_node, "gl0001")
    rows = [("R1", "gl0001", 60, "2020-01-02", "daily_living", "登记簿"),
            ("R2", "gl0001", 60, "2020-01-03", "daily_living", "登记簿"),
            ("R3", "gl0001", 30, "2020-01-04", "daily_living", "登记簿")]
    sheet = write_csv(tmp_path / "records.csv", RECORDS_HEADER, rows)
    checked = check(sqlite_node, Kind.RECORDS, sheet, programme=None, principal=OPERATOR)
    target = store.Target(Kind.RECORDS, checked.target.programme, OPERATOR, sheet.name,
                          balance_cap_minutes=100)
    with sqlite_node.db.read() as conn:
        classified = store.classify(conn, target, checked.new)
    # 60 fits, the second 60 would make 120 > 100, the 30 after it still fits (90).
    assert [(e.row, e.column, e.problem) for e in classified.errors] == [(3, "minutes",
                                                                          "over_cap")]
    assert "over this policy's cap of 100" in classified.errors[0].message


def test_members_name_only_registered_stations_once_the_node_keeps_a_registry(
        sqlite_node: Node, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "members.csv", MEMBERS_HEADER, member_rows(3))
    assert _errors(sqlite_node, Kind.MEMBERS, path) == []  # no registry: free labels
    sqlite_node.stations.create(ADMIN, station_id="gulou-01", name="鼓楼一站",
                                address="中山路1号", district_code="320106")
    # member_rows gives gulou-02, gulou-03, gulou-01 to rows 2, 3, 4
    assert _errors(sqlite_node, Kind.MEMBERS, path) == [(2, "station", "unknown"),
                                                         (3, "station", "unknown")]
