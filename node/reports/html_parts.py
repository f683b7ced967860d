"""Pieces of the report page shared by the node and the federation report: a table, and a chart
with its table for each of the figures both carry (activity, liability, discrepancies), plus
the node's transfers in doubt and service quality. Headings in Chinese and English; amounts in
hours and minutes, times local, codes labelled and nodes named (a `Reader`,
node/reports/words.py)."""

from __future__ import annotations

from html import escape
from typing import Any

from node.reports.node_data import CLASSES
from node.reports.svg import Series, bars
from node.reports.words import Reader, code_label, hours_text

CHART_DAYS_MAX = 60


def _cells(header: list[str], row: list[Any]) -> str:
    """Each cell labelled with its column: a phone shows a row as a card of `label: value`
    lines (render_html.py's style), since a wide table cannot fit 390 px."""
    return "".join(f'<td data-label="{escape(header[i]) if i < len(header) else ""}">'
                   f"{escape(str(cell))}</td>" for i, cell in enumerate(row))


def table(header: list[str], rows: list[list[Any]], *, total: list[Any] | None = None) -> str:
    """A table that never widens the page: on a wide screen it scrolls inside its own box, on
    a narrow one each row stacks into a card."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(f"<tr>{_cells(header, row)}</tr>" for row in rows)
    if total is not None:
        body += f'<tr class="total">{_cells(header, total)}</tr>'
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            "</table></div>")


def activity(found: dict[str, Any], *, scope: str) -> list[str]:
    days = found["rows"][-CHART_DAYS_MAX:]
    totals = found["totals"]
    return [
        f"<h2>发放与兑换 Issuance and redemption over time{scope}</h2>",
        bars("每日发放、兑换与过期的时数 Hours issued, redeemed and expired per day",
             [d["day"] for d in days],
             [Series("发放 issued", [d["issued_minutes"] for d in days]),
              Series("兑换 redeemed", [d["redeemed_minutes"] for d in days]),
              Series("过期 expired", [d["expired_minutes"] for d in days])], label=hours_text),
        table(["日期 day", *(f"发放：{code_label(c)}" for c in CLASSES), "发放合计 issued",
               "兑换 redeemed", "过期 expired"],
              [[d["day"], *(hours_text(d["issued_by_class"].get(c, 0)) for c in CLASSES),
                hours_text(d["issued_minutes"]), hours_text(d["redeemed_minutes"]),
                hours_text(d["expired_minutes"])] for d in found["rows"]],
              total=["合计 total", *(hours_text(totals["issued_by_class"].get(c, 0))
                                     for c in CLASSES),
                     hours_text(totals["issued_minutes"]), hours_text(totals["redeemed_minutes"]),
                     hours_text(totals["expired_minutes"])]),
    ]


def liability(found: dict[str, Any], *, scope: str) -> list[str]:
    rows = found["rows"]
    totals = found["totals"]
    return [
        "<h2>按持有人年龄的未兑付时数与志愿者供给 Outstanding hours by holder age against "
        f"volunteer supply{scope}</h2>",
        bars("各年龄段持有人未兑付的时数，与该年龄段志愿者近 365 天服务所得 Outstanding hours "
             "by holder age band, and hours earned by volunteers of that age in 365 days",
             [code_label(r["age_band"]) for r in rows],
             [Series("未兑付 outstanding", [r["outstanding_minutes"] for r in rows]),
              Series("供给 supply (365 天)", [r["supply_minutes"] for r in rows])],
             label=hours_text),
        table(["年龄段 age band", "持有人 holders", "未兑付 outstanding", "供给 supply (365 天)",
               "志愿者 volunteers"],
              [[code_label(r["age_band"]), r["holders"], hours_text(r["outstanding_minutes"]),
                hours_text(r["supply_minutes"]), r["volunteers"]] for r in rows],
              total=["合计 total", totals["holders"], hours_text(totals["outstanding_minutes"]),
                     hours_text(totals["supply_minutes"]), totals["volunteers"]]),
    ]


NO_DISCREPANCY = "<p>从未发现对账差异。No discrepancy was ever found.</p>"


def open_closed_chart(title: str, rows: list[dict[str, Any]], key: str,
                      reader: Reader | None = None) -> str:
    """Open and closed discrepancies per row; a sentence instead of an empty chart. `key`:
    the row's code (an age) or node (named by `reader`)."""
    if not any(r["open"] or r["closed"] for r in rows):
        return NO_DISCREPANCY
    shown = [reader.name(r[key]) if reader else code_label(r[key]) for r in rows]
    return bars(title, shown, [Series("未结 open", [r["open"] for r in rows]),
                               Series("已结 closed", [r["closed"] for r in rows])])


