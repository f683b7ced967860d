"""The report's figures in the reader's units: hours and minutes, local time, Chinese labels.

Pure functions used by the report pages and CSV (render_html.py, render_csv.py), the summary
(summary.py) and the regulator's portal (node/portal/). Nothing here changes a signed figure:
the report's JSON stays in integer minutes, UTC milliseconds and codes; these are how a person
reads them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

MINUTES_PER_HOUR = 60
BEIJING_OFFSET_MINUTES = 480  # China Standard Time, the offset a report uses when none is given
MINUTE_MS = 60_000
# A code longer than this is not one of ours: shown as it is, never looked up.
CODE_CHARS_MAX = 64

# The sign of every position in every report (docs/reconciliation.md, "Who owes whom"):
# a node's position against a peer or the federation is the minutes the others owe it.
SIGN_LEGEND = ("正数：其他节点欠本节点的时数；负数：本节点欠其他节点的时数。"
               "Positive: minutes the others owe this node; negative: minutes it owes them.")

# The settlement figures (node/reports/settlement.py; docs/decisions.md, "Regional hubs
# (issue 18): settlement figures in the federation report"), said once for the page and the CSV.
SETTLEMENT_DEFINITION = (
    "双边头寸合计：每条链路上一方欠另一方的时数（按债权方的对账单）之和，即逐条链路结算时要"
    "转移的时数。多边净额：若每个节点只结清它对全联盟的净头寸，仍要转移的时数（各节点正的净头寸"
    "之和）。被取代：两者之差，即多边结算取代的双边头寸时数。"
    "Gross: the minutes owed on each link (as its creditor's statement states them), summed: "
    "what moves if every link settled on its own. Multilateral: what still moves if every node "
    "settled only its net position (the sum of the positive nets). Replaced: the difference, "
    "the minutes of bilateral positions a multilateral settlement replaces.")
HUB_DEFINITION = (
    "枢纽：链路图中有一条以上链路的节点。枢纽在一些链路上应收、在另一些链路上应付，两者中较小的"
    "部分在枢纽处相互抵消（抵消时数）；只转发的枢纽净头寸为零，抵消其双边头寸的一半。"
    "A hub is a node with more than one link in the link map. It is owed on some links and owes "
    "on others; the smaller of the two cancels at the hub (replaced). A hub that only forwards "
    "has a net of zero and replaces half of its gross.")
FULL_MESH = ("联盟没有链路图：任意两个节点直接往来（全网状），没有枢纽。"
             "The federation holds no link map: a full mesh, no hubs.")

_LABELS: dict[str, str] = {
    # holders' age bands (node/timebank/common.py AGE_BANDS)
    "under_18": "18 岁以下", "18_39": "18–39 岁", "40_59": "40–59 岁", "60_69": "60–69 岁",
    "70_79": "70–79 岁", "80_plus": "80 岁及以上", "unknown": "未知",
    # ages of discrepancies since found (node/reports/node_data.py DISCREPANCY_AGES)
    "under_1d": "不到 1 天", "1d_7d": "1–7 天", "7d_30d": "7–30 天", "30d_plus": "30 天以上",
    # credit classes (protocol/credit.py)
    "earned": "服务所得", "granted": "补助发放", "sponsored": "资助", "donated": "捐赠所得",
    "group_earned": "团队所得",
    # window states (node/states.py) and discrepancy statuses and outcomes
    "open": "未结", "matched": "已匹配", "disputed": "有争议", "closed": "已结",
    "repaired": "已修复", "carried": "已结转",
    # node statuses in the directory
    "active": "运行中", "suspended": "已暂停", "retired": "已退出",
    # what two statements disagree about (protocol/statements.py Disagreement)
    "window": "不是同一窗口", "chain": "链不一致", "entries": "转账记录不一致",
    "totals": "头寸不一致",
    # discrepancy kinds (node/reconcile/records.py DiscrepancyKind)
    "pending_across_cut": "截点时仍在途", "duplicate": "重复记账", "totals_differ": "合计不同",
    "entries_differ": "记录不同", "chain_break": "链断裂", "signature_break": "签名不符",
    "cut_behind": "截点遗漏交易", "field_mismatch": "字段不符", "missing_locally": "本方缺失",
    "missing_at_peer": "对方缺失", "state_mismatch": "状态不符",
    # the report's own verdicts
    "ok": "正常", "attention": "需关注", "yes": "是", "no": "否", "total": "合计",
    # attention items (node/reports/attention.py)
    "not collected": "未能收集节点报告", "link not matched": "链路未匹配",
    "hours past the last co-signed cut": "最后共签截点之后仍有时数",
    "open discrepancies": "有未结对账差异", "transfers in doubt": "有存疑转账",
    "frozen links": "有冻结链路",
    # why a node's report was not collected (error codes a node or the collector gives)
    "checkpoint_not_found": "节点尚无账本检查点", "unauthenticated": "令牌无效或缺失",
    "forbidden": "令牌无权查看报告", "route_not_found": "节点不提供报告",
    "report_invalid": "报告未通过核验", "report_not_collected": "报告未能收集",
    "overloaded": "节点繁忙", "internal_error": "节点内部错误", "unreachable": "节点无法连接",
    "no_token": "没有该节点的监管令牌", "peer_unreachable": "节点无法连接",
}


def code_label(code: str) -> str:
    """The Chinese label of a code a report shows; an unknown code is shown as it is."""
    return _LABELS.get(code, code)


def hours_text(minutes: int) -> str:
    """`8 小时 20 分`, `8 小时`, `45 分`, `0 分`. Callers say a debt's direction in words; a
    negative amount (a signed position in a table) keeps a leading minus sign."""
    if minutes < 0:
        return "-" + hours_text(-minutes)
    hours, rest = divmod(minutes, MINUTES_PER_HOUR)
    if hours and rest:
        return f"{hours} 小时 {rest} 分"
    return f"{hours} 小时" if hours else f"{rest} 分"


def offset_name(offset_minutes: int) -> str:
    """`北京时间` for +480, else `UTC+05:30` / `UTC-03:00`."""
    if offset_minutes == BEIJING_OFFSET_MINUTES:
        return "北京时间"
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), MINUTES_PER_HOUR)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def local_time(ms: int, offset_minutes: int) -> str:
    """`2026-12-07 14:30（北京时间）`: a UTC instant in ms at the given offset from UTC."""
    moment = datetime.fromtimestamp(ms / 1000, UTC) + timedelta(minutes=offset_minutes)
    return f"{moment:%Y-%m-%d %H:%M}（{offset_name(offset_minutes)}）"


_HTTP_CODE = re.compile(r"^HTTP \d{3} ([a-z_]+):")


def failure_text(error: str) -> str:
    """Why a node's report is missing, in words first, then the collector's own text
    (node/reports/collect.py): `节点尚无账本检查点（HTTP 404 checkpoint_not_found: …）`."""
    found = _HTTP_CODE.match(error)
    if found:
        code = found.group(1)
    elif error.startswith("no regulator token"):
        code = "no_token"
    elif error.startswith("unreachable"):
        code = "unreachable"
    else:
        code = error.split(":", 1)[0].strip()
    label = code_label(code) if len(code) <= CODE_CHARS_MAX else code
    if label == code:
        label = "报告未通过核验"  # every other reason is a check the report failed
    return f"{label}（{error}）"


@dataclass(frozen=True)
class Reader:
    """How one report is shown: node names from the directory, times at one UTC offset, and
    the sentence saying where that offset came from."""
    offset_minutes: int = BEIJING_OFFSET_MINUTES
    offset_note: str = ""
    names: Mapping[str, str] = field(default_factory=dict)

    def name(self, node: str) -> str:
        return self.names.get(node) or node

    def time(self, ms: int) -> str:
        return local_time(ms, self.offset_minutes)


def _offsets(doc: dict[str, Any]) -> set[int]:
    """The UTC offsets of the node policies a report states (a node report its own, a
    federation report each embedded node's)."""
    if "activity" in doc:
        return {int(doc["activity"]["utc_offset_minutes"])}
    return {int(row["utc_offset_minutes"]) for row in doc["aggregates"]["activity"]["by_node"]}


def reader_for(doc: dict[str, Any], *, names: Mapping[str, str] | None = None,
               utc_offset_minutes: int | None = None) -> Reader:
    """Times in the offset given, else the node policies' one when the report states exactly
    one (`service.utc_offset_minutes`), else Beijing time; the note says which."""
    found = _offsets(doc)
    if utc_offset_minutes is not None:
        offset, note = utc_offset_minutes, "时间按所选时区显示。"
    elif len(found) == 1:
        offset = found.pop()
        note = f"时间为节点政策规定的时区（{offset_name(offset)}）。"
    else:
        offset = BEIJING_OFFSET_MINUTES
        note = ("联盟目录未规定时区，各节点政策的时区不一或未知：时间按默认的北京时间"
                "（UTC+08:00）显示。")
    note += f" Times are local (UTC offset {offset:+d} min); the signed JSON keeps UTC ms."
    return Reader(offset_minutes=offset, offset_note=note, names=dict(names or {}))
