"""A visit priced 0 (checked out at once, its paper slip not yet recorded): the centre tells the
elder plainly that confirming gives the volunteer 0 分, not that hours go to him."""

from __future__ import annotations

from tests.node.centre.conftest import Home
from tests.node.centre.test_home import text_of
from tests.node.centre.test_needs import post_need, visited
from tests.node.people.support import ALICE_PIN


def test_a_visit_priced_0_says_so_before_she_confirms(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    zero = post_need(phone)
    visited(home, zero, minutes=0)
    words = text_of(phone.get(f"/me/needs/{zero}").text)
    assert "这次服务计 0 分" in words and "时间会付给志愿者" not in words
    paid = post_need(phone, description="买菜")
    visited(home, paid, minutes=30)
    words = text_of(phone.get(f"/me/needs/{paid}").text)
    assert "时间会付给志愿者" in words and "这次服务计 0 分" not in words