def discrepancies(found: dict[str, Any], *, scope: str) -> list[str]:
    rows = found["rows"]
    return [
        f"<h2>对账差异（按时长） Discrepancies by age{scope}</h2>",
        open_closed_chart("按发现至今时长的对账差异 Discrepancies by age since found", rows,
                          "age"),
        table(["发现至今 age", "未结 open", "已结 closed"],
              [[code_label(r["age"]), r["open"], r["closed"]] for r in rows],
              total=["合计 total", found["totals"]["open"], found["totals"]["closed"]]),
    ]


def in_doubt(found: dict[str, Any], *, reserved_minutes: int, reader: Reader) -> list[str]:
    listed = table(["转账 transfer", "对方节点 peer", "时数 amount", "存疑起 in doubt since"],
                   [[i["transfer_id"], reader.name(i["peer"]), hours_text(i["amount_minutes"]),
                     reader.time(i["since_ms"])] for i in found["items"]]
                   ) if found["items"] else ""
    return [
        "<h2>存疑转账 Transfers in doubt</h2>",
        f"<p>报告时有 {found['count']} 笔转出存疑（已过期而对方节点未给最终答复），共 "
        f"{hours_text(found['minutes'])}。账本检查点时，为未完成的转出预留了 "
        f"{hours_text(reserved_minutes)}（在途与存疑，已签入检查点）。At the report's time: "
        f"{found['count']} outgoing transfers in doubt.</p>", listed,
    ]


def service(found: dict[str, Any], reader: Reader) -> list[str]:
    requests, ratings, disputes = found["requests"], found["ratings"], found["disputes"]
    mean = f"{ratings['sum'] / ratings['count']:.2f}" if ratings["count"] else "–"
    stars = ratings["distribution"]
    return [
        "<h2>服务质量 Service quality</h2>",
        f"<p>{reader.time(found['from_ms'])} 至 {reader.time(found['to_ms'])} 发布的服务需求；"
        "节点签名的声明，只核对其自身一致。The node's signed claim, checked only for agreeing "
        "with itself.</p>",
        bars("评价（星级） Ratings (stars)", [f"{s} 星" for s in stars],
             [Series("评价数 ratings", list(stars.values()))]),
        table(["发布 posted", "完成 completed", "取消 cancelled", "评价 ratings",
               "平均星级 mean", "争议 disputes", "未结 open", "冻结时数 held"],
              [[requests["posted"], requests["completed"], requests["cancelled"],
                ratings["count"], mean, disputes["raised"], disputes["open"],
                hours_text(disputes["held_minutes"])]]),
        table(["冻结链路 frozen link", "原因 reason", "起 since", "预留 reserved"],
              [[reader.name(f["peer"]), code_label(f["reason"]), reader.time(f["since_ms"]),
                hours_text(f["reserved_minutes"])] for f in found["frozen_links"]])
        if found["frozen_links"] else "<p>无冻结链路。No link is frozen.</p>",
    ]


PAST_CUT_LEAD = ("<p>尚未纳入共签对账窗口的时数：每条链路最后一个共签窗口截点之后已提交的转账"
                 "（及迁移）。它们等到下一个窗口匹配；长期停留的，或一方收到而另一方从未发出的，"
                 "需要运营者查看。Committed transfers after the cuts of each link's last "
                 "co-signed window.</p>")


def unreconciled(found: dict[str, Any], reader: Reader) -> list[str]:
    """A node's hours past each link's last co-signed cut (at the report's time)."""
    totals = found["totals"]
    return [
        "<h2>最后共签截点之后的时数 Hours past the last co-signed cut (at the report's time)"
        "</h2>", PAST_CUT_LEAD,
        table(["对方节点 peer", "最后共签窗口 last co-signed window", "发出截点 outgoing cut",
               "收到截点 incoming cut", "发出笔数 sent", "发出时数", "收到笔数 received",
               "收到时数"],
              [[reader.name(r["peer"]), r["window_index"] or "无 none", r["outgoing_cut"],
                r["incoming_cut"], r["outgoing"]["count"],
                hours_text(r["outgoing"]["sum_minutes"]), r["incoming"]["count"],
                hours_text(r["incoming"]["sum_minutes"])] for r in found["rows"]],
              total=["合计 total", "", "", "", totals["outgoing"]["count"],
                     hours_text(totals["outgoing"]["sum_minutes"]), totals["incoming"]["count"],
                     hours_text(totals["incoming"]["sum_minutes"])]),
    ]
