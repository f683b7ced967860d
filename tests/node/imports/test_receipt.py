"""The signed import receipt, verified offline from the directory and the spreadsheet alone;
an edited receipt and a changed spreadsheet are named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from node.imports import receipt
from node.imports.columns import Kind, totals
from node.imports.run import run_import
from node.imports.sheet import read_sheet
from node.reports.evidence import load_directory
from node.runtime import Node
from protocol.canonical import canonical_bytes
from protocol.directory import Directory
from tests.node.imports.support import (
    MEMBERS_HEADER,
    OPERATOR,
    RECORDS_HEADER,
    member_rows,
    record_rows,
    write_csv,
)
from tests.support import directory_document


@pytest.fixture
def imported(sqlite_node: Node, tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    """A records file imported, and its receipt written."""
    run_import(sqlite_node, Kind.MEMBERS, write_csv(tmp_path / "m.csv", MEMBERS_HEADER,
                                                     member_rows(3)),
               programme=None, principal=OPERATOR)
    sheet = write_csv(tmp_path / "records.csv", RECORDS_HEADER, record_rows(30,
                                                                            members_count=3))
    done = run_import(sqlite_node, Kind.RECORDS, sheet, programme=None, principal=OPERATOR)
    path = tmp_path / "receipt.json"
    receipt.write(path, done.receipt)
    return path, sheet, done.receipt


def _directory(node_ids: list[str]) -> Directory:
    return load_directory(directory_document(node_ids))


def _problems(path: Path, directory: Directory, sheet: Path | None) -> list[str]:
    with pytest.raises(receipt.ReceiptInvalid) as invalid:
        receipt.verify_receipt(path, directory=directory, spreadsheet=sheet)
    return invalid.value.problems


def test_the_receipt_verifies_with_the_spreadsheet(
        imported: tuple[Path, Path, dict[str, Any]]) -> None:
    path, sheet, document = imported
    verified = receipt.verify_receipt(path, directory=_directory(["sh-pudong"]),
                                      spreadsheet=sheet)
    assert verified.receipt == document
    assert "30 rows read, 30 imported, 0 already there" in verified.summary
    assert "records.csv matches" in verified.summary
    assert document["file_name"] == "records.csv" and document["node_id"] == "sh-pudong"
    assert document["file_sha256"] == read_sheet(sheet).sha256


def test_an_edited_receipt_fails(imported: tuple[Path, Path, dict[str, Any]]) -> None:
    path, _, document = imported
    directory = _directory(["sh-pudong"])
    # More minutes, re-encoded canonically: the signature no longer holds.
    path.write_bytes(canonical_bytes({**document, "total_minutes": document["total_minutes"]
                                      + 60}))
    assert any("bad_signature" in p for p in _problems(path, directory, None))
    # Any edit that is not canonical is caught before the signature.
    path.write_text(json.dumps(document, indent=1))
    assert _problems(path, directory, None) == [
        "not its canonical encoding: the file was edited"]
    # A receipt signed by a node the directory does not list.
    path.write_bytes(canonical_bytes(document))
    assert any("not in the directory" in p for p in _problems(path, _directory(["nj-gulou"]),
                                                              None))


def test_a_changed_spreadsheet_fails(imported: tuple[Path, Path, dict[str, Any]]) -> None:
    path, sheet, _ = imported
    directory = _directory(["sh-pudong"])
    rows = record_rows(30, members_count=3)
    rows[4] = (*rows[4][:2], 600, *rows[4][3:])
    write_csv(sheet, RECORDS_HEADER, rows)
    (problem,) = _problems(path, directory, sheet)
    assert problem.startswith("records.csv is not the file the receipt was made from")
    # The figures are recomputed too, not only the hash: a receipt stating other totals for
    # this very file (a node that counted wrongly, then signed) is named.
    write_csv(sheet, RECORDS_HEADER, record_rows(30, members_count=3))
    unchanged = read_sheet(sheet)
    rows, minutes, first, _ = totals(Kind.RECORDS, unchanged)
    stated = {"file_sha256": unchanged.sha256, "import_kind": "records",
              "rows": {"read": rows - 1}, "total_minutes": minutes,
              "first_source_id": first, "last_source_id": "R99999"}
    assert receipt.check_against(unchanged, stated) == [
        f"records.csv has 30 rows and {minutes} minutes; the receipt says 29 rows and "
        f"{minutes} minutes",
        "records.csv runs from source id R00001 to R00030; the receipt says R00001 to R99999"]
