"""Logging in: staff and operators only, a session cookie the page script cannot read, CSRF on
every form, and sessions that end (logout, revocation, idle time)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from node.access import Role
from node.clock import FakeClock
from node.console.sessions import IDLE_MS
from tests.conftest import Api
from tests.node.console.support import csrf_of, fresh_client, log_in


def test_pages_need_a_login(api: Api) -> None:
    client = fresh_client(api)
    page = client.get("/console/members?q=wang")
    assert page.status_code == 303
    assert page.headers["location"] == "/console/login?next=%2Fconsole%2Fmembers%3Fq%3Dwang"
    refused = client.post("/console/members", data={"local_id": "x", "display_name": "x"})
    assert refused.status_code == 303 and refused.headers["location"].startswith("/console/login")
    assert api.client.get("/api/v1/members/x", headers=api.admin).status_code == 404


def test_login_sets_an_http_only_strict_cookie_and_returns_to_the_page(
        api: Api, staff_token: str) -> None:
    client = fresh_client(api)
    done = log_in(client, staff_token, next_path="/console/members/wang.fang")
    assert done.status_code == 303
    assert done.headers["location"] == "/console/members/wang.fang"
    cookie = next(v for k, v in done.headers.multi_items()
                  if k == "set-cookie" and v.startswith("hb_console="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http on a node whose URL is http
    assert staff_token not in cookie  # the browser holds a session id, never the API token
    page = client.get("/console/members/wang.fang")
    assert page.status_code == 200 and "王芳" in page.text


def test_the_cookie_is_secure_over_https(api: Api, staff_token: str) -> None:
    client = TestClient(api.client.app, base_url="https://testserver", follow_redirects=False)
    done = log_in(client, staff_token)
    assert done.status_code == 303
    assert "Secure" in done.headers["set-cookie"]


def test_a_login_elsewhere_cannot_send_someone_off_site(api: Api, staff_token: str) -> None:
    for target in ("https://evil.example/", "//evil.example/console", "/api/v1/members",
                   "/console/\\evil"):
        done = log_in(fresh_client(api), staff_token, next_path=target)
        assert done.headers["location"] == "/console/members", target


def test_unknown_token_is_refused_with_a_message(api: Api) -> None:
    client = fresh_client(api)
    done = log_in(client, "hb_nothing_here")
    assert done.status_code == 401
    assert "访问令牌无效或已被注销" in done.text
    assert "hb_console=" not in done.headers.get("set-cookie", "")


def test_member_and_regulator_tokens_cannot_use_the_console(api: Api, staff_token: str) -> None:
    member = api.token("wang", Role.MEMBER, member_local_id="wang.fang")
    regulator = api.token("regulator", Role.REGULATOR)
    for token in (member, regulator):
        client = fresh_client(api)
        done = log_in(client, token)
        assert done.status_code == 403
        assert "本工作台仅供服务站工作人员和管理员使用" in done.text
        assert client.get("/console/members").status_code == 303  # still not logged in
    # The same member token works on the API for its own account: the refusal is the console's.
    assert api.client.get("/api/v1/members/wang.fang/balance",
                          headers=api.headers(member)).status_code == 200


def test_login_form_needs_its_own_csrf_secret(api: Api, staff_token: str) -> None:
    client = fresh_client(api)
    client.get("/console/login")
    for csrf in ("", "forged"):
        done = client.post("/console/login", data={"csrf": csrf, "token": staff_token})
        assert done.status_code == 403
        assert "表单已过期" in done.text
        assert "hb_console=" not in done.headers.get("set-cookie", "")


def test_forms_without_the_session_secret_change_nothing(staff: TestClient, api: Api) -> None:
    for csrf in (None, "", "not-the-secret"):
        data = {"id": "g-forged", "hours": "5", "credit_class": "granted", "reason": "forged"}
        if csrf is not None:
            data["csrf"] = csrf
        done = staff.post("/console/members/wang.fang/grants", data=data)
        assert done.status_code == 403
        assert "表单已过期" in done.text
    assert api.client.get("/api/v1/grants/g-forged", headers=api.admin).status_code == 404


def test_logout_ends_the_session(staff: TestClient) -> None:
    page = staff.get("/console/members")
    assert staff.post("/console/logout", data={"x": "1"}).status_code == 403  # CSRF here too
    done = staff.post("/console/logout", data={"csrf": csrf_of(page.text)})
    assert done.status_code == 303 and done.headers["location"] == "/console/login?out=1"
    assert staff.get("/console/members").status_code == 303
    # An old cookie (a copy kept by someone) does not come back to life either.
    staff.cookies.set("hb_console", "stale", path="/console")
    assert staff.get("/console/members").status_code == 303


def test_a_revoked_token_ends_its_sessions(staff: TestClient, api: Api) -> None:
    assert staff.get("/console/members").status_code == 200
    token_id = next(row["id"] for row in api.node.tokens.list() if row["label"] == "staff")
    api.node.tokens.revoke(token_id)
    page = staff.get("/console/members")
    assert page.status_code == 303 and page.headers["location"].startswith("/console/login")


def test_an_idle_session_expires(staff: TestClient, clock: FakeClock) -> None:
    clock.advance(IDLE_MS - 1)
    assert staff.get("/console/members").status_code == 200
    clock.advance(IDLE_MS + 1)
    assert staff.get("/console/members").status_code == 303


def test_console_pages_are_not_cached_or_framed(staff: TestClient) -> None:
    page = staff.get("/console/members")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_the_api_still_refuses_form_bodies(api: Api) -> None:
    # The console's form exception covers /console/ only; the JSON API is as strict as before.
    sent = api.client.post("/api/v1/grants", headers=api.admin, data={"id": "x"})
    assert sent.status_code == 415
