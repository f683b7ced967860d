"""Signing in, from the staff side: invite a member and print her card (the code shown once),
her sign-in state on the member page, and a reset, through the same service as the JSON API."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from node.clock import FakeClock
from node.console.cards import CARD_TTL_MS
from tests.conftest import Api
from tests.node.console.support import post_form

PIN = "482915"
MEMBER_PAGE = "/console/members/wang.fang"


def make_card(staff: TestClient, action: str = "invitation") -> httpx.Response:
    """Press the member page's invite (or reset) button, follow to the card page."""
    done = post_form(staff, f"{MEMBER_PAGE}/{action}", MEMBER_PAGE)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{MEMBER_PAGE}/invitation"
    card: httpx.Response = staff.get(done.headers["location"])
    return card


def code_on(html: str) -> str:
    found = re.search(r'id="code" data-code="([0-9A-Z-]+)"', html)
    assert found, "no code on the card"
    return found.group(1)


def state_on(html: str) -> str:
    found = re.search(r'id="sign-in-state" data-state="([a-z]+)"', html)
    assert found, "no sign-in state on the page"
    return found.group(1)


def activate(api: Api, code: str, pin: str = PIN) -> httpx.Response:
    done: httpx.Response = api.client.post("/api/v1/people/activate",
                                           json={"code": code, "pin": pin})
    return done


def sign_in(api: Api, pin: str) -> httpx.Response:
    done: httpx.Response = api.client.post("/api/v1/people/sessions",
                                           json={"member": "wang.fang", "pin": pin})
    return done


def test_the_card_shows_the_code_and_qr_once(staff: TestClient, api: Api) -> None:
    page = staff.get(MEMBER_PAGE).text
    assert state_on(page) == "none" and "邀请登录" in page
    card = make_card(staff)
    assert card.status_code == 200 and card.headers["cache-control"] == "no-store"
    code = code_on(card.text)
    groups = code.split("-")
    assert len(groups) == 3 and all(f"<span>{g}</span>" in card.text for g in groups)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in card.text  # the QR code, inline
    assert "王芳" in card.text and 'id="card-number">wang.fang<' in card.text
    assert f"/me/activate?code={code}" in card.text  # the address under the QR code
    assert "请在 " in card.text and "用手机扫描二维码" in card.text
    assert "Scan the QR code" not in card.text  # English only when the console is English
    # A reload (or the back button) does not show the code again.
    again = staff.get(f"{MEMBER_PAGE}/invitation")
    assert again.status_code == 200 and code not in again.text and "<svg" not in again.text
    assert 'id="card-gone"' in again.text and "不会再次显示" in again.text
    after = staff.get(MEMBER_PAGE).text
    assert state_on(after) == "invited" and "邀请有效期至" in after
    # The printed code is real: she activates with it and signs in.
    assert activate(api, code).json() == {"member": "wang.fang"}
    assert sign_in(api, PIN).status_code == 201
    active = staff.get(MEMBER_PAGE).text
    assert state_on(active) == "active" and "上次登录" in active and "重置登录" in active


def test_a_new_invitation_voids_the_card_before(staff: TestClient, api: Api) -> None:
    first = code_on(make_card(staff).text)
    second = code_on(make_card(staff).text)
    assert first != second
    assert activate(api, first).status_code == 422
    assert activate(api, second).status_code == 200


def test_an_unfetched_card_is_not_kept(staff: TestClient, clock: FakeClock) -> None:
    done = post_form(staff, f"{MEMBER_PAGE}/invitation", MEMBER_PAGE)
    assert done.status_code == 303
    clock.advance(CARD_TTL_MS + 1)
    late = staff.get(done.headers["location"])
    assert 'id="card-gone"' in late.text and 'data-code=' not in late.text


def test_the_card_in_english_keeps_the_chinese(staff: TestClient) -> None:
    staff.get("/console/lang", params={"to": "en"})
    card = make_card(staff)
    assert "The code is shown on this page this once" in card.text
    assert '<span lang="zh-CN">用手机扫描二维码' in card.text
    assert "Scan the QR code with your phone" in card.text


def test_reset_unlocks_voids_the_pin_ends_sessions_and_prints_a_card(
        staff: TestClient, api: Api) -> None:
    assert activate(api, code_on(make_card(staff).text)).status_code == 200
    phone = TestClient(api.client.app, raise_server_exceptions=False)
    assert phone.post("/api/v1/people/sessions",
                      json={"member": "wang.fang", "pin": PIN}).status_code == 201
    assert phone.get("/api/v1/members/wang.fang/balance").status_code == 200
    for _ in range(5):
        assert sign_in(api, "135792").status_code in (401, 429)
    locked = staff.get(MEMBER_PAGE).text
    assert state_on(locked) == "locked" and "暂停至" in locked
    card = make_card(staff, "credential/reset")
    assert card.status_code == 200
    assert sign_in(api, PIN).status_code == 401  # the lock is gone, and so is the old PIN
    assert phone.get("/api/v1/members/wang.fang/balance").status_code == 401  # signed out
    assert state_on(staff.get(MEMBER_PAGE).text) == "invited"
    assert activate(api, code_on(card.text), "864209").status_code == 200
    assert sign_in(api, "864209").status_code == 201


def test_a_deactivated_member_is_offered_no_invitation(staff: TestClient, api: Api) -> None:
    gone = api.client.post("/api/v1/members/li.ming/deactivate", headers=api.admin,
                           json={"reason": "moved to a care home"})
    assert gone.status_code == 200, gone.text
    page = staff.get("/console/members/li.ming").text
    assert 'action="/console/members/li.ming/invitation"' not in page
    refused = post_form(staff, "/console/members/li.ming/invitation", "/console/members/li.ming")
    assert refused.status_code == 422 and "该成员账户已停用" in refused.text
