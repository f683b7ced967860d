"""The member's personal-data page (pages_privacy.py) through a real browser session (the
`staff` fixture: wang.fang and li.ming at lujiazui, born 1948; zhao.lei at huamu): staff
correct her data, record consent, export and erase her; every view is in the access log, and
opening another station's member is refused and logged."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from node.db.schema import access_log
from tests.conftest import Api
from tests.node.console.support import post_form

WANG = "/console/members/wang.fang/privacy"
ID_NUMBER = "320106194001011235"


def _log(api: Api) -> list[tuple[str, str, str]]:
    with api.node.db.read() as conn:
        return [(r.member_local_id, r.action, r.result)
                for r in conn.execute(select(access_log).order_by(access_log.c.seq))]


def test_staff_correct_consent_export_and_every_view_is_logged(staff: TestClient,
                                                               api: Api) -> None:
    page = staff.get(WANG)
    assert page.status_code == 200 and "王芳 的个人信息" in page.text
    done = post_form(staff, WANG, WANG, phone="13800001111", emergency_name="王强",
                     emergency_phone="", home_address="浦东新区世纪大道1号", care_notes="",
                     id_number=ID_NUMBER)
    assert done.status_code == 303, done.text
    shown = staff.get(done.headers["location"]).text
    assert "已保存" in shown and "3201**********1235" in shown and ID_NUMBER not in shown
    consent = post_form(staff, f"{WANG}/consents/notices", WANG, given="yes")
    assert consent.status_code == 303
    assert 'data-consent="notices">已同意' in staff.get(WANG).text
    printable = staff.get(f"{WANG}/export")
    assert "浦东新区世纪大道1号" in printable.text and "通过短信" in printable.text
    download = staff.get(f"{WANG}/export.json")
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.json()["personal_data"]["phone"] == "13800001111"
    refused = staff.get("/console/members/zhao.lei/privacy")
    assert refused.status_code == 403
    log = _log(api)
    assert ("zhao.lei", "read", "refused") in log
    views = [row for row in log if row[0] == "wang.fang" and row[1] == "read"]
    assert len(views) >= 8  # data and consents, per view of the page (five views)
    assert ("wang.fang", "export", "allowed") in log and log.count(
        ("wang.fang", "export", "allowed")) == 2


def test_erasure_from_the_page_and_its_refusals_in_words(staff: TestClient, api: Api) -> None:
    unconfirmed = post_form(staff, f"{WANG}/erase", WANG, reason="本人申请")
    assert unconfirmed.status_code == 422 and "请检查表单" in unconfirmed.text
    bad_id = post_form(staff, WANG, WANG, id_number="320106194001011236")
    assert bad_id.status_code == 422
    erased = post_form(staff, f"{WANG}/erase", WANG, reason="本人书面申请", confirm="yes")
    assert erased.status_code == 303, erased.text
    page = staff.get(erased.headers["location"]).text
    assert "已注销成员 的个人信息" in page and "她的个人信息已注销" in page
    again = post_form(staff, WANG, WANG, phone="13800001111")
    assert again.status_code == 422 and "已注销" in again.text
