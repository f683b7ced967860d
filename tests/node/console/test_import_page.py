"""The console's import page on a real node: an operator checks a file (errors by row and column
in words), imports it, gets the signed receipt (which verifies offline with the spreadsheet),
and imports it again (no change). Staff are refused in words; every upload needs the session's
CSRF secret; the page's limits are refused in words, never with a 500."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table, func, select

from node.console import pages_import
from node.db.schema import import_rows, members
from node.imports import receipt
from node.reports.evidence import load_directory
from tests.conftest import Api
from tests.node.console.support import csrf_of, fresh_client, log_in
from tests.node.imports.support import (
    MEMBERS_HEADER,
    RECORDS_HEADER,
    member_rows,
    record_rows,
    write_csv,
)
from tests.support import directory_document

ENGLISH_DETAIL = ("lowercase letters", "also on row", "a year from", "more than", "not a column",
                  "import the members first", "a whole number")


@pytest.fixture
def admin(api: Api) -> TestClient:
    client = fresh_client(api)
    assert log_in(client, api.token("admin", pages_import.Role.ADMIN)).status_code == 303
    return client


def send(client: TestClient, path: Path | None, *, kind: str = "members",
         mode: str = "dry_run", csrf: str | None = None, name: str | None = None,
         content: bytes | None = None) -> httpx.Response:
    """The import form as a browser posts it (multipart), with the page's CSRF secret."""
    if csrf is None:
        csrf = csrf_of(client.get("/console/imports").text)
    files = {}
    if path is not None or content is not None:
        data = content if content is not None else path.read_bytes()  # type: ignore[union-attr]
        files["file"] = (name or path.name, data, "text/csv")  # type: ignore[union-attr]
    return client.post("/console/imports", data={"csrf": csrf, "kind": kind, "mode": mode},
                       files=files or {"file": ("", b"", "text/csv")})


def count(api: Api, table: Table) -> int:
    with api.node.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_dry_run_names_each_error_by_row_and_column_in_words(admin: TestClient, api: Api,
                                                                tmp_path: Path) -> None:
    before = count(api, members)
    rows = member_rows(5)
    rows[1] = ("M0002", "GL 2", "李桂兰", 1931, "gulou-01")  # not a member number
    rows[2] = ("M0003", "gl0003", "", 1850, "gulou-01")  # no name, born too early
    rows[3] = ("M0001", "gl0004", "赵德福", 1950, "gulou-02")  # source id of row 2 again
    page = send(admin, write_csv(tmp_path / "名单.csv", MEMBERS_HEADER, rows))
    assert page.status_code == 200, page.text
    table = page.text.split('id="import-errors"')[1].split("</table>")[0]
    found = re.findall(r'<tr data-problem="([a-z_]+)"><td class="num">(\d+)</td><td>([^<]*)</td>'
                       r"<td>([^<]*)</td>", table)
    assert [(row, problem) for problem, row, _, _ in found] == [
        ("3", "malformed"), ("4", "out_of_range"), ("4", "missing"), ("5", "duplicate")]
    words = {(row, column, text) for _, row, column, text in found}
    assert ("3", "local_id（会员编号）",
            "编号只能用小写字母、数字和 . _ -（例如 a1027）。") in words
    assert ("5", "source_id（来源编号）", "与第 2 行重复。") in words
    assert ("4", "display_name（姓名）", "这一格是空的，必须填写。") in words
    assert 'data-rows="3"' in page.text.split('id="count-errors"')[1][:30]
    assert "什么都没有写入" in page.text
    assert not any(english in page.text for english in ENGLISH_DETAIL)
    assert count(api, members) == before and count(api, import_rows) == 0

    admin.cookies.set("hb_console_lang", "en", path="/console")
    english = send(admin, tmp_path / "名单.csv")
    assert "A year of birth from 1900 to this year." in english.text
    assert "Rows in error" in english.text and "Check of 名单.csv" in english.text


