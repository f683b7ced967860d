"""The report as one self-contained HTML page for people: first a summary answering the three
questions in words (node/reports/summary.py), then every figure in tables and inline SVG
charts (node/reports/svg.py). Hours and minutes, local time, node names from the directory,
a Chinese label for every code and a legend for the sign of positions (node/reports/words.py).
Fits a 390 px phone: wide tables scroll inside their own box and charts scale down. No script,
no external resource: the page reads the same offline as the day it was written."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from node.ledger.model import AccountKind
from node.reports import html_parts as parts
from node.reports.attention import attention
from node.reports.document import NODE_KIND
from node.reports.html_parts import table
from node.reports.settlement_html import settlement_section
from node.reports.summary import (
    claims,
    debt_sentence,
    link_reason_text,
    positions_of,
    summarise,
)
from node.reports.svg import Series, bars, heatmap
from node.reports.words import SIGN_LEGEND, Reader, code_label, hours_text, reader_for
from node.version import SOFTWARE
from protocol.version import STANDARD, STANDARD_REVISION

STYLE = ("*{box-sizing:border-box}"
         "body{font:18px/1.55 system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;"
         "margin:0 auto;padding:12px;max-width:60em;color:#111;background:#fff;"
         "overflow-wrap:anywhere}"
         "h1{font-size:1.45em;line-height:1.3}h2{font-size:1.2em;margin-top:1.6em;"
         "border-top:2px solid #bbb;padding-top:.6em}h3{font-size:1.05em;margin:.8em 0 .2em}"
         ".scroll{overflow-x:auto;max-width:100%;margin:.5em 0 1.5em}"
         "table{border-collapse:collapse}"
         "td,th{border:1px solid #999;padding:.25em .6em;text-align:right;"
         "overflow-wrap:normal;word-break:keep-all}"
         "td:first-child,th:first-child{text-align:left}th{background:#eee}"
         "tr.total td{font-weight:bold}svg{max-width:100%;height:auto;display:block}"
         "code{overflow-wrap:anywhere;word-break:break-all}"
         ".summary{border:3px solid #333;border-radius:8px;padding:.4em 1em .8em;margin:1em 0}"
         ".summary h2{border:0;margin-top:.4em;padding:0}"
         ".big{font-size:1.6em;font-weight:bold;margin:.1em 0}"
         ".bad{color:#9b2d2a}.ok{color:#1e5e1e}.legend{background:#f3f3f3;padding:.5em}"
         "li{margin:.3em 0}"
         # A phone: every table row becomes a card of `column: value` lines (html_parts.table).
         "@media (max-width:640px){.scroll table,.scroll tbody,.scroll tr,.scroll td"
         "{display:block;width:100%}.scroll thead{display:none}"
         ".scroll tr{border:1px solid #999;border-radius:6px;margin:0 0 .6em;padding:.3em .6em}"
         ".scroll td{border:0;text-align:left!important;overflow-wrap:anywhere;padding:.1em 0}"
         ".scroll td:empty{display:none}"
         ".scroll td::before{content:attr(data-label) \"：\";font-weight:bold;color:#333}}")
FEDERATION_WIDE = " — federation-wide 全联盟"
LEGEND = f'<p class="legend">符号说明 Sign: {escape(SIGN_LEGEND)}</p>'


def _page(title: str, lead: str, sections: list[str]) -> str:
    """`lead`: what a reader sees first, under the title (the summary)."""
    return ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{escape(title)}</h1>{lead}{''.join(sections)}"
            "<p>核验 To verify: <code>hourbridge verify-report report.json --directory "
            "directory.json</code> — 离线核验，只需联盟目录的公钥。Offline, from the directory's "
            "public keys alone.</p></body></html>\n")


def _items(lines: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>"


def _summary(doc: dict[str, Any], reader: Reader) -> str:
    """The three questions, answered in words before any table."""
    found = summarise(doc, reader.names)
    node_view = doc["kind"] == NODE_KIND
    disagreed = [] if node_view else list(claims(positions_of(doc), reader.names))
    owed = [debt_sentence(d) for d in found.debts]
    if owed:
        debts = _items(owed)
    elif disagreed:
        debts = "<p>没有经双方确认的欠款。No debt is confirmed by both nodes.</p>"
    else:
        debts = "<p>节点之间没有欠款。No node owes another.</p>"
    if disagreed:
        debts += ("<p>以下链路未经双方确认（说法不一，或只有一方的报告；见原因）Links not "
                  "confirmed by both nodes:</p>" + _items(disagreed))
    if found.status == "ok":
        status = ('<p class="big ok">正常 OK</p><p>所有节点报告已收集，所有链路已匹配，'
                  "没有待对账的时数，没有存疑或争议。</p>")
    else:
        status = (f'<p class="big bad">需关注 Needs attention（{len(found.reasons)} 项）</p>'
                  + _items(list(found.reasons)))
    whose = "本节点所记 as this node states it" if node_view else "各节点共签 agreed by both nodes"
    partial = "" if node_view or not doc["node_report_failures"] else (
        f"<p class=\"bad\">只含已收集报告的 {len(doc['node_reports'])} 个节点（共 "
        f"{len(doc['nodes'])} 个）。Only the nodes whose reports were collected.</p>")
    return (
        '<section class="summary"><h2>概要 Summary</h2>'
        "<h3>未兑付时数 Hours outstanding</h3>"
        f'<p class="big">{hours_text(found.outstanding_minutes)}</p>'
        "<p>成员持有、尚未兑付的时数合计（账本检查点时）。Hours members hold, at the ledger "
        f"checkpoint.</p>{partial}"
        f"<h3>谁欠谁 Who owes whom（{whose}）</h3>{debts}"
        f"<h3>是否有异常 Is anything wrong?</h3>{status}"
        f'<p class="legend">符号说明 Sign: {escape(SIGN_LEGEND)}<br>{escape(reader.offset_note)}'
        "</p></section>")


def _node_sections(doc: dict[str, Any], reader: Reader) -> list[str]:
    positions = doc["positions"]
    rows = positions["rows"]
    found = doc["discrepancies"]
    reserved = next((t["balance_minutes"] for t in doc["checkpoint"]["totals"]
                     if t["account_kind"] == AccountKind.PENDING), 0)
    return [
        "<h2>节点间头寸 Positions between nodes</h2>", LEGEND,
        bars("各对方节点的期末头寸（正数：对方欠本节点） Closing position by peer",
             [reader.name(r["peer"]) for r in rows],
             [Series("期末头寸 closing position", [r["closing_position_minutes"] for r in rows])],
             label=hours_text),
        table(["对方节点 peer", "窗口 window", "状态 state", "期末头寸 closing position"],
              [[reader.name(r["peer"]), r["window_index"], code_label(r["state"]),
                hours_text(r["closing_position_minutes"])] for r in rows],
              total=["净额 net", "", "", hours_text(positions["net_position_minutes"])]),
        *parts.activity(doc["activity"], scope=""),
        *parts.liability(doc["liability"], scope=""),
        *parts.discrepancies(found, scope=""),
        table(["未结差异 open discrepancy", "对方节点 peer", "窗口 window", "类别 kind",
               "发现于 found", "详情 detail"],
              [[i["id"][:12], reader.name(i["peer"]), i["window_index"], code_label(i["kind"]),
                reader.time(i["found_at_ms"]), i["detail"]] for i in found["open_items"]]),
        *parts.in_doubt(doc["in_doubt"], reserved_minutes=reserved, reader=reader),
        *parts.service(doc["service"], reader),
        *parts.unreconciled(doc["unreconciled"], reader),
    ]


def _position_sections(doc: dict[str, Any], reader: Reader) -> list[str]:
    nets, links, totals = doc["nets"], doc["links"], doc["totals"]
    nodes = [n["node"] for n in nets]
    cells = {(p["node"], p["peer"]): p["closing_position_minutes"] for p in doc["positions"]}
    peers = sorted({p["peer"] for p in doc["positions"]} | set(nodes))
    balanced = totals["net_position_minutes"] == 0
    return [
        "<h2>各节点对联盟的净头寸 Net position of each node against the federation</h2>",
        LEGEND,
        bars("净头寸（正数：联盟其他节点欠该节点） Net position", [reader.name(n) for n in nodes],
             [Series("净头寸 net position", [n["net_position_minutes"] for n in nets])],
             label=hours_text),
        table(["节点 node", "链路 links", "净头寸 net position"],
              [[reader.name(n["node"]), n["links"], hours_text(n["net_position_minutes"])]
               for n in nets],
              total=["合计 total", "", hours_text(totals["net_position_minutes"])]),
        f'<p class="{"ok" if balanced else "bad"}">'
        + ("净头寸合计为零。Net positions sum to zero." if balanced else
           "净头寸合计不为零：见未匹配的链路。Net positions do not sum to zero: see the "
           "unmatched links.")
        + "</p>",
        *settlement_section(doc, reader),
        "<h2>节点间头寸 Positions between nodes</h2>",
        heatmap("各节点（行）对各对方节点（列）的期末头寸 Closing position of each node (row) "
                "with each peer (column)", nodes, peers, cells, label=hours_text,
                names=reader.name),
        "<h2>链路对账 Links</h2>",
        f"<p>共 {totals['links']} 条链路：{totals['matched']} 条已匹配，"
        f"{totals['unmatched']} 条未匹配。{totals['links']} links, {totals['matched']} "
        f"matched, {totals['unmatched']} unmatched.</p>",
        table(["链路 link", "匹配 matched", "原因 reasons"],
              [[f"{reader.name(link['a'])} – {reader.name(link['b'])}",
                "是 yes" if link["matched"] else "否 NO",
                "；".join(link_reason_text(r, reader.names) for r in link["reasons"])]
               for link in links]),
        *_past_cut(doc["unreconciled"], reader),
    ]


def _counted(found: dict[str, int] | None) -> list[Any]:
    return ["–", "–"] if found is None else [found["count"], hours_text(found["sum_minutes"])]


def _past_cut(past: dict[str, Any], reader: Reader) -> list[str]:
    totals = past["totals"]
    return [
        "<h2>最后共签截点之后的时数 Hours past the last co-signed cut, by direction</h2>",
        parts.PAST_CUT_LEAD,
        table(["发出节点 from", "接收节点 to", "发出方窗口 sender's window", "发出笔数 sent",
               "发出时数", "接收方窗口 receiver's window", "收到笔数 received", "收到时数"],
              [[reader.name(r["from"]), reader.name(r["to"]), r["sender_window_index"] or "–",
                *_counted(r["sent"]), r["receiver_window_index"] or "–",
                *_counted(r["received"])] for r in past["rows"]],
              total=["合计 total", "", "", *_counted(totals["sent"]), "",
                     *_counted(totals["received"])]),
    ]


def _attention(doc: dict[str, Any], reader: Reader) -> list[str]:
    """Every attention item with the report's own words, for the record (the summary says
    each in Chinese)."""
    found = attention(doc)
    if not found:
        return []
    return ["<h2>需关注事项明细 Things to look at, as the report states them</h2>",
            table(["事项 what", "位置 where", "详情 detail"],
                  [[code_label(what), _named(where, reader), detail]
                   for what, where, detail in found])]


def _named(where: str, reader: Reader) -> str:
    """`sh-pudong – nj-gulou` or `a → b` with the directory's names."""
    for separator in (" – ", " → "):
        if separator in where:
            return separator.join(reader.name(part) for part in where.split(separator))
    return reader.name(where)


