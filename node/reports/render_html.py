"""The report as one self-contained HTML page for people: headings in Chinese and English,
tables of every figure, and inline SVG charts (node/reports/svg.py). No script, no external
resource: the page reads the same offline as the day it was written."""

from __future__ import annotations

from html import escape
from typing import Any

from node.ledger.model import AccountKind
from node.reports import html_parts as parts
from node.reports.attention import attention
from node.reports.document import NODE_KIND
from node.reports.html_parts import table, when
from node.reports.svg import Series, bars, heatmap

STYLE = ("body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2em;max-width:60em}"
         "table{border-collapse:collapse;margin:.5em 0 1.5em}"
         "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}"
         "td:first-child,th:first-child{text-align:left}"
         "tr.total td{font-weight:bold}.bad{color:#b0413e}.ok{color:#2f6f2f}")
FEDERATION_WIDE = " — federation-wide 全联盟"


def _page(title: str, lead: str, sections: list[str]) -> str:
    return ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{escape(title)}</h1>{lead}{''.join(sections)}"
            "<p>核验 To verify: <code>hourbridge verify-report report.json --directory "
            "directory.json</code> — offline, from the directory's public keys alone.</p>"
            "</body></html>\n")


def _node_sections(doc: dict[str, Any]) -> list[str]:
    positions = doc["positions"]
    rows = positions["rows"]
    found = doc["discrepancies"]
    reserved = next((t["balance_minutes"] for t in doc["checkpoint"]["totals"]
                     if t["account_kind"] == AccountKind.PENDING), 0)
    return [
        "<h2>节点间头寸 Positions between nodes</h2>",
        bars("Closing position by peer (minutes the peer owes us)", [r["peer"] for r in rows],
             [Series("closing position", [r["closing_position_minutes"] for r in rows])],
             unit="min"),
        table(["peer 对方节点", "window 窗口", "state 状态", "closing position (min)"],
              [[r["peer"], r["window_index"], r["state"], r["closing_position_minutes"]]
               for r in rows], total=["net 净额", "", "", positions["net_position_minutes"]]),
        *parts.activity(doc["activity"], scope=""),
        *parts.liability(doc["liability"], scope=""),
        *parts.discrepancies(found, scope=""),
        table(["open discrepancy 未结差异", "peer", "window", "kind", "found", "detail"],
              [[i["id"][:12], i["peer"], i["window_index"], i["kind"], when(i["found_at_ms"]),
                i["detail"]] for i in found["open_items"]]),
        *parts.in_doubt(doc["in_doubt"], reserved_minutes=reserved),
        *parts.service(doc["service"]),
        *parts.unreconciled(doc["unreconciled"]),
    ]


def _position_sections(doc: dict[str, Any]) -> list[str]:
    nets, links, totals = doc["nets"], doc["links"], doc["totals"]
    nodes = [n["node"] for n in nets]
    cells = {(p["node"], p["peer"]): p["closing_position_minutes"] for p in doc["positions"]}
    peers = sorted({p["peer"] for p in doc["positions"]} | set(nodes))
    balanced = totals["net_position_minutes"] == 0
    return [
        "<h2>各节点对联盟的净头寸 Net position of each node against the federation</h2>",
        bars("Net position (minutes the rest of the federation owes the node)", nodes,
             [Series("net position 净头寸", [n["net_position_minutes"] for n in nets])],
             unit="min"),
        table(["node 节点", "links 链路", "net position (min)"],
              [[n["node"], n["links"], n["net_position_minutes"]] for n in nets],
              total=["total 合计", "", totals["net_position_minutes"]]),
        f'<p class="{"ok" if balanced else "bad"}">'
        + ("Net positions sum to zero. 净头寸合计为零。" if balanced else
           "Net positions do not sum to zero: see the unmatched links. 净头寸合计不为零。")
        + "</p>",
        "<h2>节点间头寸 Positions between nodes</h2>",
        heatmap("Closing position of each node (row) with each peer (column)", nodes, peers,
                cells),
        "<h2>链路对账 Links</h2>",
        f"<p>{totals['links']} links, {totals['matched']} matched 已匹配, "
        f"{totals['unmatched']} unmatched 未匹配.</p>",
        table(["link 链路", "matched 匹配", "reasons 原因"],
              [[f"{link['a']} – {link['b']}", "yes 是" if link["matched"] else "NO 否",
                "; ".join(link["reasons"])] for link in links]),
        *_past_cut(doc["unreconciled"]),
    ]


def _counted(found: dict[str, int] | None) -> list[Any]:
    return ["–", "–"] if found is None else [found["count"], found["sum_minutes"]]


def _past_cut(past: dict[str, Any]) -> list[str]:
    totals = past["totals"]
    return [
        "<h2>最后共签截点之后的时数 Hours past the last co-signed cut, by direction</h2>",
        parts.PAST_CUT_LEAD,
        table(["from 发出节点", "to 接收节点", "sender's window 发出方窗口", "sent 发出",
               "sent (min)", "receiver's window 接收方窗口", "received 收到", "received (min)"],
              [[r["from"], r["to"], r["sender_window_index"] or "–", *_counted(r["sent"]),
                r["receiver_window_index"] or "–", *_counted(r["received"])]
               for r in past["rows"]],
              total=["total 合计", "", "", *_counted(totals["sent"]), "",
                     *_counted(totals["received"])]),
    ]


