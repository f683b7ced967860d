"""The centre's catalogue: every message in both languages with the same placeholders, and the
formats a person reads."""

from __future__ import annotations

import string

from node.centre import i18n, lines
from node.ledger.model import EntryKind
from node.notify.texts import Names
from node.people.centre import CentreFacts
from node.timebank.common import TimebankEntry
from tests.support import START_MS


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_has_both_languages_with_the_same_placeholders() -> None:
    zh, en = i18n.CATALOGUE["zh"], i18n.CATALOGUE["en"]
    assert zh.keys() == en.keys()
    for key in zh:
        assert zh[key].strip() and en[key].strip(), key
        if key != "date.full":  # English names the month, Chinese numbers it
            assert _fields(zh[key]) == _fields(en[key]), key


def test_amounts_read_as_hours_and_minutes() -> None:
    assert i18n.hours_text("zh", 750) == "12 小时 30 分"
    assert i18n.hours_text("zh", 60) == "1 小时"
    assert i18n.hours_text("en", 45) == "45 min"
    assert i18n.signed_hours("zh", -75) == "−1 小时 15 分"
    assert i18n.signed_hours("en", 75) == "+1 h 15 min"


def test_dates_are_china_time() -> None:
    assert i18n.date_text("zh", 0) == "1970年1月1日 08:00"
    assert i18n.date_text("en", 0) == "1 January 1970, 08:00"
    assert i18n.date_text("zh", START_MS).startswith("20")


def test_errors_fall_back_to_a_plain_sentence() -> None:
    assert i18n.error_message("zh", "insufficient_funds") == "余额不够。"
    assert i18n.error_message("en", "no_such_code").startswith("This could not be done.")
    assert i18n.minutes_until(1) == 1 and i18n.minutes_until(900_000) == 15


def test_every_kind_of_journal_entry_has_words_of_its_own() -> None:
    """A statement line never falls back to "other" for an entry the node itself writes."""
    words = lines.Words(lang="zh", me="alice", node_id="sh-pudong", names=Names(),
                        facts=CentreFacts(people={}, services={}, kin={}, heights={}))
    kinds = [*EntryKind, *TimebankEntry]
    titled = {kind.value: lines.title(words, {"kind": kind.value, "amount_minutes": 10,
                                              "height": 1, "counterparty": []})
              for kind in kinds}
    assert [kind for kind, text in titled.items() if text == i18n.translate("zh", "line.other")
            ] == []