def _federation_wide(doc: dict[str, Any], reader: Reader) -> list[str]:
    sums = doc["aggregates"]
    doubt, service = sums["in_doubt"], sums["service"]
    embedded = [[reader.name(e["node"]), e["report"]["checkpoint"]["height"],
                 reader.time(e["report"]["issued_at_ms"])] for e in doc["node_reports"]]
    missing = [[reader.name(f["node"]), f["error"]] for f in doc["node_report_failures"]]
    return [
        "<h2>节点报告 Node reports embedded</h2>",
        "<p>各节点自己签名的报告原样嵌入；以下全联盟数字为其合计。Each node's own signed report "
        "is embedded verbatim; the federation-wide figures below are their sums.</p>",
        table(["节点 node", "检查点高度 checkpoint height", "生成于 issued"], embedded),
        table(["未能收集 not collected", "原因 error"], missing) if missing else "",
        *parts.activity(sums["activity"], scope=FEDERATION_WIDE),
        table(["节点 node", "时区 UTC offset", "发放 issued", "兑换 redeemed", "过期 expired"],
              [[reader.name(r["node"]), f"{r['utc_offset_minutes']:+d} 分",
                hours_text(r["issued_minutes"]), hours_text(r["redeemed_minutes"]),
                hours_text(r["expired_minutes"])] for r in sums["activity"]["by_node"]]),
        *parts.liability(sums["liability"], scope=FEDERATION_WIDE),
        table(["节点 node", "持有人 holders", "未兑付 outstanding", "供给 supply (365 天)",
               "志愿者 volunteers"],
              [[reader.name(r["node"]), r["holders"], hours_text(r["outstanding_minutes"]),
                hours_text(r["supply_minutes"]), r["volunteers"]]
               for r in sums["liability"]["by_node"]]),
        *parts.discrepancies(sums["discrepancies"], scope=FEDERATION_WIDE),
        "<h3>各节点对账差异 Discrepancies by node</h3>",
        parts.open_closed_chart("各节点对账差异 Discrepancies by node",
                                sums["discrepancies"]["by_node"], "node", reader),
        table(["节点 node", "未结 open", "已结 closed"],
              [[reader.name(r["node"]), r["open"], r["closed"]]
               for r in sums["discrepancies"]["by_node"]]),
        "<h2>存疑转账 Transfers in doubt (each node at its report's time)</h2>",
        table(["节点 node", "存疑笔数 in doubt", "时数 amount"],
              [[reader.name(r["node"]), r["count"], hours_text(r["minutes"])]
               for r in doubt["by_node"]],
              total=["合计 total", doubt["totals"]["count"],
                     hours_text(doubt["totals"]["minutes"])]),
        "<h2>服务质量 Service quality (each node's signed claim, 365 days)</h2>",
        table(["节点 node", "发布 posted", "完成 completed", "取消 cancelled", "评价 ratings",
               "平均星级 mean", "争议 disputes", "未结 open", "冻结时数 held",
               "冻结链路 frozen links"],
              [[reader.name(r["node"]), r["posted"], r["completed"], r["cancelled"],
                r["ratings"], f"{r['rating_stars'] / r['ratings']:.2f}" if r["ratings"] else "–",
                r["disputes_raised"], r["disputes_open"], hours_text(r["held_minutes"]),
                r["frozen_links"]]
               for r in [*service["by_node"], {**service["totals"], "node": "合计 total"}]]),
    ]