def _attention(doc: dict[str, Any]) -> list[str]:
    found = attention(doc)
    if not found:
        return ["<h2>是否有异常 Is anything wrong?</h2>",
                '<p class="ok">No. Every node was collected, every link matched, no hours wait '
                "past a co-signed cut, nothing is in doubt or disputed. 无异常。</p>"]
    return ["<h2>是否有异常 Is anything wrong?</h2>",
            f'<p class="bad">To look at 需关注 ({len(found)}):</p>',
            table(["what 事项", "where 位置", "detail 详情"], [list(line) for line in found])]


def _federation_wide(doc: dict[str, Any]) -> list[str]:
    sums = doc["aggregates"]
    doubt, service = sums["in_doubt"], sums["service"]
    embedded = [[e["node"], e["report"]["checkpoint"]["height"], when(e["report"]["issued_at_ms"])]
                for e in doc["node_reports"]]
    missing = [[f["node"], f["error"]] for f in doc["node_report_failures"]]
    return [
        "<h2>节点报告 Node reports embedded</h2>",
        "<p>Each node's own signed report is embedded verbatim; the federation-wide figures "
        "below are their sums. 以下为各节点签名报告之合计。</p>",
        table(["node 节点", "checkpoint height 检查点高度", "issued 生成于"], embedded),
        table(["node report not collected 未能收集", "error 错误"], missing) if missing else "",
        *parts.activity(sums["activity"], scope=FEDERATION_WIDE),
        table(["node 节点", "UTC offset (min)", "issued", "redeemed", "expired"],
              [[r["node"], r["utc_offset_minutes"], r["issued_minutes"],
                r["redeemed_minutes"], r["expired_minutes"]] for r in sums["activity"]["by_node"]]),
        *parts.liability(sums["liability"], scope=FEDERATION_WIDE),
        table(["node 节点", "holders", "outstanding (min)", "supply (min, 365 d)", "volunteers"],
              [[r["node"], r["holders"], r["outstanding_minutes"], r["supply_minutes"],
                r["volunteers"]] for r in sums["liability"]["by_node"]]),
        *parts.discrepancies(sums["discrepancies"], scope=FEDERATION_WIDE),
        "<h3>Discrepancies by node 各节点对账差异</h3>",
        parts.open_closed_chart("Discrepancies by node", sums["discrepancies"]["by_node"],
                                "node"),
        table(["node 节点", "open 未结", "closed 已结"],
              [[r["node"], r["open"], r["closed"]] for r in sums["discrepancies"]["by_node"]]),
        "<h2>存疑转账 Transfers in doubt (each node at its report's time)</h2>",
        table(["node 节点", "in doubt 存疑", "minutes 分钟"],
              [[r["node"], r["count"], r["minutes"]] for r in doubt["by_node"]],
              total=["total 合计", doubt["totals"]["count"], doubt["totals"]["minutes"]]),
        "<h2>服务质量 Service quality (each node's signed claim, 365 days)</h2>",
        table(["node 节点", "posted", "completed", "cancelled", "ratings", "mean rating",
               "disputes", "open", "held (min)", "frozen links"],
              [[r["node"], r["posted"], r["completed"], r["cancelled"], r["ratings"],
                f"{r['rating_stars'] / r['ratings']:.2f}" if r["ratings"] else "–",
                r["disputes_raised"], r["disputes_open"], r["held_minutes"], r["frozen_links"]]
               for r in [*service["by_node"], {**service["totals"], "node": "total 合计"}]]),
    ]


def render_html(doc: dict[str, Any]) -> str:
    issued = when(doc["issued_at_ms"])
    if doc["kind"] == NODE_KIND:
        checkpoint = doc["checkpoint"]
        lead = (f"<p>Node 节点 <b>{escape(doc['node'])}</b>, issued 生成于 {issued}. Ledger "
                f"checkpoint 账本检查点: height {checkpoint['height']}, head "
                f"<code>{escape(checkpoint['head_hash'])}</code>. Signed by the node.</p>")
        return _page(f"节点报告 Node report: {doc['node']}", lead, _node_sections(doc))
    lead = (f"<p>Federation 联盟 <b>{escape(doc['federation_id'])}</b>, directory serial "
            f"{doc['directory_serial']} (hash <code>{escape(doc['directory_hash'][:16])}…</code>), "
            f"issued 生成于 {issued}, signed by the federation authority. Every node report below "
            "is embedded signed in report.json, with every statement and record inside it. "
            "Verify with the directory of that serial.</p>")
    return _page(f"联盟对账报告 Federation report: {doc['federation_id']}", lead,
                 _attention(doc) + _position_sections(doc) + _federation_wide(doc))
