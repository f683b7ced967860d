"""Volunteering from the centre (take, check in with the elder's visit code, check out, history)
and the elder's own visit-code page: the time bank's services with the member's Principal."""

from __future__ import annotations

import re

from node.access import Role
from tests.node.centre.conftest import CHEN_PIN, Home
from tests.node.centre.support import Phone, csrf_of
from tests.node.centre.test_home import text_of
from tests.node.people.support import ALICE_PIN


def post_need(home: Home, request_id: str) -> None:
    posted = home.api.client.post("/api/v1/service-requests", headers=home.family.east, json={
        "id": request_id, "recipient": "alice", "category": "daily_living"})
    assert posted.status_code == 201, posted.text


def alice_code(home: Home) -> str:
    """Alice makes her code on her own page and reads it there."""
    alice = home.signed_in("alice", ALICE_PIN)
    made = alice.post_form("/me/visit-code", "/me/visit-code")
    assert made.status_code == 303, made.text
    page = alice.get("/me/visit-code")
    found = re.search(r'id="code" data-card="1"[^>]*>([0-9]{6})<', page.text)
    assert found, page.text
    return found.group(1)


def take(chen: Phone, request_id: str) -> None:
    page = chen.get("/me/volunteer")
    assert f'data-request="{request_id}"' in page.text
    taken = chen.client.post("/me/volunteer/take",
                             data={"csrf": csrf_of(page.text), "request": request_id})
    assert taken.status_code == 303, taken.text


def check_in(chen: Phone, request_id: str, code: str) -> object:
    path = f"/me/volunteer/{request_id}/check-in"
    return chen.post_form(path, path, code=code)


def state_of(home: Home, request_id: str) -> str:
    got = home.api.client.get(f"/api/v1/service-requests/{request_id}", headers=home.api.admin)
    return str(got.json()["state"])


def test_a_visit_from_taking_to_the_record(home: Home) -> None:
    post_need(home, "r-v1")
    home.grant("chen", 60, "g-chen")  # hours that are not a visit: not in the service record
    code = alice_code(home)
    chen = home.signed_in("chen", CHEN_PIN)
    listing = text_of(chen.get("/me/volunteer").text)
    assert "生活照料" in listing and "服务站：east" in listing
    take(chen, "r-v1")
    assert "已接，等您上门" in text_of(chen.get("/me/volunteer").text)
    page = chen.get("/me/volunteer/r-v1/check-in")
    assert 'inputmode="numeric"' in page.text
    answer = check_in(chen, "r-v1", code)
    assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
    assert state_of(home, "r-v1") == "in_progress"
    home.clock.advance(75 * 60_000)
    chen = home.signed_in("chen", CHEN_PIN)  # the visit outlasted the session's idle timeout
    mine = chen.get("/me/volunteer")
    done = chen.client.post("/me/volunteer/r-v1/check-out", data={"csrf": csrf_of(mine.text)})
    assert done.status_code == 303, done.text
    assert "做完了，等老人确认" in text_of(chen.get("/me/volunteer").text)
    alice = home.api.headers(home.api.token("alice", Role.MEMBER, member_local_id="alice"))
    confirmed = home.api.client.post("/api/v1/service-requests/r-v1/confirm", headers=alice,
                                     json={"rating": 5, "comment": ""})
    assert confirmed.status_code == 200, confirmed.text
    record = text_of(chen.get("/me/volunteer").text)
    assert "已确认，时间已到账" in record
    assert "Alice 生活照料 +1 小时 15 分" in record
    assert "服务挣的时间 1 小时 15 分" in record
    history = record.split("我的服务记录")[1]
    assert "时间银行发放" not in history and "时间银行发放" in text_of(chen.get("/me").text)


def test_a_wrong_code_is_refused_in_words(home: Home) -> None:
    post_need(home, "r-v2")
    code = alice_code(home)
    chen = home.signed_in("chen", CHEN_PIN)
    take(chen, "r-v2")
    wrong = "000000" if code != "000000" else "111111"
    answer = check_in(chen, "r-v2", wrong)
    assert answer.status_code == 422  # type: ignore[attr-defined]
    words = text_of(answer.text)  # type: ignore[attr-defined]
    assert "上门码不对" in words and "还可以再试 4 次" in words
    assert state_of(home, "r-v2") == "accepted"
    for _ in range(4):
        answer = check_in(chen, "r-v2", wrong)
    locked = check_in(chen, "r-v2", code)
    assert locked.status_code == 403  # type: ignore[attr-defined]
    assert "请联系服务站" in text_of(locked.text)  # type: ignore[attr-defined]
    assert state_of(home, "r-v2") == "accepted"


def test_a_volunteer_cannot_see_the_elders_code(home: Home) -> None:
    code = alice_code(home)
    chen = home.signed_in("chen", CHEN_PIN)
    page = chen.get("/me/visit-code?for=alice")
    assert page.status_code == 403
    assert code not in page.text
    mine = chen.get("/me/visit-code")  # his own (none yet): the page offers to make one
    assert mine.status_code == 200 and 'id="no-code"' in mine.text


def test_the_elders_page_shows_her_code_large_with_a_qr(home: Home) -> None:
    code = alice_code(home)
    page = home.signed_in("alice", ALICE_PIN).get("/me/visit-code")
    assert f">{code}<" in page.text and "<svg" in page.text and "第 1 张" in page.text


def test_forms_without_the_secret_are_refused(home: Home) -> None:
    post_need(home, "r-v3")
    chen = home.signed_in("chen", CHEN_PIN)
    taken = chen.post("/me/volunteer/take", request="r-v3", csrf="not-the-secret")
    assert taken.status_code == 403
    assert state_of(home, "r-v3") == "open"
    alice = home.signed_in("alice", ALICE_PIN)
    rotated = alice.post("/me/visit-code", csrf="")
    assert rotated.status_code == 403
    assert 'id="no-code"' in alice.get("/me/visit-code").text
