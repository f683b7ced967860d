"""The federation report page's section on settlement through hubs (node/reports/settlement.py):
the federation-wide totals, then, when the report embeds a link map, a row per hub; without one,
a sentence saying the federation is a full mesh. Chinese first, amounts in hours and minutes."""

from __future__ import annotations

from html import escape
from typing import Any

from node.reports.html_parts import table
from node.reports.words import (
    FULL_MESH,
    HUB_DEFINITION,
    SETTLEMENT_DEFINITION,
    Reader,
    hours_text,
)


def _hubs(doc: dict[str, Any], reader: Reader) -> list[str]:
    link_map, hubs = doc["link_map"], doc["settlement"]["hubs"]
    if link_map is None:
        return [f"<p>{escape(FULL_MESH)}</p>"]
    missing = {f["node"] for f in doc["node_report_failures"]}
    lead = (f"<p>链路图 Link map serial {link_map['serial']}（签发于 issued "
            f"{escape(reader.time(link_map['issued_at_ms']))}）：{len(link_map['links'])} 条链路"
            f" links，{len(hubs)} 个枢纽 hubs。</p><p>{escape(HUB_DEFINITION)}</p>")
    if not hubs:
        return [lead]
    rows = [[reader.name(h["node"]) + ("（未收集报告 not collected）" if h["node"] in missing
                                       else ""),
             h["links"], hours_text(h["owed_minutes"]), hours_text(h["owing_minutes"]),
             hours_text(h["gross_minutes"]), hours_text(h["net_minutes"]),
             hours_text(h["replaced_minutes"])] for h in hubs]
    return [lead, table(
        ["枢纽 hub", "链路 links", "应收 owed", "应付 owing", "双边头寸 gross", "净头寸 net",
         "抵消 replaced"], rows,
        # No gross total: a link between two hubs is in both of their rows.
        total=["合计 total", "", "", "", "", "",
               hours_text(sum(h["replaced_minutes"] for h in hubs))])]


def settlement_section(doc: dict[str, Any], reader: Reader) -> list[str]:
    """Nothing for a report made before hubs (it has no `settlement`)."""
    if "settlement" not in doc:
        return []
    totals = doc["settlement"]["totals"]
    return [
        "<h2>经枢纽结算 Settlement through hubs: bilateral positions against the multilateral "
        "net</h2>",
        f"<p>{escape(SETTLEMENT_DEFINITION)}</p>",
        table(["项目 figure", "时长 hours"],
              [["双边头寸合计 gross bilateral", hours_text(totals["gross_minutes"])],
               ["多边净额 multilateral", hours_text(totals["multilateral_minutes"])],
               ["被取代 replaced", hours_text(totals["replaced_minutes"])]]),
        *_hubs(doc, reader),
    ]
