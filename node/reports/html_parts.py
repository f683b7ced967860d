"""Pieces of the report page shared by the node and the federation report: a table, and a chart
with its table for each of the figures both carry (activity, liability, discrepancies), plus
the node's transfers in doubt and service quality. Headings in Chinese and English."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from node.reports.node_data import CLASSES
from node.reports.svg import Series, bars

CHART_DAYS_MAX = 60


def when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def table(header: list[str], rows: list[list[Any]], *, total: list[Any] | None = None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    if total is not None:
        body += ('<tr class="total">' + "".join(f"<td>{escape(str(c))}</td>" for c in total)
                 + "</tr>")
    return f"<table><tr>{head}</tr>{body}</table>"


def activity(found: dict[str, Any], *, scope: str) -> list[str]:
    days = found["rows"][-CHART_DAYS_MAX:]
    totals = found["totals"]
    return [
        f"<h2>发放与兑换 Issuance and redemption over time{scope}</h2>",
        bars("Minutes issued, redeemed and expired per day", [d["day"] for d in days],
             [Series("issued 发放", [d["issued_minutes"] for d in days]),
              Series("redeemed 兑换", [d["redeemed_minutes"] for d in days]),
              Series("expired 过期", [d["expired_minutes"] for d in days])], unit="min"),
        table(["day 日期", *(f"issued {c}" for c in CLASSES), "issued", "redeemed", "expired"],
              [[d["day"], *(d["issued_by_class"].get(c, 0) for c in CLASSES),
                d["issued_minutes"], d["redeemed_minutes"], d["expired_minutes"]]
               for d in found["rows"]],
              total=["total 合计", *(totals["issued_by_class"].get(c, 0) for c in CLASSES),
                     totals["issued_minutes"], totals["redeemed_minutes"],
                     totals["expired_minutes"]]),
    ]


def liability(found: dict[str, Any], *, scope: str) -> list[str]:
    rows = found["rows"]
    return [
        "<h2>按持有人年龄的未兑付时数与志愿者供给 Outstanding hours by holder age against "
        f"volunteer supply{scope}</h2>",
        bars("Outstanding minutes by holder age band, and minutes earned by volunteers of that "
             "age in the last 365 days", [r["age_band"] for r in rows],
             [Series("outstanding 未兑付", [r["outstanding_minutes"] for r in rows]),
              Series("supply 供给 (365 d)", [r["supply_minutes"] for r in rows])], unit="min"),
        table(["age band 年龄段", "holders 持有人", "outstanding (min)", "supply (min, 365 d)",
               "volunteers 志愿者"],
              [[r["age_band"], r["holders"], r["outstanding_minutes"], r["supply_minutes"],
                r["volunteers"]] for r in rows],
              total=["total 合计", *found["totals"].values()]),
    ]


NO_DISCREPANCY = "<p>No discrepancy was ever found. 从未发现对账差异。</p>"


def open_closed_chart(title: str, rows: list[dict[str, Any]], key: str) -> str:
    """Open and closed discrepancies per row; a sentence instead of an empty chart."""
    if not any(r["open"] or r["closed"] for r in rows):
        return NO_DISCREPANCY
    return bars(title, [r[key] for r in rows], [Series("open 未结", [r["open"] for r in rows]),
                                                Series("closed 已结", [r["closed"] for r in rows])])


def discrepancies(found: dict[str, Any], *, scope: str) -> list[str]:
    rows = found["rows"]
    return [
        f"<h2>对账差异（按时长） Discrepancies by age{scope}</h2>",
        open_closed_chart("Discrepancies by age since found", rows, "age"),
        table(["age 时长", "open 未结", "closed 已结"],
              [[r["age"], r["open"], r["closed"]] for r in rows],
              total=["total 合计", found["totals"]["open"], found["totals"]["closed"]]),
    ]


def in_doubt(found: dict[str, Any], *, reserved_minutes: int) -> list[str]:
    listed = table(["transfer 转账", "peer 对方节点", "minutes 分钟", "in doubt since 存疑起"],
                   [[i["transfer_id"], i["peer"], i["amount_minutes"], when(i["since_ms"])]
                    for i in found["items"]]) if found["items"] else ""
    return [
        "<h2>存疑转账 Transfers in doubt</h2>",
        f"<p>At the report's time 报告时: {found['count']} outgoing transfers in doubt "
        f"(expired with no final answer from the peer), {found['minutes']} min. At the "
        f"checkpoint, {reserved_minutes} min were reserved for open outgoing transfers (pending "
        "and in doubt; signed in the checkpoint).</p>", listed,
    ]


def service(found: dict[str, Any]) -> list[str]:
    requests, ratings, disputes = found["requests"], found["ratings"], found["disputes"]
    mean = f"{ratings['sum'] / ratings['count']:.2f}" if ratings["count"] else "–"
    stars = ratings["distribution"]
    return [
        "<h2>服务质量 Service quality</h2>",
        f"<p>Requests posted {when(found['from_ms'])} – {when(found['to_ms'])}; the node's "
        "signed claim, checked only for agreeing with itself. 节点签名声明。</p>",
        bars("Ratings (stars)", list(stars), [Series("ratings 评价", list(stars.values()))]),
        table(["posted 发布", "completed 完成", "cancelled 取消", "ratings 评价",
               "mean rating 平均", "disputes raised 争议", "open 未结", "held (min) 冻结"],
              [[requests["posted"], requests["completed"], requests["cancelled"],
                ratings["count"], mean, disputes["raised"], disputes["open"],
                disputes["held_minutes"]]]),
        table(["frozen link 冻结链路", "reason 原因", "since 起", "reserved (min)"],
              [[f["peer"], f["reason"], when(f["since_ms"]), f["reserved_minutes"]]
               for f in found["frozen_links"]])
        if found["frozen_links"] else "<p>No link is frozen. 无冻结链路。</p>",
    ]


PAST_CUT_LEAD = ("<p>Committed transfers (and relocations) after the cuts of each link's last "
                 "co-signed window: in no co-signed window yet. They sit there until the next "
                 "window matches; hours that stay there, or that one side received but the "
                 "other never sent, are for an operator to look at. 尚未纳入共签对账窗口的时数。"
                 "</p>")


def unreconciled(found: dict[str, Any]) -> list[str]:
    """A node's hours past each link's last co-signed cut (at the report's time)."""
    totals = found["totals"]
    return [
        "<h2>最后共签截点之后的时数 Hours past the last co-signed cut (at the report's time)"
        "</h2>", PAST_CUT_LEAD,
        table(["peer 对方节点", "last co-signed window 最后共签窗口", "outgoing cut",
               "incoming cut", "sent 发出", "sent (min)", "received 收到", "received (min)"],
              [[r["peer"], r["window_index"] or "none 无", r["outgoing_cut"], r["incoming_cut"],
                r["outgoing"]["count"], r["outgoing"]["sum_minutes"], r["incoming"]["count"],
                r["incoming"]["sum_minutes"]] for r in found["rows"]],
              total=["total 合计", "", "", "", totals["outgoing"]["count"],
                     totals["outgoing"]["sum_minutes"], totals["incoming"]["count"],
                     totals["incoming"]["sum_minutes"]]),
    ]
