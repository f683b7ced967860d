"""The balance cap held again as each chunk is written (node/imports/store.py): hours granted
after the dry run, or between two chunks, turn a row that fitted into the receipt's row error
`over_cap`; the other rows are written and the receipt still verifies."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.imports import receipt, store
from node.imports.columns import Kind
from node.imports.run import check, run_import
from node.reports.evidence import load_directory
from node.runtime import Node
from tests.factories import add_members, balance, grant
from tests.node.imports.support import OPERATOR, RECORDS_HEADER, write_csv
from tests.support import directory_document

ROWS = [("R1", "gl0001", 30, "2020-01-02", "daily_living", "登记簿"),
        ("R2", "gl0001", 30, "2020-01-03", "daily_living", "登记簿"),
        ("R3", "gl0002", 30, "2020-01-04", "daily_living", "登记簿")]


def _capped(node: Node, monkeypatch: pytest.MonkeyPatch, cap_minutes: int) -> None:
    policy = node.timebank.policy
    caps = policy.caps.model_copy(update={"balance_minutes": cap_minutes})
    monkeypatch.setattr(node.timebank, "policy", policy.model_copy(update={"caps": caps}))


def test_a_row_that_fitted_at_the_dry_run_is_refused_when_written(
        sqlite_node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_members(sqlite_node, "gl0001", "gl0002")
    _capped(sqlite_node, monkeypatch, 100)
    sheet = write_csv(tmp_path / "records.csv", RECORDS_HEADER, ROWS)
    assert check(sqlite_node, Kind.RECORDS, sheet, programme=None,
                 principal=OPERATOR).errors == []  # 30 + 30 fit under 100
    monkeypatch.setattr(store, "CHUNK_ROWS", 1)
    # Between the dry run and the first chunk gl0001 is granted 30; after it, 20 more.
    done = run_import(sqlite_node, Kind.RECORDS, sheet, programme=None, principal=OPERATOR,
                      started=lambda checked: grant(sqlite_node, "gl0001", 30),
                      progress=lambda rows: grant(sqlite_node, "gl0001", 20)
                      if balance(sqlite_node, "gl0001") == 60 else None)
    assert done.written == 2  # R1 (30 + 30 = 60) and R3; R2 would make 110
    assert done.receipt["rows"] == {"read": 3, "imported": 2, "already_there": 0, "refused": 1}
    assert done.receipt["row_errors"] == [{"row": 3, "column": "minutes", "problem": "over_cap"}]
    assert done.receipt["imported_minutes"] == 60
    assert balance(sqlite_node, "gl0001") == 80 and balance(sqlite_node, "gl0002") == 30
    path = tmp_path / "receipt.json"
    receipt.write(path, done.receipt)
    directory = load_directory(directory_document([sqlite_node.config.node_id]))
    verified = receipt.verify_receipt(path, directory=directory, spreadsheet=sheet)
    assert verified.receipt == done.receipt
    # The refused row was not recorded as imported: the dry run names it again.
    again = check(sqlite_node, Kind.RECORDS, sheet, programme=None, principal=OPERATOR)
    assert [(e.row, e.problem) for e in again.errors] == [(3, "over_cap")]
    assert len(again.known) == 2


def test_a_receipt_whose_refused_rows_do_not_add_up_is_named(
        sqlite_node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_members(sqlite_node, "gl0001", "gl0002")
    _capped(sqlite_node, monkeypatch, 60)
    sheet = write_csv(tmp_path / "records.csv", RECORDS_HEADER, ROWS)
    done = run_import(sqlite_node, Kind.RECORDS, sheet, programme=None, principal=OPERATOR,
                      started=lambda checked: grant(sqlite_node, "gl0002", 40))
    assert done.receipt["row_errors"] == [{"row": 4, "column": "minutes", "problem": "over_cap"}]
    forged = {**done.receipt, "row_errors": []}
    problems = receipt._shape(forged)
    assert problems == ["rows.refused is not the number of row_errors"]
