"""Checking in by scanning the elder's QR code: the QR on her visit-code page opens /me/scan on
this node; the volunteer's visits for her each get one button that checks in through the typed
code's own route (the same service call, the same 5-try lock); a volunteer signed out comes back
to the scanned address; and no page of the centre shows him her code, /me/scan carrying only
the code he scanned, in its forms."""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlsplit

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from node.centre.pages_scan import scan_url
from node.people.qr import qr_svg
from node.timebank.visit_codes import CHECK_IN_TRIES_MAX
from tests.node.centre.conftest import CAROL_PIN, CHEN_PIN, Home
from tests.node.centre.support import Phone, csrf_of
from tests.node.centre.test_home import text_of
from tests.node.centre.test_volunteer import alice_code, check_in, post_need, state_of, take
from tests.node.people.support import ALICE_PIN, SAM_PIN

_HIDDEN_CODE = re.compile(r'<input type="hidden" name="code" value="([0-9]{6})">')


def scan_path(home: Home, code: str) -> str:
    """The path and query of what alice's QR encodes."""
    url = urlsplit(scan_url(home.api.node, "alice", code))
    return f"{url.path}?{url.query}"


def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def standalone(code: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])")


def ready(home: Home, request_id: str) -> tuple[str, Phone]:
    """alice's code, and chen signed in with her request `request_id` taken."""
    post_need(home, request_id)
    code = alice_code(home)
    chen = home.signed_in("chen", CHEN_PIN)
    take(chen, request_id)
    return code, chen


def scan_and_press(chen: Phone, path: str, request_id: str) -> object:
    page = chen.get(path)
    assert page.status_code == 200, page.text
    form = re.search(rf'action="/me/volunteer/{request_id}/check-in">(.*?)</form>', page.text,
                     re.S)
    assert form, page.text
    code = _HIDDEN_CODE.search(form.group(1))
    assert code, form.group(1)
    return chen.client.post(f"/me/volunteer/{request_id}/check-in",
                            data={"csrf": csrf_of(page.text), "code": code.group(1)})


def test_her_qr_encodes_the_scan_address_on_this_node(home: Home) -> None:
    code = alice_code(home)
    url = scan_url(home.api.node, "alice", code)
    assert url == f"http://{home.api.node.config.node_id}.test/me/scan?elder=alice&code={code}"
    expected = qr_svg(url, title="我的上门码", scalable=True)
    # the check can tell the two apart
    assert expected != qr_svg(code, title="我的上门码", scalable=True)
    for phone, path in ((home.signed_in("alice", ALICE_PIN), "/me/visit-code"),
                        (home.signed_in("sam", SAM_PIN), "/me/visit-code?for=alice")):
        page = phone.get(path)
        assert page.status_code == 200, page.text
        assert expected in page.text, path
        assert "用手机相机扫这个码" in text_of(page.text)


def test_scanning_checks_in_with_the_same_service(home: Home) -> None:
    code, chen = ready(home, "r-s1")
    page = chen.get(scan_path(home, code))
    words = text_of(page.text)
    assert "扫码签到" in words and "生活照料" in words and "我到了，签到" in words
    assert "Alice" not in words  # a volunteer does not read her name before the visit is paid
    arrived = scan_and_press(chen, scan_path(home, code), "r-s1")
    assert arrived.status_code == 303  # type: ignore[attr-defined]
    assert arrived.headers["location"] == "/me/volunteer"  # type: ignore[attr-defined]
    record = home.api.client.get("/api/v1/service-requests/r-s1", headers=home.api.admin).json()
    assert record["state"] == "in_progress"
    assert record["history"][-1]["detail"] == "with the visit code (card 1)"
    assert record["history"][-1]["actor"] == "member:chen"
    # Scanned again once he is in: the page says so, in words, and drops the code.
    again = chen.get(scan_path(home, code))
    assert again.status_code == 303
    assert again.headers["location"] == "/me/scan?elder=alice"
    assert "您已经签到了" in text_of(chen.get(again.headers["location"]).text)


def test_signed_out_the_scan_comes_back_after_sign_in(home: Home) -> None:
    code, _ = ready(home, "r-s2")
    path = scan_path(home, code)
    phone = home.phone()
    sent = phone.get(path)
    assert sent.status_code == 303
    login = sent.headers["location"]
    assert login == f"/me/login?next={quote(path, safe='')}"
    page = phone.get(login)
    next_field = re.search(r'name="next" value="([^"]*)"', page.text)
    assert next_field and html.unescape(next_field.group(1)) == path, page.text
    signed = phone.client.post("/me/login", data={
        "csrf": csrf_of(page.text), "member": "chen", "pin": CHEN_PIN,
        "next": html.unescape(next_field.group(1))})
    assert signed.status_code == 303 and signed.headers["location"] == path
    assert scan_and_press(phone, path, "r-s2").status_code == 303  # type: ignore[attr-defined]
    assert state_of(home, "r-s2") == "in_progress"


