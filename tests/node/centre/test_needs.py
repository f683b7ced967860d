"""Needs from the centre (我的需求): posted through node.timebank with the member's own
Principal, seen only by her (and whoever acts for her), confirmed and rated (the volunteer is
paid), complained about (the hours stay held), every form refused without its secret."""

from __future__ import annotations

from node.access import Role
from tests.node.centre.conftest import CAROL_PIN, Home
from tests.node.centre.support import Phone, csrf_of, id_of
from tests.node.centre.test_home import text_of
from tests.node.people.support import ALICE_PIN, SAM_PIN


def available(home: Home, member: str) -> int:
    got = home.api.client.get(f"/api/v1/members/{member}/balance", headers=home.api.admin)
    return int(got.json()["available_minutes"])


def post_need(phone: Phone, *, member: str = "", description: str = "帮我打扫厨房") -> str:
    """Fill in the new-need form and send it: the request's id."""
    page = phone.get("/me/needs/new" + (f"?for={member}" if member else ""))
    assert page.status_code == 200, page.text
    fields = {"csrf": csrf_of(page.text), "id": id_of(page.text), "category": "daily_living",
              "description": description}
    if member:
        fields["for"] = member
    answer = phone.client.post("/me/needs/new", data=fields)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(f"/me/needs/{fields['id']}")
    return fields["id"]


def visited(home: Home, request_id: str, *, minutes: int) -> None:
    """chen takes the request and visits for `minutes`; the payment is then held."""
    api = home.api
    chen = api.headers(api.token("chen", Role.MEMBER, member_local_id="chen"))
    base = f"/api/v1/service-requests/{request_id}"
    done = api.client.post(f"{base}/accept", headers=chen, json={"volunteer": "chen"})
    assert done.status_code == 200, done.text
    done = api.client.post(f"{base}/check-in", headers=home.family.east)
    assert done.status_code == 200, done.text
    home.clock.advance(minutes * 60_000)
    done = api.client.post(f"{base}/check-out", headers=chen)
    assert done.status_code == 200, done.text


