"""Hours for goods (/me/goods) and hours to the care pool (/me/donate) from the centre: the time
bank's services with the member's own Principal, once per form, checked through the JSON API."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from node.centre import i18n
from node.centre.texts_bank import BANK
from node.centre.texts_frame import ERRORS
from node.clock import FakeClock
from node.db.schema import tb_donations, tb_redemptions
from node.runtime import Node
from node.timebank.policy import DEFAULT_POLICY, Goods, GoodsRules
from tests.node.centre.conftest import CAROL_PIN, Home
from tests.node.centre.support import Phone, csrf_of
from tests.node.centre.test_home import text_of
from tests.node.people.support import ALICE_PIN, SAM_PIN
from tests.support import build_node, make_config

POLICY: dict[str, Any] = {
    "programme": "test_bank", "name": "测试时间银行",
    "goods": {"allowed": True, "items": [
        {"code": "rice", "name": "大米 5 公斤", "price_minutes": 60},
        {"code": "oil", "name": "食用油", "price_minutes": 90}]},
    "redeemer": {"min_age": 60},
}
# The worlds of the centre's matrix (tests/node/centre/test_matrix.py), on the default policy.
WITH_GOODS = DEFAULT_POLICY.model_copy(update={"goods": GoodsRules(
    allowed=True, items=[Goods(code="rice", name="Rice", price_minutes=60)])})
_FORM = re.compile(r'<li data-goods="(\w+)">.*?name="id" value="([^"]+)"', re.S)


@pytest.fixture
def policy() -> dict[str, Any] | None:
    return POLICY


@pytest.fixture
def sqlite_node(tmp_path: Path, clock: FakeClock,
                policy: dict[str, Any] | None) -> Iterator[Node]:
    """The centre's node (conftest's `home`), running `policy` (None: the built-in default)."""
    config = make_config(tmp_path / "sh-pudong", "sh-pudong")
    if policy is not None:
        (tmp_path / "sh-pudong" / "policy.json").write_text(json.dumps(policy), "utf-8")
        config = config.model_copy(update={"policy_file": "policy.json"})
    node = build_node(config, clock, bootstrap=True)
    yield node
    node.close()


def with_goods(home: Home) -> None:
    """The node's goods service exchanges rice (as tests/node/timebank/matrix.py does)."""
    home.api.node.timebank.goods.policy = WITH_GOODS


def redeemed(home: Home) -> None:
    """alice's station exchanged an hour of hers for rice: redemption `rd-m`."""
    with_goods(home)
    made = home.api.client.post("/api/v1/redemptions", headers=home.family.east, json={
        "id": "rd-m", "member": "alice", "goods": "rice"})
    assert made.status_code == 201, made.text


def donated(home: Home) -> None:
    """alice's station gave half an hour of hers to the pool: donation `dn-m`."""
    made = home.api.client.post("/api/v1/donations", headers=home.family.east, json={
        "id": "dn-m", "member": "alice", "amount_minutes": 30})
    assert made.status_code == 201, made.text


def available(home: Home, member: str) -> int:
    got = home.api.client.get(f"/api/v1/members/{member}/balance", headers=home.api.admin)
    return int(got.json()["available_minutes"])


def rows(home: Home, table: Any) -> int:
    with home.api.node.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def goods_form(phone: Phone, code: str, member: str = "") -> dict[str, str]:
    """The fields of the form for `code` on the goods page, as the browser would send them."""
    page = phone.get("/me/goods" + (f"?for={member}" if member else ""))
    assert page.status_code == 200, page.text
    ids = dict(_FORM.findall(page.text))
    assert code in ids, page.text
    return {"csrf": csrf_of(page.text), "id": ids[code], "goods": code, "quantity": "1",
            **({"for": member} if member else {})}


def donate_form(phone: Phone, member: str = "", **amount: str) -> dict[str, str]:
    page = phone.get("/me/donate" + (f"?for={member}" if member else ""))
    assert page.status_code == 200, page.text
    found = re.search(r'name="id" value="([^"]+)"', page.text)
    assert found
    return {"csrf": csrf_of(page.text), "id": found.group(1), **amount,
            **({"for": member} if member else {})}


def test_goods_with_prices_and_a_form_each(home: Home) -> None:
    page = home.signed_in("alice", ALICE_PIN).get("/me/goods")
    words = text_of(page.text)
    assert "现在有 12 小时 30 分。" in words
    assert "大米 5 公斤 每份 1 小时" in words and "食用油 每份 1 小时 30 分" in words
    forms = _FORM.findall(page.text)
    assert [code for code, _ in forms] == ["rice", "oil"]
    assert forms[0][1] != forms[1][1]  # a client id per form