def test_import_gives_a_signed_receipt_and_a_reimport_changes_nothing(
        admin: TestClient, api: Api, tmp_path: Path) -> None:
    people = write_csv(tmp_path / "members.csv", MEMBERS_HEADER, member_rows(3))
    done = send(admin, people, mode="import")
    assert done.status_code == 303, done.text
    records = write_csv(tmp_path / "records.csv", RECORDS_HEADER,
                        record_rows(12, members_count=3))
    checked = send(admin, records, kind="records")
    total = sum(int(str(row[2])) for row in record_rows(12, members_count=3))
    assert f'data-minutes="{total}"' in checked.text
    assert f"共 {total // 60} 小时" in checked.text and "没有错误，可以导入" in checked.text
    done = send(admin, records, kind="records", mode="import")
    assert done.status_code == 303 and "done=imported" in done.headers["location"]
    page = admin.get(done.headers["location"])
    assert "导入完成，回执已由本节点签名" in page.text and 'data-imported="12"' in page.text
    assert f'data-minutes="{total}"' in page.text
    assert "hourbridge verify-import-receipt import-receipt-" in page.text
    download = admin.get(re.search(r'href="(/console/imports/receipts/[^"]+/download)"',
                                   page.text).group(1))  # type: ignore[union-attr]
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    saved = tmp_path / "receipt.json"
    saved.write_bytes(download.content)
    verified = receipt.verify_receipt(saved, directory=load_directory(directory_document(
        [api.node.config.node_id])), spreadsheet=records)
    assert verified.receipt["rows"] == {"read": 12, "imported": 12, "already_there": 0}

    again = send(admin, records, kind="records")  # the dry run of a re-import
    assert "所有行都已导入过，没有变化" in again.text
    assert again.text.count("没有变化</span>") == 12
    done = send(admin, records, kind="records", mode="import")
    page = admin.get(done.headers["location"])
    assert "没有新内容：12 行此前都已导入，没有变化" in page.text
    assert count(api, import_rows) == 15
    listing = admin.get("/console/imports")
    assert listing.text.count("/console/imports/receipts/") == 3
    assert "新导入 0 行，没有变化 12 行" in listing.text


def test_refusals_of_the_whole_file_are_words_never_a_500(admin: TestClient, staff: TestClient,
                                                          api: Api, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    refused_to_staff(staff, admin, api, tmp_path)
    before = count(api, members)
    sheet = write_csv(tmp_path / "members.csv", MEMBERS_HEADER, member_rows(4))
    cases = (
        (send(admin, sheet, name="members.pdf"), 422, "只能导入 .csv 或 .xlsx 文件"),
        (send(admin, None), 422, "请选择要上传的文件"),
        (send(admin, sheet, kind="goods"), 422, "请选择文件内容"),
        (send(admin, None, content=b"PK\x03\x04 not a zip", name="a.xlsx"), 422,
         "这个 .xlsx 文件打不开"),
        (send(admin, None, content=b"\n\n", name="empty.csv"), 422, "文件是空的"),
        (send(admin, None, content=b"nickname,phone\nx,1\n", name="odd.csv"), 200,
         "不认识这一列"),
    )
    for response, status, words in cases:
        assert response.status_code == status, (words, response.text)
        assert words in response.text and "Traceback" not in response.text
    monkeypatch.setattr(pages_import, "UPLOAD_BYTES_MAX", 100)
    too_big = send(admin, sheet, mode="import")
    assert too_big.status_code == 413 and "文件太大" in too_big.text
    assert "本页一次最多 0.1 KB" in too_big.text and "body_too_large" in too_big.text
    monkeypatch.setattr(pages_import, "UPLOAD_BYTES_MAX", 1024 * 1024)
    monkeypatch.setattr(pages_import, "UPLOAD_ROWS_MAX", 3)
    too_long = send(admin, sheet, mode="import")
    assert too_long.status_code == 413 and "文件超过 3 行，本页一次最多 3 行" in too_long.text
    assert "import_too_many_rows" in too_long.text
    assert count(api, members) == before
    # Past the body guard's ceiling for this path the body is not read at all: its coded 413.
    body = b"x" * (pages_import.UPLOAD_BODY_BYTES_MAX + 1)
    refused = admin.post("/console/imports", content=body,
                         headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert refused.status_code == 413 and "body_too_large" in refused.text


def refused_to_staff(staff: TestClient, admin: TestClient, api: Api, tmp_path: Path) -> None:
    """Staff are told only operators import; every upload needs the session's CSRF secret."""
    page = staff.get("/console/imports")
    assert page.status_code == 403 and "只有管理员可以批量导入" in page.text
    assert 'href="/console/imports"' not in staff.get("/console/members").text
    assert 'href="/console/imports"' in admin.get("/console/members").text
    sheet = write_csv(tmp_path / "members.csv", MEMBERS_HEADER, member_rows(2))
    done = send(staff, sheet, mode="import", csrf=csrf_of(staff.get("/console/members").text))
    assert done.status_code == 403 and "只有管理员可以批量导入" in done.text
    for csrf in ("", "forged-secret"):
        done = send(admin, sheet, mode="import", csrf=csrf)
        assert done.status_code == 403 and "表单已过期" in done.text, done.text
    no_field = admin.post("/console/imports", data={"kind": "members", "mode": "import"},
                          files={"file": ("members.csv", sheet.read_bytes(), "text/csv")})
    assert no_field.status_code == 403 and "csrf_refused" in no_field.text
    assert count(api, import_rows) == 0
