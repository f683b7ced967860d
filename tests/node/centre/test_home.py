"""The personal centre's own page: balance in hours and minutes, records in words, kin and
delegates; nobody sees another member's centre unless the services let him act for her."""

from __future__ import annotations

import re

from tests.node.centre.conftest import CAROL_PIN, CHEN_PIN, PEER, Home, serve
from tests.node.people.support import ALICE_PIN, SAM_PIN
from tests.support import directory_document

ACCOUNT_CODES = re.compile(r"member:|escrow|issuance|pending:|clearing:|redemption")
PAGES = ("/me", "/me/send", "/me/send?to=sam", "/me/notifications", "/me/transfers/t-1")


def text_of(html: str) -> str:
    """What a person reads: the page without its tags and attributes."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_signed_out_every_page_sends_to_sign_in_and_comes_back(home: Home) -> None:
    phone = home.phone()
    for path in PAGES:
        response = phone.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/me/login?next=%2Fme"), path
    response = phone.sign_in("alice", ALICE_PIN, next_path="/me/notifications")
    assert response.headers["location"] == "/me/notifications"


def test_balance_is_in_hours_and_minutes_by_kind(home: Home) -> None:
    page = home.signed_in("alice", ALICE_PIN).get("/me")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Alice，您好！" in words
    assert 'data-minutes="750">12 小时 30 分<' in page.text
    assert "服务挣的 12 小时 30 分" in words
    assert "时间银行发放 +12 小时 30 分" in words


def test_records_name_the_other_person_and_the_service(home: Home) -> None:
    serve(home, "r-1", minutes=75)
    serve(home, "r-2", minutes=30, confirm=False)
    mine = text_of(home.signed_in("alice", ALICE_PIN).get("/me").text)
    assert "陈志强 生活照料 −1 小时 15 分" in mine  # paid: the visit itself
    assert "生活照料：先扣下，确认后付给 陈志强 −30 分" in mine  # held until she confirms
    assert "余额 10 小时 45 分" in mine  # 12:30 less 1:15 paid and 0:30 held
    volunteer = text_of(home.signed_in("chen", CHEN_PIN).get("/me").text)
    assert "Alice 生活照料 +1 小时 15 分" in volunteer
    for words in (mine, volunteer):
        assert not ACCOUNT_CODES.search(words), words


def test_the_centre_in_english(home: Home) -> None:
    serve(home, "r-1", minutes=75)
    phone = home.signed_in("chen", CHEN_PIN)
    assert phone.get("/me/lang?to=en&next=/me").headers["location"] == "/me"
    words = text_of(phone.get("/me").text)
    assert "Hello, 陈志强!" in words
    assert "daily living help for Alice +1 h 15 min" in words


def test_kin_and_delegates_are_listed_with_a_way_to_give_hours(home: Home) -> None:
    page = home.signed_in("alice", ALICE_PIN).get("/me").text
    words = text_of(page)
    assert "我的亲人" in words
    assert "子女 Sam" in words and "子女 wang.jun（nj-gulou）" in words
    assert 'href="/me/send?to=wang.jun%40nj-gulou"' in page
    assert "可以替我办事的亲人 子女 Sam 从" in words
    assert "我可以替他们办事" not in words


def test_another_members_centre_is_never_shown(home: Home) -> None:
    carol = home.signed_in("carol", CAROL_PIN)
    for path in ("/me?for=alice", "/me?for=nobody", "/me/send?for=alice",
                 "/me/send?to=sam&for=alice", "/me/notifications?for=alice"):
        page = carol.get(path)
        assert page.status_code == 403, path
        assert "您不能查看或办理这个账户的事。" in page.text
        assert "Alice" not in page.text and "12 小时" not in page.text
    # An id that exists and one that does not get the very same page: nothing leaks.
    assert (carol.get("/me?for=alice").text.replace("alice", "X")
            == carol.get("/me?for=nobody").text.replace("nobody", "X"))
    own = text_of(carol.get("/me").text)
    assert "Carol，您好！" in own and "Alice" not in own


def test_a_delegate_opens_the_elders_centre_and_acts_for_her(home: Home) -> None:
    sam = home.signed_in("sam", SAM_PIN)
    own = sam.get("/me").text
    assert "我可以替他们办事" in text_of(own)
    assert 'href="/me?for=alice"' in own
    hers = sam.get("/me?for=alice")
    assert hers.status_code == 200
    words = text_of(hers.text)
    assert "您正在替 Alice 办事。" in words and "Alice 的账户" in words
    assert 'data-minutes="750"' in hers.text
    assert 'href="/me/send?for=alice"' in hers.text  # links keep whose centre it is
    assert 'href="/me/notifications?for=alice"' in hers.text


def test_a_revoked_delegate_is_refused_at_his_next_click(home: Home) -> None:
    sam = home.signed_in("sam", SAM_PIN)
    assert sam.get("/me?for=alice").status_code == 200
    ended = home.api.client.delete("/api/v1/members/alice/delegates/sam",
                                   headers=home.family.east)
    assert ended.status_code == 200, ended.text
    assert sam.get("/me?for=alice").status_code == 403
    assert "我可以替他们办事" not in sam.get("/me").text


def test_pages_run_no_script_and_are_never_framed(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    for path in ("/me", "/me/send", "/me/send?to=sam", "/me/notifications", "/me/login"):
        page = phone.get(path)
        assert page.status_code == 200, path
        assert "<script" not in page.text.lower()
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
    css = phone.get("/me/static/centre.css")
    assert css.status_code == 200 and "min-height: 60px" in css.text


def test_the_nodes_local_unit_is_shown_beside_the_hours(home: Home) -> None:
    node = home.api.node
    node.federation.accept(directory_document([node.config.node_id, PEER], serial=2,
                                              local_units={node.config.node_id:
                                                           ("half-hour", 1, 30)}))
    words = text_of(home.signed_in("alice", ALICE_PIN).get("/me").text)
    assert "余额 12 小时 30 分 合 25 half-hour" in words  # 750 minutes = 25 blocks of 30