def test_redeeming_moves_hours_once_and_says_so(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    fields = goods_form(phone, "rice") | {"quantity": " 2 "}
    first = phone.client.post("/me/goods", data=fields)
    assert first.status_code == 303, first.text
    assert first.headers["location"] == f"/me/redemptions/{fields['id']}"
    again = phone.client.post("/me/goods", data=fields)  # the form sent a second time
    assert again.headers["location"] == first.headers["location"]
    assert available(home, "alice") == 750 - 120 and rows(home, tb_redemptions) == 1
    words = text_of(phone.get(first.headers["location"]).text)
    assert "已兑换 2 份 大米 5 公斤，用去 2 小时。" in words and "现在还有 10 小时 30 分" in words
    record = home.api.client.get(f"/api/v1/redemptions/{fields['id']}",
                                 headers=home.api.admin).json()
    assert record["actor"] == "member:alice" and record["quantity"] == 2
    assert "兑换物品：2 × 大米 5 公斤" in text_of(phone.get("/me").text)


def test_who_may_redeem_is_the_services_answer(home: Home) -> None:
    sam = home.signed_in("sam", SAM_PIN)  # 54: under the policy's 60
    page = sam.get("/me/goods")
    assert "现在还不能兑换：按本地的规定，现在还不能这样办。 年满 60 岁的会员可以兑换。" in text_of(
        page.text)
    assert "大米 5 公斤" in page.text and 'name="quantity"' not in page.text
    for_her = sam.get("/me/goods?for=alice")  # alice, 82, may: her son redeems for her
    assert 'name="quantity"' in for_her.text and "您正在替 Alice 办事。" in text_of(for_her.text)
    fields = goods_form(sam, "oil", member="alice")
    done = sam.client.post("/me/goods", data=fields)
    assert done.headers["location"] == f"/me/redemptions/{fields['id']}?for=alice"
    assert available(home, "alice") == 750 - 90
    refused = sam.client.post("/me/goods", data=fields | {"id": "centre-goods-sam1",
                                                          "for": ""})
    assert refused.status_code == 422 and "按本地的规定" in refused.text
    assert available(home, "sam") == 0 and rows(home, tb_redemptions) == 1


def test_nobody_else_redeems_or_donates_her_hours(home: Home) -> None:
    carol = home.signed_in("carol", CAROL_PIN)
    assert carol.get("/me/goods?for=alice").status_code == 403
    assert carol.get("/me/donate?for=alice").status_code == 403
    page = carol.get("/me/donate")
    for path, fields in (("/me/goods", {"id": "centre-goods-c1", "goods": "rice",
                                        "quantity": "1"}),
                         ("/me/donate", {"id": "centre-donate-c1", "hours": "1"})):
        refused = carol.client.post(path, data={"csrf": csrf_of(page.text), "for": "alice",
                                                **fields})
        assert refused.status_code == 403 and 'data-code="forbidden"' in refused.text, path
    assert available(home, "alice") == 750
    assert rows(home, tb_redemptions) == 0 and rows(home, tb_donations) == 0
    alice = home.signed_in("alice", ALICE_PIN)
    fields = goods_form(alice, "rice")
    assert alice.client.post("/me/goods", data=fields).status_code == 303
    seen = carol.get(f"/me/redemptions/{fields['id']}")
    assert seen.status_code == 403 and "大米" not in seen.text


@pytest.mark.parametrize("quantity", ["", "0", "101", "1.5", "-1", "两", "9999"])
def test_a_bad_quantity_is_told_in_words(home: Home, quantity: str) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    answer = phone.client.post("/me/goods", data=goods_form(phone, "rice") | {
        "quantity": quantity})
    assert answer.status_code == 422, answer.text
    assert "请填写要几份：1 到 100 之间的整数。" in answer.text
    assert available(home, "alice") == 750


def test_unknown_goods_and_too_few_hours_are_coded_pages(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    unknown = phone.client.post("/me/goods", data=goods_form(phone, "rice") | {"goods": "tea"})
    assert unknown.status_code == 422 and 'data-code="goods_unknown"' in unknown.text
    too_many = phone.client.post("/me/goods", data=goods_form(phone, "oil") | {
        "quantity": "9"})
    assert too_many.status_code == 422 and "余额不够。" in too_many.text
    bad_id = phone.client.post("/me/goods", data=goods_form(phone, "oil") | {"id": "a b"})
    assert bad_id.status_code == 422
    assert available(home, "alice") == 750 and rows(home, tb_redemptions) == 0


@pytest.mark.parametrize("policy", [None])
def test_a_node_without_goods_says_so(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    page = phone.get("/me/goods")
    assert page.status_code == 200 and "本站不能用时间兑换物品。" in text_of(page.text)
    answer = phone.client.post("/me/goods", data={"csrf": csrf_of(page.text),
                                                  "id": "centre-goods-x", "goods": "rice",
                                                  "quantity": "1"})
    assert answer.status_code == 422 and 'data-code="goods_not_allowed"' in answer.text


def test_donating_to_the_pool_once(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    page = text_of(phone.get("/me/donate").text)
    assert "捐出的时间进入本站的爱心池" in page and "现在有 12 小时 30 分。" in page
    fields = donate_form(phone, hours="1", minutes="30")
    first = phone.client.post("/me/donate", data=fields)
    second = phone.client.post("/me/donate", data=fields)
    assert first.status_code == 303 and first.headers["location"] == second.headers["location"]
    assert first.headers["location"] == f"/me/donations/{fields['id']}"
    assert available(home, "alice") == 750 - 90 and rows(home, tb_donations) == 1
    pool = home.api.client.get("/api/v1/pool", headers=home.api.admin).json()
    assert pool["available_minutes"] == 90
    words = text_of(phone.get(first.headers["location"]).text)
    assert "已捐出 1 小时 30 分，进入本站的爱心池。" in words and "现在还有 11 小时" in words
    assert "捐给爱心池 −1 小时 30 分" in text_of(phone.get("/me").text)


def test_a_delegate_donates_for_the_elder_in_his_own_name(home: Home) -> None:
    sam = home.signed_in("sam", SAM_PIN)
    fields = donate_form(sam, member="alice", minutes="45")
    done = sam.client.post("/me/donate", data=fields)
    assert done.headers["location"] == f"/me/donations/{fields['id']}?for=alice"
    record = home.api.client.get(f"/api/v1/donations/{fields['id']}",
                                 headers=home.api.admin).json()
    assert record["member"] == "alice" and record["actor"] == "member:sam"
    assert available(home, "alice") == 750 - 45
    assert "您正在替 Alice 办事。" in text_of(sam.get(done.headers["location"]).text)


@pytest.mark.parametrize(("hours", "minutes"), [("", ""), ("0", "0"), ("", "60"), ("1.5", ""),
                                                ("-1", ""), ("abc", "")])
def test_a_bad_donation_amount_is_told_in_words(home: Home, hours: str, minutes: str) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    answer = phone.client.post("/me/donate", data=donate_form(phone, hours=hours,
                                                              minutes=minutes))
    assert answer.status_code == 422, answer.text
    assert "请填写整数的小时和 0 到 59 分钟" in answer.text
    assert available(home, "alice") == 750 and rows(home, tb_donations) == 0


def test_more_than_she_has_is_refused(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    answer = phone.client.post("/me/donate", data=donate_form(phone, hours="13"))
    assert answer.status_code == 422 and "余额不够。" in answer.text
    assert available(home, "alice") == 750


def test_forms_without_the_sessions_secret_are_refused(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    for path, fields in (("/me/goods", goods_form(phone, "rice")),
                         ("/me/donate", donate_form(phone, hours="1"))):
        for secret in ("", "not-the-secret"):
            answer: httpx.Response = phone.client.post(path, data=fields | {"csrf": secret})
            assert answer.status_code == 403 and "这个页面放得太久了" in answer.text, path
    assert available(home, "alice") == 750
    assert rows(home, tb_redemptions) == 0 and rows(home, tb_donations) == 0


def test_in_english_and_linked_from_home(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    phone.client.cookies.set("hb_me_lang", "en")
    assert "大米 5 公斤 1 h each" in text_of(phone.get("/me/goods").text)
    assert "Donated hours go to this node&#39;s care pool" in phone.get("/me/donate").text
    centre = home.signed_in("sam", SAM_PIN).get("/me?for=alice").text
    for path in ("/me/goods", "/me/donate", "/me/move"):
        assert f'href="{path}?for=alice"' in centre


def test_these_pages_own_their_error_sentences() -> None:
    mine = {key for key in BANK if key.startswith("error.")}
    assert mine and not mine & {f"error.{code}" for code in ERRORS}
    assert i18n.error_message("zh", "goods_unknown") == BANK["error.goods_unknown"][0]
