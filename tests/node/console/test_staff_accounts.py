"""The console's stations and staff-account pages, and signing in with a username: an admin
registers a station and creates a login, staff sign in with it, a disabled account's open
session ends at once, wrong passwords lock with 429 + Retry-After, and every new form refuses
a post without its CSRF secret."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient

from node.access import Principal, Role
from node.people.throttle import LOCK_AFTER_FAILURES, LOCK_MS
from tests.conftest import Api
from tests.node.console.support import csrf_of, fresh_client, log_in, post_form

PASSWORD = "ferry-Lantern-42"
OPERATOR = Principal(Role.ADMIN, "test")


@pytest.fixture
def admin(api: Api) -> TestClient:
    client = fresh_client(api)
    assert log_in(client, api.token("admin", Role.ADMIN)).status_code == 303
    return client


def sign_in(client: TestClient, username: str, password: str) -> httpx.Response:
    page = client.get("/console/login")
    return client.post("/console/sign-in", data={
        "csrf": csrf_of(page.text), "username": username, "password": password})


def _station_and_account(admin: TestClient) -> None:
    made = post_form(admin, "/console/stations", "/console/stations", station_id="lujiazui",
                     name="陆家嘴服务站", address="浦东大道 1 号", district_code="310115")
    assert made.status_code == 303 and "done=station_created" in made.headers["location"]
    made = post_form(admin, "/console/staff", "/console/staff", username="zhou.min",
                     role="staff", station="lujiazui", password=PASSWORD)
    assert made.status_code == 303, made.text


def test_staff_sign_in_with_a_username_and_see_station_names(api: Api,
                                                             admin: TestClient) -> None:
    _station_and_account(admin)
    assert "陆家嘴服务站" in admin.get("/console/staff").text
    desk = fresh_client(api)
    login = desk.get("/console/login").text
    assert login.index('action="/console/sign-in"') < login.index('action="/console/login"')
    assert sign_in(desk, "zhou.min", PASSWORD).status_code == 303
    made = post_form(desk, "/console/members", "/console/members", local_id="wang.fang",
                     display_name="王芳", birth_year="1948")
    assert made.status_code == 303, made.text
    listed = desk.get("/console/members").text
    assert "<td>陆家嘴服务站</td>" in listed and "服务站工作人员" in listed
    fixed = post_form(desk, "/console/members/wang.fang/record", "/console/members/wang.fang",
                      display_name="王芳", birth_year="1949", station="lujiazui", reason="身份证")
    assert fixed.status_code == 303, fixed.text
    page = desk.get("/console/members/wang.fang").text
    assert "陆家嘴服务站" in page and "zhou.min" in page  # the history names the account
    assert desk.get("/console/stations").status_code == 403  # operators only


def test_a_station_that_is_not_registered_is_refused_in_words(api: Api,
                                                              admin: TestClient) -> None:
    _station_and_account(admin)
    api.node.members.create(OPERATOR, local_id="li.ming", display_name="李明",
                            station="lujiazui", birth_year=1950)
    moved = post_form(admin, "/console/members/li.ming/record", "/console/members/li.ming",
                      display_name="李明", birth_year="1950", station="lujiazul", reason="搬家")
    assert moved.status_code == 422
    assert "没有这个服务站" in moved.text and "station_unknown" in moved.text


def test_a_disabled_accounts_open_session_ends_at_once(api: Api, admin: TestClient) -> None:
    _station_and_account(admin)
    desk = fresh_client(api)
    assert sign_in(desk, "zhou.min", PASSWORD).status_code == 303
    assert desk.get("/console/members").status_code == 200
    off = post_form(admin, "/console/staff/zhou.min/disabled", "/console/staff", disabled="1")
    assert off.status_code == 303 and "account_disabled" in off.headers["location"]
    assert desk.get("/console/members").headers["location"].startswith("/console/login")
    assert sign_in(desk, "zhou.min", PASSWORD).status_code == 401


def test_wrong_passwords_lock_with_retry_after(api: Api, admin: TestClient) -> None:
    _station_and_account(admin)
    desk = fresh_client(api)
    for _ in range(LOCK_AFTER_FAILURES - 1):
        wrong = sign_in(desk, "zhou.min", "not-the-password")
        assert wrong.status_code == 401 and "用户名或密码不对" in wrong.text
    locked = sign_in(desk, "zhou.min", "not-the-password")
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == str(LOCK_MS // 1000)
    assert "15 分钟" in locked.text
    assert sign_in(desk, "zhou.min", PASSWORD).status_code == 429


NEW_FORMS = ("/console/stations", "/console/stations/lujiazui",
             "/console/stations/lujiazui/active", "/console/staff",
             "/console/staff/zhou.min/disabled")


def test_every_new_form_refuses_a_post_without_its_secret(api: Api, admin: TestClient) -> None:
    _station_and_account(admin)
    fields = {"station_id": "huamu", "name": "花木", "district_code": "310115", "active": "0",
              "username": "x.y", "role": "admin", "password": PASSWORD, "disabled": "1"}
    for path in NEW_FORMS:
        for csrf in ("", "forged"):
            refused = admin.post(path, data={**fields, "csrf": csrf})
            assert refused.status_code == 403, path
            assert "csrf_refused" in refused.text
    desk = fresh_client(api)
    desk.get("/console/login")
    refused = desk.post("/console/sign-in", data={"csrf": "forged", "username": "zhou.min",
                                                  "password": PASSWORD})
    assert refused.status_code == 403
    assert [s.active for s in api.node.stations.list(OPERATOR)] == [True]  # nothing changed
    assert [a.username for a in api.node.staff.list(OPERATOR)] == ["zhou.min"]


def test_the_pages_are_in_both_languages_and_fit_a_phone(admin: TestClient) -> None:
    _station_and_account(admin)
    for path in ("/console/stations", "/console/staff", "/console/stations/lujiazui",
                 "/console/login"):
        chinese = admin.get(path).text
        assert re.search(r"[\u4e00-\u9fff]", chinese), path
        # Lists of cards and one-column forms: no table that a phone would scroll sideways.
        assert "<table" not in chinese, path
    admin.get("/console/lang?to=en&next=/console/staff")
    english = admin.get("/console/staff").text
    assert "Staff accounts" in english and "Station staff" in english
