"""The report as one self-contained HTML page for people: headings in Chinese and English,
tables of every figure, and inline SVG charts (node/reports/svg.py). No script, no external
resource: the page reads the same offline as the day it was written."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from node.reports.document import NODE_KIND
from node.reports.node_data import CLASSES
from node.reports.svg import Series, bars, heatmap

CHART_DAYS_MAX = 60
STYLE = ("body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2em;max-width:60em}"
         "table{border-collapse:collapse;margin:.5em 0 1.5em}"
         "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}"
         "td:first-child,th:first-child{text-align:left}"
         "tr.total td{font-weight:bold}.bad{color:#b0413e}.ok{color:#2f6f2f}")


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _table(header: list[str], rows: list[list[Any]], *, total: list[Any] | None = None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    if total is not None:
        body += ('<tr class="total">' + "".join(f"<td>{escape(str(c))}</td>" for c in total)
                 + "</tr>")
    return f"<table><tr>{head}</tr>{body}</table>"


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
    activity = doc["activity"]
    days = activity["rows"][-CHART_DAYS_MAX:]
    liability = doc["liability"]
    found = doc["discrepancies"]
    return [
        "<h2>节点间头寸 Positions between nodes</h2>",
        bars("Closing position by peer (minutes the peer owes us)", [r["peer"] for r in rows],
             [Series("closing position", [r["closing_position_minutes"] for r in rows])],
             unit="min"),
        _table(["peer 对方节点", "window 窗口", "state 状态", "closing position (min)"],
               [[r["peer"], r["window_index"], r["state"], r["closing_position_minutes"]]
                for r in rows], total=["net 净额", "", "", positions["net_position_minutes"]]),
        "<h2>发放与兑换 Issuance and redemption over time</h2>",
        bars("Minutes issued, redeemed and expired per day", [d["day"] for d in days],
             [Series("issued 发放", [d["issued_minutes"] for d in days]),
              Series("redeemed 兑换", [d["redeemed_minutes"] for d in days]),
              Series("expired 过期", [d["expired_minutes"] for d in days])], unit="min"),
        _table(["day 日期", *(f"issued {c}" for c in CLASSES), "issued", "redeemed", "expired"],
               [[d["day"], *(d["issued_by_class"].get(c, 0) for c in CLASSES),
                 d["issued_minutes"], d["redeemed_minutes"], d["expired_minutes"]]
                for d in activity["rows"]],
               total=["total 合计", *(activity["totals"]["issued_by_class"].get(c, 0)
                                      for c in CLASSES),
                      activity["totals"]["issued_minutes"],
                      activity["totals"]["redeemed_minutes"],
                      activity["totals"]["expired_minutes"]]),
        "<h2>按持有人年龄的未兑付时数与志愿者供给 Outstanding hours by holder age against "
        "volunteer supply</h2>",
        bars("Outstanding minutes by holder age band, and minutes earned by volunteers of that "
             "age in the last 365 days", [r["age_band"] for r in liability["rows"]],
             [Series("outstanding 未兑付", [r["outstanding_minutes"] for r in liability["rows"]]),
              Series("supply 供给 (365 d)", [r["supply_minutes"] for r in liability["rows"]])],
             unit="min"),
        _table(["age band 年龄段", "holders 持有人", "outstanding (min)", "supply (min, 365 d)",
                "volunteers 志愿者"],
               [[r["age_band"], r["holders"], r["outstanding_minutes"], r["supply_minutes"],
                 r["volunteers"]] for r in liability["rows"]],
               total=["total 合计", *liability["totals"].values()]),
        "<h2>对账差异（按时长） Discrepancies by age</h2>",
        bars("Discrepancies by age since found", [r["age"] for r in found["rows"]],
             [Series("open 未结", [r["open"] for r in found["rows"]]),
              Series("closed 已结", [r["closed"] for r in found["rows"]])]),
        _table(["age 时长", "open 未结", "closed 已结"],
               [[r["age"], r["open"], r["closed"]] for r in found["rows"]],
               total=["total 合计", found["totals"]["open"], found["totals"]["closed"]]),
        _table(["open discrepancy 未结差异", "peer", "window", "kind", "found", "detail"],
               [[i["id"][:12], i["peer"], i["window_index"], i["kind"], _when(i["found_at_ms"]),
                 i["detail"]] for i in found["open_items"]]),
    ]


def _federation_sections(doc: dict[str, Any]) -> list[str]:
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
        _table(["node 节点", "links 链路", "net position (min)"],
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
        _table(["link 链路", "matched 匹配", "reasons 原因"],
               [[f"{link['a']} – {link['b']}", "yes 是" if link["matched"] else "NO 否",
                 "; ".join(link["reasons"])] for link in links]),
        "<h2>未能收集 Nodes not collected</h2>",
        _table(["node 节点", "error 错误"], [[f["node"], f["error"]] for f in doc["failures"]])
        if doc["failures"] else "<p>Every node answered. 所有节点均已收集。</p>",
    ]


def render_html(doc: dict[str, Any]) -> str:
    when = _when(doc["issued_at_ms"])
    if doc["kind"] == NODE_KIND:
        checkpoint = doc["checkpoint"]
        lead = (f"<p>Node 节点 <b>{escape(doc['node'])}</b>, issued 生成于 {when}. Ledger "
                f"checkpoint 账本检查点: height {checkpoint['height']}, head "
                f"<code>{escape(checkpoint['head_hash'])}</code>. Signed by the node.</p>")
        return _page(f"节点报告 Node report: {doc['node']}", lead, _node_sections(doc))
    lead = (f"<p>Federation 联盟 <b>{escape(doc['federation_id'])}</b>, directory serial "
            f"{doc['directory_serial']}, issued 生成于 {when}. Every statement below is embedded "
            "signed in report.json.</p>")
    return _page(f"联盟对账报告 Federation report: {doc['federation_id']}", lead,
                 _federation_sections(doc))
