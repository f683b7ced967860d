"""Setting a PIN, signing in and out on the pages: the same service and refusals as the JSON
API, a CSRF secret on every form, and lockout told in plain words that say nothing about
whether a member number exists."""

from __future__ import annotations

import re

from tests.node.centre.conftest import Home
from tests.node.centre.support import csrf_of
from tests.node.people.support import ALICE_PIN

LOCKED = "输错的次数太多了。为了保护账户，这个会员号暂停登录，请 15 分钟后再试"
WRONG = "会员号或密码不对，请再试一次。"


def error_of(html: str) -> str:
    found = re.search(r'<p class="error" role="alert"[^>]*>([^<]*)</p>', html)
    assert found, "the page shows no error"
    return found.group(1)


def test_signing_in_opens_the_members_session_for_pages_and_api(home: Home) -> None:
    phone = home.phone()
    response = phone.sign_in("  Alice ", ALICE_PIN)  # as typed: spaces and a capital forgiven
    assert response.status_code == 303 and response.headers["location"] == "/me"
    cookie = next(c for c in response.headers.get_list("set-cookie")
                  if c.startswith("hb_member="))
    assert "HttpOnly" in cookie and "Path=/;" in cookie and "SameSite=lax" in cookie
    who = phone.get("/api/v1/people/sessions/current")
    assert who.status_code == 200 and who.json()["member"] == "alice"


def test_wrong_pins_lock_alike_for_a_member_and_for_nobody(home: Home) -> None:
    answers: dict[str, list[tuple[int, str]]] = {}
    for number in ("alice", "nobody"):
        phone = home.phone()
        answers[number] = []
        for _ in range(5):
            response = phone.sign_in(number, "000111")
            answers[number].append((response.status_code, error_of(response.text)))
        right = phone.sign_in(number, ALICE_PIN)  # the right PIN changes nothing while locked
        answers[number].append((right.status_code, error_of(right.text)))
        assert right.headers["retry-after"] == "900"
    assert answers["alice"] == answers["nobody"]
    assert answers["alice"][:4] == [(401, WRONG)] * 4
    assert all(status == 429 and LOCKED in text for status, text in answers["alice"][4:])
    home.clock.advance(15 * 60_000)
    assert home.phone().sign_in("alice", ALICE_PIN).status_code == 303


def test_a_phone_that_guesses_many_numbers_is_paused(home: Home) -> None:
    phone = home.phone(("198.51.100.77", 1234))
    for i in range(30):
        assert phone.sign_in(f"guess{i}", "000111").status_code == 401
    paused = phone.sign_in("alice", ALICE_PIN)
    assert paused.status_code == 429
    assert error_of(paused.text) == "这台手机或电脑输错的次数太多了，请 10 分钟后再试。"
    assert home.phone().sign_in("alice", ALICE_PIN).status_code == 303  # another phone


def test_the_sign_in_form_needs_its_own_pages_secret(home: Home) -> None:
    phone = home.phone()
    bare = phone.post("/me/login", member="alice", pin=ALICE_PIN)
    assert bare.status_code == 403 and "这个页面放得太久了" in bare.text
    forged = home.phone().post("/me/login", csrf="made-up", member="alice", pin=ALICE_PIN)
    assert forged.status_code == 403
    assert "hb_member" not in forged.headers.get("set-cookie", "")


def test_activation_sets_the_pin_typed_twice(home: Home) -> None:
    code = home.family.invite("bob")["code"]
    phone = home.phone()
    page = phone.get(f"/me/activate?code={code}")
    assert page.status_code == 200 and f'value="{code}"' in page.text
    mismatch = phone.post_form("/me/activate", f"/me/activate?code={code}", code=code,
                               pin="583920", pin_again="583902")
    assert mismatch.status_code == 422
    assert error_of(mismatch.text) == "两次输入的密码不一样，请重新输入。"
    weak = phone.post_form("/me/activate", "/me/activate", code=code, pin="123456",
                           pin_again="123456")
    assert weak.status_code == 422 and "这个密码太好猜了" in error_of(weak.text)
    done = phone.post_form("/me/activate", "/me/activate", code=code.lower(), pin="583920",
                           pin_again="583920")
    assert done.status_code == 200 and "您的会员号是 bob。" in done.text
    again = phone.post_form("/me/activate", "/me/activate", code=code, pin="583920",
                            pin_again="583920")
    assert again.status_code == 422 and "这个激活码用不了" in error_of(again.text)
    assert home.phone().sign_in("bob", "583920").status_code == 303


def test_activation_form_needs_its_pages_secret(home: Home) -> None:
    code = home.family.invite("bob")["code"]
    refused = home.phone().post("/me/activate", code=code, pin="583920", pin_again="583920")
    assert refused.status_code == 403
    assert home.phone().sign_in("bob", "583920").status_code == 401  # no PIN was set


def test_signing_out_ends_the_session_and_needs_the_secret(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    refused = phone.post("/me/logout", csrf="")  # a form from another site has no secret
    assert refused.status_code == 403
    assert phone.get("/me").status_code == 200  # still signed in
    out = phone.post_form("/me/logout", "/me")
    assert out.status_code == 303 and out.headers["location"] == "/me/login?out=1"
    assert "您已退出。" in phone.get("/me/login?out=1").text
    assert phone.get("/me").status_code == 303


def test_a_form_from_an_ended_session_goes_to_sign_in(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    secret = csrf_of(phone.get("/me").text)
    home.clock.advance(61 * 60_000)  # an hour without use
    late = phone.post("/me/logout", csrf=secret)
    assert late.status_code == 303 and late.headers["location"] == "/me/login?expired=1"


def test_language_and_text_size_are_one_click_and_stay_inside(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    assert phone.get("/me/size?to=big&next=/me").headers["location"] == "/me"
    assert 'class="size-big"' in phone.get("/me").text
    assert phone.get("/me/lang?to=en&next=https://evil.example/").headers["location"] == "/me"
    assert phone.get("/me/lang?to=en&next=//evil.example").headers["location"] == "/me"
    page = phone.get("/me/login").text
    assert '<html lang="en"' in page and "Sign in" in page and "中文" in page
    assert phone.get("/me/lang?to=fr").status_code == 422
