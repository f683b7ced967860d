"""Who may use the signing-in, family and contacts pages: staff of the member's station and
operators; another station's staff get a refusal page (403, never a 500) and change nothing;
every form needs its session's CSRF secret; members and regulators never get in."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from node.access import Role
from node.db.schema import tb_audit
from tests.conftest import Api
from tests.node.console.support import csrf_of, fresh_client, log_in

# Every form the new pages draw, with fields that would pass; zhao.lei is of station huamu.
FORMS: tuple[tuple[str, dict[str, str]], ...] = (
    ("invitation", {}),
    ("credential/reset", {}),
    ("kin", {"relative": "li.ming", "relation": "child"}),
    ("delegates", {"delegate": "li.ming"}),
    ("delegates/li.ming/revoke", {}),
    ("contacts", {"email": "a@example.cn", "gateway_recipient": ""}),
)
PAGES = ("invitation", "contacts")


def unchanged(api: Api, local_id: str) -> None:
    """No invitation, PIN, kin, delegate or contact was made for the member."""
    admin = api.admin
    credential = api.client.get(f"/api/v1/members/{local_id}/credential", headers=admin).json()
    assert credential["invitation_expires_at_ms"] is None and not credential["has_pin"]
    for path in ("kin", "delegates"):
        got = api.client.get(f"/api/v1/members/{local_id}/{path}", headers=admin)
        assert got.json()["items"] == [], path
    assert api.client.get(f"/api/v1/members/{local_id}/contacts",
                          headers=admin).json()["email"] is None


@pytest.mark.parametrize(("action", "fields"), FORMS, ids=[path for path, _ in FORMS])
def test_another_stations_staff_get_a_refusal_page(staff: TestClient, api: Api, action: str,
                                                   fields: dict[str, str]) -> None:
    csrf = csrf_of(staff.get("/console/members/wang.fang").text)
    done = staff.post(f"/console/members/zhao.lei/{action}", data={"csrf": csrf, **fields})
    assert done.status_code == 403, done.text
    assert done.headers["content-type"].startswith("text/html")
    assert "您没有权限进行此操作" in done.text and "Traceback" not in done.text
    unchanged(api, "zhao.lei")


@pytest.mark.parametrize("page", PAGES)
def test_another_stations_pages_are_refused(staff: TestClient, api: Api, page: str) -> None:
    got = staff.get(f"/console/members/zhao.lei/{page}")
    assert got.status_code == 403 and "您没有权限进行此操作" in got.text
    assert "zhao.lei@" not in got.text and "赵磊" not in got.text
    missing = staff.get(f"/console/members/nobody/{page}")
    assert missing.status_code == 404 and "没有这个成员" in missing.text


def test_a_refused_contacts_read_is_recorded(staff: TestClient, api: Api) -> None:
    staff.get("/console/members/zhao.lei/contacts")
    with api.node.db.read() as conn:
        actions = conn.execute(select(tb_audit.c.action).where(
            tb_audit.c.subject == "contacts:zhao.lei")).scalars().all()
    assert actions == ["contacts_refused"]


@pytest.mark.parametrize(("action", "fields"), FORMS, ids=[path for path, _ in FORMS])
def test_every_form_needs_the_sessions_csrf_secret(staff: TestClient, api: Api, action: str,
                                                   fields: dict[str, str]) -> None:
    for csrf in (None, "", "forged-secret"):
        form = fields if csrf is None else {"csrf": csrf, **fields}
        done = staff.post(f"/console/members/wang.fang/{action}", content=urlencode(form),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert done.status_code == 403, (csrf, done.text)
        assert "表单已过期" in done.text and "csrf_refused" in done.text
    unchanged(api, "wang.fang")


def test_member_and_regulator_tokens_do_not_open_the_console(api: Api,
                                                             staff_token: str) -> None:
    for name, role, scope in (("reg", Role.REGULATOR, {}),
                              ("m", Role.MEMBER, {"member_local_id": "wang.fang"})):
        browser = fresh_client(api)
        refused = log_in(browser, api.token(name, role, **scope))
        assert refused.status_code == 403 and "仅供服务站工作人员和管理员使用" in refused.text
        got = browser.get("/console/members/wang.fang/invitation")
        assert got.status_code == 303 and got.headers["location"].startswith("/console/login")


def test_a_token_header_or_a_member_session_is_not_a_console_session(
        api: Api, staff_token: str) -> None:
    browser = fresh_client(api)
    bearer = {"Authorization": f"Bearer {staff_token}"}
    got = browser.get("/console/members/wang.fang/invitation", headers=bearer)
    assert got.status_code == 303 and got.headers["location"].startswith("/console/login")
    posted = browser.post("/console/members/wang.fang/invitation", headers=bearer, data={})
    assert posted.status_code == 303 and posted.headers["location"].endswith("expired=1")
    # A member signed in on the member side holds hb_member, which the console never reads.
    invite = api.client.post("/api/v1/members/wang.fang/invitations", headers=api.admin).json()
    assert api.client.post("/api/v1/people/activate",
                           json={"code": invite["code"], "pin": "482915"}).status_code == 200
    assert browser.post("/api/v1/people/sessions",
                        json={"member": "wang.fang", "pin": "482915"}).status_code == 201
    assert browser.cookies.get("hb_member")
    for page in PAGES:
        got = browser.get(f"/console/members/wang.fang/{page}")
        assert got.status_code == 303 and got.headers["location"].startswith("/console/login")