def test_a_posted_need_is_listed_in_words(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    request_id = post_need(phone, description="帮我打扫\n厨房")
    listed = phone.get("/me/needs")
    assert f'data-need="{request_id}"' in listed.text
    words = text_of(listed.text)
    assert "生活照料 · 等待志愿者" in words and "帮我打扫 厨房" in words
    assert "还没有志愿者" in words
    assert "我的需求" in text_of(phone.get("/me").text)


def test_another_member_cannot_see_it(home: Home) -> None:
    alice = home.signed_in("alice", ALICE_PIN)
    request_id = post_need(alice)
    carol = home.signed_in("carol", CAROL_PIN)
    assert request_id not in carol.get("/me/needs").text
    refused = carol.get("/me/needs?for=alice")
    assert refused.status_code == 403 and request_id not in refused.text
    visited(home, request_id, minutes=60)  # taken: no longer an open request anyone may take
    assert carol.get(f"/me/needs/{request_id}").status_code == 403


def test_a_delegate_posts_for_the_elder(home: Home) -> None:
    sam = home.signed_in("sam", SAM_PIN)
    request_id = post_need(sam, member="alice")
    own = home.api.client.get(f"/api/v1/service-requests/{request_id}", headers=home.api.admin)
    assert own.json()["recipient"] == "alice" and own.json()["posted_by"] != "alice"
    assert request_id in home.signed_in("alice", ALICE_PIN).get("/me/needs").text
    assert request_id in sam.get("/me/needs?for=alice").text
    assert "Alice 的需求" in text_of(sam.get("/me/needs?for=alice").text)
    assert request_id not in sam.get("/me/needs").text  # his own list is his own


def test_the_volunteer_is_named_and_confirming_pays_him(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    request_id = post_need(phone)
    visited(home, request_id, minutes=60)
    page = phone.get(f"/me/needs/{request_id}")
    words = text_of(page.text)
    assert "待您确认" in words and "陈志强" in words and "确认并付时间" in words
    assert "志愿者：陈志强" in text_of(phone.get("/me/needs").text)
    before = available(home, "chen")
    answer = phone.client.post(f"/me/needs/{request_id}/confirm",
                               data={"csrf": csrf_of(page.text), "rating": "4",
                                     "comment": "很好"})
    assert answer.status_code == 303, answer.text
    assert available(home, "chen") == before + 60
    record = home.api.client.get(f"/api/v1/service-requests/{request_id}",
                                 headers=home.api.admin).json()
    assert record["state"] == "paid" and record["rating"] == 4 and record["comment"] == "很好"
    assert "已完成" in text_of(phone.get(f"/me/needs/{request_id}").text)


def test_a_complaint_holds_the_hours(home: Home) -> None:
    phone = home.signed_in("sam", SAM_PIN)
    request_id = post_need(phone, member="alice")
    visited(home, request_id, minutes=60)
    page = phone.get(f"/me/needs/{request_id}?for=alice")
    assert "时间先扣着，等服务站处理" in text_of(page.text)
    before_alice, before_chen = available(home, "alice"), available(home, "chen")
    answer = phone.client.post(f"/me/needs/{request_id}/complaint", data={
        "csrf": csrf_of(page.text), "for": "alice", "reason": "志愿者没有打扫就走了"})
    assert answer.status_code == 303, answer.text
    record = home.api.client.get(f"/api/v1/service-requests/{request_id}",
                                 headers=home.api.admin).json()
    assert record["state"] == "disputed" and record["held_minutes"] == 60
    assert record["dispute"]["reason"] == "志愿者没有打扫就走了"
    assert (available(home, "alice"), available(home, "chen")) == (before_alice, before_chen)
    words = text_of(phone.get(f"/me/needs/{request_id}?for=alice").text)
    assert "投诉处理中" in words and "时间先扣着，等服务站处理" in words
    assert "确认并付时间" not in words


def test_an_empty_complaint_and_a_bad_rating_are_told_in_words(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    request_id = post_need(phone)
    visited(home, request_id, minutes=30)
    csrf = csrf_of(phone.get(f"/me/needs/{request_id}").text)
    empty = phone.client.post(f"/me/needs/{request_id}/complaint",
                              data={"csrf": csrf, "reason": "  "})
    assert empty.status_code == 422 and "发生了什么" in empty.text
    bad = phone.client.post(f"/me/needs/{request_id}/confirm", data={"csrf": csrf, "rating": "9"})
    assert bad.status_code == 422 and "评分" in bad.text
    assert home.api.client.get(f"/api/v1/service-requests/{request_id}",
                               headers=home.api.admin).json()["state"] == "completed"


def test_forms_without_the_secret_are_refused(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    request_id = post_need(phone)
    visited(home, request_id, minutes=30)
    before = available(home, "chen")
    for path, fields in (
            ("/me/needs/new", {"id": "centre-need-forged", "category": "daily_living"}),
            (f"/me/needs/{request_id}/confirm", {"rating": "5"}),
            (f"/me/needs/{request_id}/complaint", {"reason": "forged"})):
        answer = phone.client.post(path, data={**fields, "csrf": "not-the-secret"})
        assert answer.status_code == 403, path
    assert available(home, "chen") == before
    record = home.api.client.get(f"/api/v1/service-requests/{request_id}",
                                 headers=home.api.admin).json()
    assert record["state"] == "completed"
    missing = home.api.client.get("/api/v1/service-requests/centre-need-forged",
                                  headers=home.api.admin)
    assert missing.status_code == 404


def test_the_same_form_sent_twice_posts_once(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    page = phone.get("/me/needs/new")
    fields = {"csrf": csrf_of(page.text), "id": id_of(page.text), "category": "health"}
    first = phone.client.post("/me/needs/new", data=fields)
    second = phone.client.post("/me/needs/new", data=fields)
    assert first.headers["location"] == second.headers["location"]
    assert phone.get("/me/needs").text.count("data-need=") == 1


def test_signed_out_the_pages_send_to_sign_in(home: Home) -> None:
    phone = home.phone()
    for path in ("/me/needs", "/me/needs/new", "/me/needs/r-1"):
        answer = phone.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith(
            "/me/login?next="), path
    assert phone.post("/me/needs/new", category="health").headers["location"] == (
        "/me/login?expired=1")


def test_english_is_one_click_away(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    post_need(phone)
    phone.client.cookies.set("hb_me_lang", "en")
    words = text_of(phone.get("/me/needs").text)
    assert "daily living help · Waiting for a volunteer" in words
