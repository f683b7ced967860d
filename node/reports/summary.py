"""The three questions an official asks of a report, answered in words (issue 15):

    How many hours are outstanding?   the hours members hold, summed over the nodes
    Who owes whom?                     one debt per link, from the nodes' signed positions
    Is anything wrong?                 正常, or 需关注 with every reason in Chinese

One sign convention everywhere (docs/reconciliation.md, "Who owes whom"): a node's position
against a peer is the minutes the peer owes it, so a negative position is a debt of the node.
Read from a report document as signed (node/reports/federation.py, node_report.py); nothing
here is signed or checked: the summary is recomputable by anyone from the document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from node.reports.attention import attention
from node.reports.document import NODE_KIND
from node.reports.unreconciled import with_hours
from node.reports.words import code_label, failure_text, hours_text
from node.states import WindowState


@dataclass(frozen=True)
class Debt:
    """`debtor` owes `creditor` `minutes` (> 0)."""
    debtor: str
    debtor_name: str
    creditor: str
    creditor_name: str
    minutes: int

    def __post_init__(self) -> None:
        assert self.minutes > 0, self.minutes
        assert self.debtor != self.creditor, self.debtor


@dataclass(frozen=True)
class Summary:
    outstanding_minutes: int
    debts: tuple[Debt, ...]
    status: Literal["ok", "attention"]
    reasons: tuple[str, ...]  # in Chinese words, in the order to look at them


def name_of(names: Mapping[str, str], node: str) -> str:
    """The directory's name of a node, its id when the directory has none."""
    return names.get(node) or node


def debt_sentence(debt: Debt) -> str:
    """`上海浦东 欠 北京朝阳 8 小时`."""
    return f"{debt.debtor_name} 欠 {debt.creditor_name} {hours_text(debt.minutes)}"


def _debt(node: str, peer: str, position_minutes: int, names: Mapping[str, str]) -> Debt | None:
    """The debt `node`'s position against `peer` (minutes the peer owes it) states."""
    if position_minutes == 0:
        return None
    debtor, creditor = (peer, node) if position_minutes > 0 else (node, peer)
    return Debt(debtor=debtor, debtor_name=name_of(names, debtor), creditor=creditor,
                creditor_name=name_of(names, creditor), minutes=abs(position_minutes))


def _by_link(positions: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, int]]:
    """(a, b) with a < b -> each stating node's closing position against the other."""
    found: dict[tuple[str, str], dict[str, int]] = {}
    for row in positions:
        link = (min(row["node"], row["peer"]), max(row["node"], row["peer"]))
        found.setdefault(link, {})[row["node"]] = row["closing_position_minutes"]
    return found


def _agreed(link: tuple[str, str], stated: dict[str, int]) -> int | None:
    """a's position against b when both nodes state it and the two mirror each other."""
    a, b = link
    if a in stated and b in stated and stated[a] == -stated[b]:
        return stated[a]
    return None


def _largest_first(found: list[Debt]) -> tuple[Debt, ...]:
    return tuple(sorted(found, key=lambda d: (-d.minutes, d.debtor, d.creditor)))


def debts(positions: list[dict[str, Any]], names: Mapping[str, str], *,
          both_sides: bool = True) -> tuple[Debt, ...]:
    """One debt per link with a non-zero position, largest first. `both_sides` (a federation
    report): only links whose two nodes state mirroring positions; the others are claims
    (`claims`), and the link is unmatched with its reasons. Otherwise (a node report, one side
    only): every link as the node states it."""
    found = []
    for link, stated in sorted(_by_link(positions).items()):
        if both_sides:
            position = _agreed(link, stated)
            debt = None if position is None else _debt(link[0], link[1], position, names)
        else:
            node = next(iter(stated))
            debt = _debt(node, link[1] if node == link[0] else link[0], stated[node], names)
        if debt is not None:
            found.append(debt)
    return _largest_first(found)


def _claim(node: str, peer: str, position_minutes: int, names: Mapping[str, str]) -> str:
    me, other = name_of(names, node), name_of(names, peer)
    if position_minutes > 0:
        return f"{me} 称 {other} 欠它 {hours_text(position_minutes)}"
    if position_minutes < 0:
        return f"{me} 称它欠 {other} {hours_text(-position_minutes)}"
    return f"{me} 称与 {other} 两清"


def claims(positions: list[dict[str, Any]], names: Mapping[str, str]) -> tuple[str, ...]:
    """Links whose two nodes do not state mirroring positions (or only one states one), each
    side's claim in words: `北京朝阳 称 上海浦东 欠它 5 小时 10 分；上海浦东 称它欠 …`."""
    found = []
    for link, stated in sorted(_by_link(positions).items()):
        if _agreed(link, stated) is None:
            found.append("；".join(_claim(node, link[1] if node == link[0] else link[0],
                                         stated[node], names) for node in sorted(stated)))
    return tuple(found)


_LINK_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^no verified node report from (?P<a>\S+)$"), "未收到 {a} 的已核验报告"),
    (re.compile(r"^(?P<a>\S+) holds no window with (?P<b>\S+)$"), "{a} 没有与 {b} 的对账窗口"),
    (re.compile(r"^disputed at (?P<a>\S+)$"), "{a} 处对账有争议"),
    (re.compile(r"^a statement does not decode$"), "对账单无法解析"),
    (re.compile(r"^statements differ: (?P<code>\S+)$"), "双方对账单不一致：{code}"),
    (re.compile(r"^no co-signed record at (?P<a>\S+) and (?P<b>\S+)$"),
     "{a} 和 {b} 都没有共签记录"),
    (re.compile(r"^no co-signed record at (?P<a>\S+)$"), "{a} 没有共签记录"),
    (re.compile(r"^the two nodes hold different records$"), "双方持有的共签记录不同"),
    (re.compile(r"^open discrepancies at (?P<a>\S+): (?P<n>\d+)$"), "{a} 有 {n} 条未结对账差异"),
)


