"""The import page's order of checks (pages_import.py): the role before the body is read, and
the sheet read no further than the page's row limit, refused with its code in words."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from node.console import pages_import
from node.db.schema import import_rows, members
from node.imports import sheet
from tests.conftest import Api
from tests.node.console.test_import_page import admin, count, send  # noqa: F401  (fixture)
from tests.node.imports.support import MEMBERS_HEADER, member_rows, write_csv

# A multipart body without a field name: parsed, it is refused in words (not a 403).
MALFORMED = b"--x\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--x--\r\n"


def _post_malformed(client: TestClient) -> int:
    return client.post("/console/imports", content=MALFORMED,
                       headers={"Content-Type": "multipart/form-data; boundary=x"}).status_code


def test_the_role_is_checked_before_the_body_is_parsed(
        staff: TestClient, admin: TestClient,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[bool] = []
    real = pages_import._form

    async def spy(request):  # type: ignore[no-untyped-def]
        parsed.append(True)
        return await real(request)

    monkeypatch.setattr(pages_import, "_form", spy)
    assert _post_malformed(staff) == 403 and parsed == []  # refused unread
    assert _post_malformed(admin) != 403 and parsed == [True]  # an admin's body is read


def test_a_sheet_stops_at_the_page_row_limit(admin: TestClient, api: Api,  # noqa: F811
                                             tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_csv(tmp_path / "members.csv", MEMBERS_HEADER, member_rows(5))
    monkeypatch.setattr(pages_import, "UPLOAD_ROWS_MAX", 2)
    before = count(api, members)
    seen: list[int] = []
    real = sheet._clean

    def counting(cell):  # type: ignore[no-untyped-def]
        seen.append(1)
        return real(cell)

    monkeypatch.setattr(sheet, "_clean", counting)
    for mode in ("dry_run", "import"):
        seen.clear()
        refused = send(admin, path, mode=mode)
        assert refused.status_code == 413, refused.text
        assert "文件超过 2 行" in refused.text and "import_too_many_rows" in refused.text
        # the header and three rows read (the third is the one past the limit), never five
        assert len(seen) == 4 * len(MEMBERS_HEADER)
    assert count(api, members) == before and count(api, import_rows) == 0