def _software() -> str:
    """The release that wrote the report: a regulator asking "which version counted this?"
    finds it on the page, whose hash the signed report.json carries (§19)."""
    return (f'<p class="legend">软件 Software: {escape(SOFTWARE)}；标准 standard {STANDARD} '
            f"修订 revision {STANDARD_REVISION}</p>")


def render_html(doc: dict[str, Any], *, names: Mapping[str, str] | None = None,
                utc_offset_minutes: int | None = None) -> str:
    """The page for a report body. `names`: node id -> the directory's name (ids without);
    `utc_offset_minutes`: the times' offset, else the node policies' (words.reader_for)."""
    reader = reader_for(doc, names=names, utc_offset_minutes=utc_offset_minutes)
    issued = reader.time(doc["issued_at_ms"])
    if doc["kind"] == NODE_KIND:
        checkpoint = doc["checkpoint"]
        lead = (f"<p>节点 Node <b>{escape(reader.name(doc['node']))}</b>（{escape(doc['node'])}），"
                f"生成于 issued {escape(issued)}。账本检查点 Ledger checkpoint: 高度 height "
                f"{checkpoint['height']}，head <code>{escape(checkpoint['head_hash'])}</code>。"
                f"由该节点签名 Signed by the node.</p>{_software()}")
        return _page(f"节点报告 Node report: {reader.name(doc['node'])}", _summary(doc, reader),
                     [lead, "<h2>明细 Details</h2>", *_node_sections(doc, reader)])
    lead = (f"<p>联盟 Federation <b>{escape(doc['federation_id'])}</b>，联盟目录 directory serial "
            f"{doc['directory_serial']}（hash "
            f"<code>{escape(doc['directory_hash'][:16])}…</code>），"
            f"生成于 issued {escape(issued)}，由联盟管理方签名 signed by the federation authority。"
            "以下每份节点报告及其中的对账单和共签记录都签名嵌入在 report.json 中；请用该序号的"
            "联盟目录核验。Every node report is embedded signed in report.json; verify with the "
            f"directory of that serial.</p>{_software()}")
    return _page(f"联盟对账报告 Federation report: {doc['federation_id']}",
                 _summary(doc, reader),
                 [lead, "<h2>明细 Details</h2>", *_attention(doc, reader),
                  *_position_sections(doc, reader), *_federation_wide(doc, reader)])