def link_reason_text(reason: str, names: Mapping[str, str]) -> str:
    """A reason of node/reports/figures.py's `link_problems` in Chinese words, with names;
    a reason not known here is shown as it is."""
    for pattern, text in _LINK_REASONS:
        found = pattern.match(reason)
        if found:
            parts = found.groupdict()
            return text.format(a=name_of(names, parts.get("a") or ""),
                               b=name_of(names, parts.get("b") or ""),
                               code=code_label(parts.get("code") or ""), n=parts.get("n"))
    return reason


def _side_text(found: dict[str, int] | None, node: str, verb: str,
               names: Mapping[str, str]) -> str:
    if found is None:
        return f"{name_of(names, node)} 的数字缺失"
    return (f"{name_of(names, node)} {verb} {found['count']} 笔，"
            f"共 {hours_text(found['sum_minutes'])}")


def past_cut_text(row: dict[str, Any], names: Mapping[str, str]) -> str:
    """One direction's hours past the last co-signed cut, both sides' counts, in words."""
    return (f"{name_of(names, row['from'])} → {name_of(names, row['to'])}："
            + "；".join((_side_text(row["sent"], row["from"], "称发出", names),
                        _side_text(row["received"], row["to"], "称收到", names))))


def federation_reasons(doc: dict[str, Any], names: Mapping[str, str]) -> list[str]:
    """Every attention item (node/reports/attention.py, in its order) as a sentence."""
    found = [f"{name_of(names, f['node'])} 未能收集节点报告：{failure_text(f['error'])}"
             for f in doc["node_report_failures"]]
    found += [f"{name_of(names, link['a'])} 与 {name_of(names, link['b'])} 链路未匹配："
              + "；".join(link_reason_text(r, names) for r in link["reasons"])
              for link in doc["links"] if not link["matched"]]
    found += [f"最后共签截点之后仍有时数：{past_cut_text(row, names)}"
              for row in with_hours(doc["unreconciled"])]
    sums = doc["aggregates"]
    found += [f"{name_of(names, r['node'])} 有 {r['open']} 条未结对账差异"
              for r in sums["discrepancies"]["by_node"] if r["open"]]
    found += [f"{name_of(names, r['node'])} 有 {r['count']} 笔存疑转账，"
              f"共 {hours_text(r['minutes'])}"
              for r in sums["in_doubt"]["by_node"] if r["count"]]
    found += [f"{name_of(names, r['node'])} 有 {r['frozen_links']} 条冻结链路"
              for r in sums["service"]["by_node"] if r["frozen_links"]]
    assert len(found) == len(attention(doc)), "summary and attention list differ"
    return found


def node_reasons(doc: dict[str, Any], names: Mapping[str, str]) -> list[str]:
    """What a node report alone shows is wrong: disputed links, open discrepancies, transfers
    in doubt, frozen links, hours past the last co-signed cut."""
    node = doc["node"]
    found = [f"与 {name_of(names, r['peer'])} 的对账有争议（窗口 {r['window_index']}）"
             for r in doc["positions"]["rows"] if r["state"] == WindowState.DISPUTED]
    found += [f"有 {n} 条未结对账差异" for n in [doc["discrepancies"]["totals"]["open"]] if n]
    doubt = doc["in_doubt"]
    if doubt["count"]:
        found.append(f"有 {doubt['count']} 笔存疑转账，共 {hours_text(doubt['minutes'])}")
    frozen = doc["service"]["frozen_links"]
    found += [f"与 {name_of(names, f['peer'])} 的链路已冻结" for f in frozen]
    for row in doc["unreconciled"]["rows"]:
        for side, verb in (("outgoing", "发出"), ("incoming", "收到")):
            if row[side]["sum_minutes"] > 0:
                found.append(f"{name_of(names, node)} 在与 {name_of(names, row['peer'])} "
                             f"最后共签截点之后{verb} {row[side]['count']} 笔，"
                             f"共 {hours_text(row[side]['sum_minutes'])}，尚未对账")
    return found


def positions_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every (node, peer, closing_position_minutes) row a report states, either kind."""
    if report["kind"] == NODE_KIND:
        return [{**row, "node": report["node"]} for row in report["positions"]["rows"]]
    return list(report["positions"])


def summarise(report: dict[str, Any], names: Mapping[str, str]) -> Summary:
    """The summary of a federation report (or of a node report: its own links as it states
    them). `names`: node id -> the directory's name."""
    if report["kind"] == NODE_KIND:
        outstanding = report["liability"]["totals"]["outstanding_minutes"]
        reasons = node_reasons(report, names)
    else:
        outstanding = report["aggregates"]["liability"]["totals"]["outstanding_minutes"]
        reasons = federation_reasons(report, names)
    return Summary(outstanding_minutes=outstanding,
                   debts=debts(positions_of(report), names,
                               both_sides=report["kind"] != NODE_KIND),
                   status="attention" if reasons else "ok", reasons=tuple(reasons))


def names_from_directory(directory: Mapping[str, Any]) -> dict[str, str]:
    """node id -> name, from a directory document (signed JSON) as the report was made with."""
    return {str(n["node_id"]): str(n["name"]) for n in directory.get("nodes", [])}
