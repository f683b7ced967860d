"""The words: every message in both languages with the same placeholders, a sentence for every
kind (and every complaint outcome), amounts in hours and minutes, and names from the right
place (the policy's items, the standard's categories, the directory's node names)."""

from __future__ import annotations

import string

import pytest

from node.notify.store import Stored
from node.notify.texts import CATALOGUE, Facts, Names, amount_text, render
from node.states import DisputeOutcome, NotificationKind

FACTS = Facts(people={"vol": "陈志强", "gran": "王秀英"},
              services={"r1": ("daily_living", "sweep"), "r2": ("health", None),
                        "r3": ("gardening", None)})
NAMES = Names(items={"sweep": "上门打扫"}, categories={"gardening": "园艺 Gardening"},
              node_name={"sh-pudong": "上海浦东"}.get)
PAYLOADS: dict[NotificationKind, dict[str, int | str]] = {
    NotificationKind.REQUEST_TAKEN: {"request": "r1", "volunteer": "vol"},
    NotificationKind.VOLUNTEER_ARRIVING: {"request": "r1", "volunteer": "vol"},
    NotificationKind.VISIT_CONFIRMED: {"request": "r1", "recipient": "gran",
                                       "credited_minutes": 90},
    NotificationKind.HOURS_RECEIVED: {"transfer": "t" * 32, "sender": "chen@sh-pudong",
                                      "node": "sh-pudong", "amount_minutes": 180,
                                      "purpose": "gift"},
    NotificationKind.PAYMENT_REQUEST_WAITING: {"payee": "zoe@nj-gulou", "node": "nj-gulou",
                                               "request": "w" * 32, "amount_minutes": 45},
    NotificationKind.COMPLAINT_RESOLVED: {"request": "r2", "outcome": "partial",
                                          "released_minutes": 30, "refunded_minutes": 15},
}


def _note(kind: NotificationKind, **payload: int | str) -> Stored:
    return Stored(id=1, member_local_id="gran", kind=kind,
                  payload={**PAYLOADS[kind], **payload}, created_at_ms=0, read_at_ms=None)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_both_languages_say_it_with_the_same_placeholders(key: str) -> None:
    zh, en = CATALOGUE[key]
    assert zh.strip() and en.strip()
    assert _fields(zh) == _fields(en)


def test_every_kind_and_outcome_has_its_words() -> None:
    for kind in NotificationKind:
        assert f"title.{kind.value}" in CATALOGUE
        render(_note(kind), FACTS, NAMES)  # no missing key or placeholder
    for outcome in DisputeOutcome:
        assert f"text.complaint_resolved.{outcome.value}" in CATALOGUE


def test_words_an_elder_understands() -> None:
    said = {kind: render(_note(kind), FACTS, NAMES).text["zh"] for kind in NotificationKind}
    assert said[NotificationKind.REQUEST_TAKEN] == "陈志强 已接下您的“上门打扫”需求。"
    assert said[NotificationKind.VISIT_CONFIRMED] == (
        "王秀英 已确认您的“上门打扫”服务，您得到 1 小时 30 分。谢谢您！")
    assert said[NotificationKind.HOURS_RECEIVED] == (
        "您收到 3 小时，来自 上海浦东 的 chen。")
    assert said[NotificationKind.COMPLAINT_RESOLVED] == (
        "关于“医疗保健”的投诉已处理：志愿者得到 30 分，退回 15 分。")
    english = render(_note(NotificationKind.PAYMENT_REQUEST_WAITING), FACTS, NAMES).text["en"]
    assert english == ("zoe at nj-gulou asks you to pay 45 min for a service. "
                       "Please approve or decline.")


def test_names_fall_back_without_failing() -> None:
    """A policy's own category, a request or member no longer found, a visit over the caps."""
    own = render(_note(NotificationKind.REQUEST_TAKEN, request="r3"), FACTS, NAMES)
    assert own.text["zh"] == "陈志强 已接下您的“园艺 Gardening”需求。"
    gone = render(_note(NotificationKind.REQUEST_TAKEN, request="r9", volunteer="ghost"),
                  FACTS, NAMES)
    assert gone.text["en"] == "ghost has taken your request: a service."
    capped = render(_note(NotificationKind.VISIT_CONFIRMED, credited_minutes=0), FACTS, NAMES)
    assert "爱心池" in capped.text["zh"] and "donation pool" in capped.text["en"]


@pytest.mark.parametrize(("minutes", "zh", "en"), [
    (0, "0 分", "0 min"), (45, "45 分", "45 min"), (60, "1 小时", "1 h"),
    (75, "1 小时 15 分", "1 h 15 min"), (600, "10 小时", "10 h"),
])
def test_amounts_in_hours_and_minutes(minutes: int, zh: str, en: str) -> None:
    assert amount_text(minutes) == {"zh": zh, "en": en}
