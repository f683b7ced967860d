"""`hourbridge import members|records` and `hourbridge verify-import-receipt` as an operator
and an auditor run them: a real node folder listed in a directory signed by a real authority,
and CSV files of a few hundred rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from node.cli.main import app
from node.errors import ConfigError
from node.imports.sheet import ImportRefused
from tests.node.cli.directory_support import CLEAN_ENV, hb
from tests.node.imports.support import (
    MEMBERS_HEADER,
    RECORDS_HEADER,
    member_rows,
    record_rows,
    write_csv,
)


def run(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env=CLEAN_ENV)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A node (nj-gulou) and the directory that lists it, made before anything is imported
    so that the node's key is listed valid when its receipts are signed."""
    root = tmp_path_factory.mktemp("imports")
    data, authority = root / "nj", root / "authority"
    hb("init", "--node-id", "nj-gulou", "--region", "320106", "--url",
       "http://127.0.0.1:8712", "--data", data)
    hb("directory", "init", "--federation-id", "cn-eldercare", "--authority", authority)
    hb("directory", "add-node", "--authority", authority, "--node-data", data)
    hb("directory", "sign", "--authority", authority)
    return data, authority / "directory.json"


def test_a_dry_run_prints_the_errors_by_row_and_column_and_writes_nothing(
        folders: tuple[Path, Path], tmp_path: Path) -> None:
    data, _ = folders
    rows = member_rows(200, start=5000)
    rows[10] = ("M5010", "gl5010", "孙秀兰", 1890, "gulou-01")
    path = write_csv(tmp_path / "members.csv", MEMBERS_HEADER, rows)
    dry = run("import", "members", path, "--data", data, "--dry-run")
    assert dry.exit_code == 1, dry.output
    assert "birth_year" in dry.stdout and "out_of_range" in dry.stdout and "12" in dry.stdout
    assert "200 rows read, 199 to import, 0 already there, 1 errors" in dry.stdout
    refused = run("import", "members", path, "--data", data)
    assert refused.exit_code == 1 and "not imported" in refused.output
    rows[10] = ("M5010", "gl5010", "孙秀兰", 1940, "gulou-01")
    clean = run("import", "members", write_csv(path, MEMBERS_HEADER, rows), "--data", data,
                "--dry-run")
    assert clean.exit_code == 0, clean.output
    assert "200 to import" in clean.stdout  # the refused import wrote nothing


def test_import_reimport_and_the_receipt_verified_offline(folders: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    data, directory = folders
    members = write_csv(tmp_path / "members.csv", MEMBERS_HEADER, member_rows(50))
    assert run("import", "members", members, "--data", data).exit_code == 0
    records = write_csv(tmp_path / "records.csv", RECORDS_HEADER,
                        record_rows(300, members_count=50))
    first = run("import", "records", records, "--data", data, "--receipt",
                tmp_path / "first.json")
    assert first.exit_code == 0, first.output
    assert "300 rows read, 300 imported, 0 already there" in first.stdout
    assert "will not verify" not in first.output
    again = run("import", "records", records, "--data", data, "--receipt",
                tmp_path / "again.json")
    assert "300 rows read, 0 imported, 300 already there" in again.stdout

    ok = run("verify-import-receipt", tmp_path / "first.json", "--directory", directory,
             "--spreadsheet", records)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith("verified: import receipt signed by nj-gulou: records of "
                                "records.csv")
    assert hb("verify-ledger", "--data", data).stdout.startswith("ledger OK")

    receipt = tmp_path / "first.json"
    receipt.write_bytes(receipt.read_bytes().replace(b'"imported":300', b'"imported":299'))
    tampered = run("verify-import-receipt", receipt, "--directory", directory)
    assert tampered.exit_code == 1 and "bad_signature" in tampered.output

    changed = record_rows(300, members_count=50)[:-1]
    write_csv(records, RECORDS_HEADER, changed)
    other = run("verify-import-receipt", tmp_path / "again.json", "--directory", directory,
                "--spreadsheet", records)
    assert other.exit_code == 1
    assert "records.csv is not the file the receipt was made from" in other.output


def test_a_changed_row_under_a_known_source_id_is_refused(folders: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    data, _ = folders
    rows = member_rows(3, start=8000)
    path = write_csv(tmp_path / "m.csv", MEMBERS_HEADER, rows)
    assert run("import", "members", path, "--data", data).exit_code == 0
    rows[1] = (*rows[1][:2], "另一个名字", *rows[1][3:])
    refused = run("import", "members", write_csv(path, MEMBERS_HEADER, rows), "--data", data)
    assert refused.exit_code == 1
    assert "conflict" in refused.stdout and "source_id" in refused.stdout


def test_an_unreadable_file_is_a_usage_error(folders: tuple[Path, Path],
                                             tmp_path: Path) -> None:
    data, _ = folders
    path = tmp_path / "members.xlsx"
    path.write_bytes(b"not a workbook")
    result = run("import", "members", path, "--data", data)
    # `hourbridge` itself prints the coded error and exits 2 (node/cli/main.py's main).
    assert isinstance(result.exception, ImportRefused)
    assert "not a readable .xlsx workbook" in result.exception.detail
    nowhere = run("import", "members", path, "--data", data, "--receipt",
                  tmp_path / "no-such-folder" / "r.json")
    assert isinstance(nowhere.exception, ConfigError)  # refused before anything is imported
    assert "cannot write the receipt" in nowhere.exception.detail
