"""The portal's pages through a real TestClient on its app: signing in (CSRF, wrong password),
the first screen in words and hours, "现在生成", the drill-downs, downloads and exports."""

from __future__ import annotations

import io
import re
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from node.cli.main import app as cli_app
from node.portal.app import create_app
from node.portal.history import FILES
from node.portal.web import Portal
from protocol.directory import key_text
from tests.federation import Federation
from tests.node.portal.conftest import NJ, PASSWORD, SH
from tests.support import AUTHORITY

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html[:500]
    return found.group(1)


def signed_in(portal: Portal) -> TestClient:
    portal.accounts.add("mzj.li", PASSWORD)
    http = TestClient(create_app(portal), follow_redirects=False)
    first = http.get("/portal")
    assert first.status_code == 303 and first.headers["location"] == "/portal/login?next=%2Fportal"
    form = http.get("/portal/login")
    wrong = http.post("/portal/login", data={"csrf": csrf_of(form.text), "username": "mzj.li",
                                             "password": "not-the-password", "next": "/portal"})
    assert wrong.status_code == 401 and "用户名或密码不对" in wrong.text
    done = http.post("/portal/login", data={"csrf": csrf_of(wrong.text), "username": "mzj.li",
                                            "password": PASSWORD, "next": "/portal"})
    assert done.status_code == 303 and done.headers["location"] == "/portal"
    return http


def test_sign_in_make_a_report_and_read_the_first_screen(
        fed_portal: tuple[Federation, Portal]) -> None:
    _, portal = fed_portal
    http = signed_in(portal)
    empty = http.get("/portal")
    assert empty.status_code == 200 and "还没有任何报告" in empty.text
    assert http.post("/portal/reports", data={"csrf": "forged"}).status_code == 403
    made = http.post("/portal/reports", data={"csrf": csrf_of(empty.text)})
    assert made.status_code == 303
    rid = portal.history.ids()[0]
    assert made.headers["location"] == f"/portal?made={rid}"
    page = http.get(made.headers["location"]).text
    assert "已生成一份新报告" in page
    assert f"{SH} 欠 {NJ} 8 小时" in page
    assert 'data-minutes="1200"' in page and "20 小时" in page
    assert 'data-status="ok"' in page and ">正常<" in page
    assert f'href="/portal/reports/{rid}/files/report.html"' in page
    assert "<svg" in page and "script" not in page.lower()
    assert http.get(f"/portal/reports/{rid}/nodes/{SH}").status_code == 200
    link = http.get(f"/portal/reports/{rid}/links/{NJ}/{SH}")
    assert link.status_code == 200 and f"{SH} 欠 {NJ} 8 小时" in link.text
    assert http.get(f"/portal/reports/{rid}/nodes/gz-nansha").status_code == 404


def test_downloads_verify_offline_exports_and_sign_out(
        fed_portal: tuple[Federation, Portal], tmp_path: Path) -> None:
    _, portal = fed_portal
    kept = portal.maker.make("test")
    http = signed_in(portal)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    for name in FILES:
        got = http.get(f"/portal/reports/{kept.id}/files/{name}")
        assert got.status_code == 200
        assert got.content == (kept.folder / name).read_bytes()
        saved = re.fullmatch(r'attachment; filename="(.+)"', got.headers["content-disposition"])
        assert saved and saved.group(1) == f"{kept.id}-{name}"
        (downloads / saved.group(1)).write_bytes(got.content)
    checked = CliRunner().invoke(cli_app, [
        "verify-report", str(downloads / f"{kept.id}-report.json"), "--directory",
        str(downloads / f"{kept.id}-directory.json"), "--anchor",
        key_text(AUTHORITY.verify_key())])
    assert checked.exit_code == 0, checked.output
    assert "report.csv and" in checked.output and "match" in checked.output
    assert http.get(f"/portal/reports/{kept.id}/files/portal.json").status_code == 404
    csv_text = http.get(f"/portal/reports/{kept.id}/export.csv").content.decode("utf-8-sig")
    assert f"谁欠谁,{SH} 欠 {NJ} 8 小时" in csv_text
    book = load_workbook(io.BytesIO(http.get(f"/portal/reports/{kept.id}/export.xlsx").content))
    assert book.sheetnames[:2] == ["概况", "节点"]
    history = http.get("/portal/reports")
    assert kept.id in history.text
    out = http.post("/portal/logout", data={"csrf": csrf_of(history.text)})
    assert out.status_code == 303
    assert http.get("/portal").status_code == 303
