"""Service standards and exchange rates (/me/rates): the node's policy and the directory it
holds, read in words by any signed-in member; nothing on the page is written in the page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from node.clock import FakeClock
from node.runtime import Node
from tests.node.centre.conftest import CHEN_PIN, PEER, Home
from tests.node.centre.test_home import text_of
from tests.node.people.support import ALICE_PIN, SAM_PIN
from tests.support import build_node, directory_document, make_config

WEIGHTS = {"daily_living": 100, "health": 150, "home_safety": 120,
           "education_recreation": 80, "professional": 200, "meals": 50}
POLICY: dict[str, Any] = {
    "programme": "test_rates", "name": "测试时间银行",
    "unit": {"step_minutes": 15},
    "categories": [{"code": code, "name": f"Kind {code} 类别{i}", "weight_percent": weight}
                   for i, (code, weight) in enumerate(WEIGHTS.items())],
    "goods": {"allowed": True, "items": [
        {"code": "rice", "name": "Rice, 5 kg 大米", "price_minutes": 120},
        {"code": "oil", "name": "Cooking oil 食用油", "price_minutes": 150}]},
    "redeemer": {"min_age": 60, "hardship_min_age": 55},
}


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


def with_units(home: Home) -> None:
    """A newer directory: this node counts in time coins worth an hour, nj-gulou in points."""
    home.api.node.federation.accept(directory_document(
        ["sh-pudong", PEER], serial=2,
        local_units={"sh-pudong": ("时间币", 1, 60), PEER: ("积分", 10, 1)}))


def test_signed_out_goes_to_sign_in_and_comes_back(home: Home) -> None:
    answer = home.phone().get("/me/rates")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/me/login?next=%2Fme%2Frates"
    phone = home.phone()
    signed = phone.sign_in("alice", ALICE_PIN, next_path="/me/rates")
    assert signed.status_code == 303 and signed.headers["location"] == "/me/rates"
    assert phone.get("/me/rates").status_code == 200


def test_every_category_of_the_policy_with_its_weight_and_an_hour_s_worth(home: Home) -> None:
    page = home.signed_in("chen", CHEN_PIN).get("/me/rates")
    assert page.status_code == 200, page.text
    words = text_of(page.text)
    policy = home.api.node.timebank.policy
    assert [c.code for c in policy.categories] == list(WEIGHTS)
    for category in policy.categories:
        assert (f'data-category="{category.code}" data-weight="{category.weight_percent}"'
                in page.text)
        assert f"{category.name} · 权重 {category.weight_percent}%" in words
    assert "每 15 分为一档" in words
    assert "类别1 · 权重 150% · 服务 1 小时，记 1 小时 30 分" in words
    assert "类别4 · 权重 200% · 服务 1 小时，记 2 小时" in words
    assert "类别5 · 权重 50% · 服务 1 小时，记 30 分" in words


def test_goods_with_prices_and_who_may_redeem_them(home: Home) -> None:
    words = text_of(home.signed_in("alice", ALICE_PIN).get("/me/rates").text)
    assert "Rice, 5 kg 大米 · 2 小时" in words
    assert "Cooking oil 食用油 · 2 小时 30 分" in words
    assert "年满 60 岁的会员可以兑换。" in words
    assert "经工作人员认定生活困难的，年满 55 岁就可以兑换。" in words
    assert "需是本地居民" not in words


def test_this_node_s_unit_and_the_other_nodes_of_the_directory(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    before = text_of(phone.get("/me/rates").text)
    assert "本站直接用小时和分钟记账。" in before
    assert "在 nj-gulou，直接用小时和分钟" in before
    assert "在 sh-pudong，直接用小时和分钟（本站）" in before
    with_units(home)
    words = text_of(phone.get("/me/rates").text)
    assert "本站用“时间币”记账：1 时间币 = 1 小时。" in words
    assert "在 nj-gulou，1 小时 = 600 积分" in words
    assert "在 sh-pudong，1 小时 = 1 时间币（本站）" in words
    assert "一小时在哪里都是一小时（通存通兑）" in words and "时间不能换成钱。" in words


def test_in_english(home: Home) -> None:
    with_units(home)
    phone = home.signed_in("alice", ALICE_PIN)
    phone.client.cookies.set("hb_me_lang", "en")
    words = text_of(phone.get("/me/rates").text)
    assert "At nj-gulou, 1 hour = 600 积分" in words and "An hour is an hour everywhere" in words
    assert "Rice, 5 kg 大米 · 2 h" in words and "Members aged 60 or over may redeem." in words


@pytest.mark.parametrize("policy", [None])
def test_the_default_policy_buys_no_goods_and_weighs_every_kind_alike(home: Home) -> None:
    page = home.signed_in("alice", ALICE_PIN).get("/me/rates")
    words = text_of(page.text)
    assert "本站不能用时间兑换物品。" in words and "可以兑换" not in words
    assert "按服务的实际时间记，算到分钟。" in words
    assert page.text.count('data-weight="100"') == 5
    assert "Daily living 生活照料 · 权重 100% · 服务 1 小时，记 1 小时" in words


def test_a_delegate_reads_it_for_the_elder_and_home_links_to_it(home: Home) -> None:
    phone = home.signed_in("sam", SAM_PIN)
    page = phone.get("/me/rates?for=alice")
    assert page.status_code == 200 and "Alice" in text_of(page.text)
    assert 'href="/me/rates?for=alice"' in phone.get("/me?for=alice").text
    assert 'href="/me/rates"' in phone.get("/me").text
