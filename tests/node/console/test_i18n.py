"""The message catalogue: both languages complete, and every page readable in each."""

from __future__ import annotations

import string

from fastapi.testclient import TestClient

from node.console import i18n, i18n_errors, i18n_member_edits, i18n_people
from node.errors import ErrorCode


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_every_message_with_the_same_placeholders() -> None:
    zh, en = i18n.CATALOGUE["zh"], i18n.CATALOGUE["en"]
    assert zh.keys() == en.keys()
    for key in zh:
        assert zh[key].strip() and en[key].strip(), key
        assert _fields(zh[key]) == _fields(en[key]), key


def test_unknown_error_codes_still_read_as_a_sentence() -> None:
    assert i18n.error_message("zh", "insufficient_funds") == "余额不足。"
    assert i18n.error_message("en", "some_new_code") == "This could not be done (some_new_code)."


def test_the_service_payment_refusals_read_in_both_languages() -> None:
    for code in ("separation_of_duties", "subsidy_cap_exceeded"):
        for lang in ("zh", "en"):
            assert i18n.error_message(lang, code) != i18n.translate(lang, "error.other",
                                                                      code=code), (code, lang)


def test_every_error_code_reads_as_a_sentence_in_both_languages() -> None:
    """Any page can meet any code a service raises (a new face, a new rule): none falls back
    to the general sentence. A new ErrorCode needs its two sentences here."""
    for code in ErrorCode:
        for lang in i18n.LANGUAGES:
            message = i18n.error_message(lang, code)
            assert message != i18n.translate(lang, "error.other", code=code), (code, lang)
            assert str(code) not in message, (code, lang)


def test_the_catalogue_parts_do_not_overlap() -> None:
    """The parts are merged with `|`: a key in two of them would silently lose one text."""
    labels: list[set[str]] = [set(i18n._BASE), set(i18n_people.PEOPLE),
                              set(i18n_member_edits.MEMBER_EDITS)]
    errors: list[set[str]] = [{str(code) for code in part} for part in (
        i18n._ERRORS, i18n_people.PEOPLE_ERRORS, i18n_errors.MORE_ERRORS,
        i18n_member_edits.MEMBER_EDITS_ERRORS)]
    for parts in (labels, errors):
        for i, part in enumerate(parts):
            for other in parts[i + 1:]:
                assert not part & other, part & other


def test_amounts_read_as_hours_and_minutes() -> None:
    assert i18n.hours_text("zh", 150) == "2 小时 30 分"
    assert i18n.hours_text("en", 120) == "2 h"
    assert i18n.hours_text("en", -45) == "-45 min"
    assert i18n.hours_text("zh", 0) == "0 分"


def test_chinese_is_the_default_and_english_is_a_click_away(staff: TestClient) -> None:
    zh = staff.get("/console/members/wang.fang")
    assert '<html lang="zh-CN">' in zh.text and "余额" in zh.text and "Balance" not in zh.text
    switched = staff.get("/console/lang", params={"to": "en", "next": "/console/members/wang.fang"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/console/members/wang.fang"
    en = staff.get("/console/members/wang.fang")
    assert '<html lang="en">' in en.text and "Balance" in en.text and "余额" not in en.text
    assert "Members" in staff.get("/console/members").text
    assert "There is no such member." in staff.get("/console/members/nobody").text
    assert staff.get("/console/lang", params={"to": "fr"}).status_code == 422
    back = staff.get("/console/lang", params={"to": "zh", "next": "https://evil.example"})
    assert back.headers["location"] == "/console/members"


def test_login_page_renders_in_both_languages(staff: TestClient) -> None:
    assert "工作人员登录" in staff.get("/console/login").text
    staff.get("/console/lang", params={"to": "en"})
    assert "Staff login" in staff.get("/console/login").text