def test_nothing_to_check_in_is_said_in_words_without_the_code(home: Home) -> None:
    post_need(home, "r-s3")  # open: nobody took it
    code = alice_code(home)
    for pin, who in ((CHEN_PIN, "chen"), (CAROL_PIN, "carol"), (ALICE_PIN, "alice")):
        phone = home.signed_in(who, pin)
        sent = phone.get(scan_path(home, code))
        assert sent.status_code == 303, who
        assert sent.headers["location"] == "/me/scan?elder=alice"
        page = phone.get("/me/scan?elder=alice")
        assert page.status_code == 200
        assert 'id="scan-none"' in page.text and "您没有接这位老人的服务" in text_of(page.text)
        assert not standalone(code).search(page.text)
    assert state_of(home, "r-s3") == "open"


def test_a_malformed_scan_is_refused_in_words(home: Home) -> None:
    chen = home.signed_in("chen", CHEN_PIN)
    for path in ("/me/scan", "/me/scan?elder=alice&code=12345", "/me/scan?elder=A!&code=123456",
                 "/me/scan?elder=alice&code=１２３４５６"):
        page = chen.get(path)
        assert page.status_code == 422, path
        assert 'data-code="validation_failed"' in page.text, path


def test_a_wrong_scanned_code_counts_towards_the_same_lock(home: Home) -> None:
    code, chen = ready(home, "r-s4")
    wrong = other_than(code)  # an old card's code, say
    page = chen.get(scan_path(home, wrong))
    assert page.status_code == 200 and not standalone(code).search(page.text)  # no oracle
    answer = scan_and_press(chen, scan_path(home, wrong), "r-s4")
    assert answer.status_code == 422  # type: ignore[attr-defined]
    words = text_of(answer.text)  # type: ignore[attr-defined]
    assert "上门码不对" in words and f"还可以再试 {CHECK_IN_TRIES_MAX - 1} 次" in words
    assert not standalone(wrong).search(answer.text)  # type: ignore[attr-defined]
    for _ in range(CHECK_IN_TRIES_MAX - 1):  # typed at the door: the same count
        check_in(chen, "r-s4", wrong)
    locked = scan_and_press(chen, scan_path(home, code), "r-s4")
    assert locked.status_code == 403  # type: ignore[attr-defined]
    assert "请联系服务站" in text_of(locked.text)  # type: ignore[attr-defined]
    assert state_of(home, "r-s4") == "accepted"


def _centre_get_paths(app: FastAPI) -> list[str]:
    """Every GET page of the centre, its path parameters filled, for alice's centre and his."""
    names = {"request_id": "r-s5", "transfer_id": "t-1", "notification_id": "1"}
    paths = sorted({str(context.path) for context in iter_route_contexts(app.routes)
                    if "GET" in (context.methods or ()) and str(context.path).startswith("/me")})
    filled = [re.sub(r"\{(\w+)\}", lambda m: names.get(m.group(1), "x"), p) for p in paths]
    return [f"{path}?{query}" for path in filled
            for query in ("elder=alice", "elder=alice&for=alice")]


def test_no_page_shows_the_volunteer_her_code(home: Home) -> None:
    """As tests/node/api/routes/test_visit_codes.py does for the API: chen took her request
    and holds no code; no page shows it to him, /me/scan with a guess included."""
    code, chen = ready(home, "r-s5")
    assert standalone(code).search(home.signed_in("alice", ALICE_PIN).get("/me/visit-code").text)
    paths = _centre_get_paths(home.family.app)
    assert any(p.startswith("/me/scan?") for p in paths) and len(paths) >= 30
    shown = []
    for path in [*paths, scan_path(home, other_than(code)).replace("code=", "for=chen&code=")]:
        response = chen.get(path)
        assert response.status_code != 500, (path, response.text)
        if standalone(code).search(response.text):
            shown.append(path)
    assert shown == []


def test_the_scanned_code_is_only_in_its_forms_and_the_pages_own_address(home: Home) -> None:
    code, chen = ready(home, "r-s6")
    page = chen.get(scan_path(home, code)).text
    assert len(_HIDDEN_CODE.findall(page)) == 1
    rest = _HIDDEN_CODE.sub("", page)
    # base.html's language and text-size links come back to the page they are on.
    rest = rest.replace(quote(scan_path(home, code), safe=""), "")
    assert not standalone(code).search(rest), rest
