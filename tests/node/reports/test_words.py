"""The report's units for people: hours and minutes, local time, Chinese labels."""

from __future__ import annotations

import pytest

from node.reconcile.records import DiscrepancyKind
from node.reports.node_data import AGE_BAND_NAMES, CLASSES, DISCREPANCY_AGES
from node.reports.words import code_label, failure_text, hours_text, local_time
from node.states import WindowState
from protocol.directory import NodeStatus
from protocol.statements import Disagreement

# 2026-12-07 06:30 UTC
MS = 1_796_625_000_000


@pytest.mark.parametrize(("minutes", "text"), [
    (500, "8 小时 20 分"), (480, "8 小时"), (45, "45 分"), (0, "0 分"), (60, "1 小时"),
    (-660, "-11 小时"), (-61, "-1 小时 1 分")])
def test_hours_text(minutes: int, text: str) -> None:
    assert hours_text(minutes) == text


def test_local_time_is_beijing_time_for_plus_480_and_names_any_other_offset() -> None:
    assert local_time(MS, 480) == "2026-12-07 14:30（北京时间）"
    assert local_time(MS, 0) == "2026-12-07 06:30（UTC+00:00）"
    assert local_time(MS, -210) == "2026-12-07 03:00（UTC-03:30）"
    assert local_time(MS + 10 * 3_600_000, 480) == "2026-12-08 00:30（北京时间）"


def test_every_code_a_report_shows_has_a_chinese_label() -> None:
    codes = [*AGE_BAND_NAMES, *CLASSES, *(name for _, name in DISCREPANCY_AGES),
             *WindowState, *DiscrepancyKind, *NodeStatus, *Disagreement, "80_plus"]
    unlabelled = [code for code in codes if code_label(code) == code]
    assert unlabelled == []
    assert code_label("80_plus") == "80 岁及以上"
    assert code_label("no_such_code") == "no_such_code"


@pytest.mark.parametrize(("error", "words"), [
    ("HTTP 404 checkpoint_not_found: no checkpoint yet", "节点尚无账本检查点"),
    ("no regulator token for sh-pudong", "没有该节点的监管令牌"),
    ("unreachable: ConnectError: refused", "节点无法连接"),
    ("signature: the report's signature does not verify", "报告未通过核验")])
def test_failure_text_says_why_in_words_and_keeps_the_collectors_text(error: str,
                                                                      words: str) -> None:
    assert failure_text(error) == f"{words}（{error}）"
