"""The dashboard's tables for a spreadsheet: CSV (UTF-8 with a byte-order mark, so Excel reads
the Chinese) and an Excel workbook (openpyxl, already the import's dependency), one sheet per
table. Every table names the signed report it came from, so a figure in a spreadsheet can be
traced back to the file `hourbridge verify-report` checks."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

from node.portal.history import Kept
from node.portal.view import (
    discrepancy_rows,
    headline,
    in_doubt_rows,
    link_rows,
    node_rows,
    service_rows,
    summary_of,
)
from node.reports.words import hours_text

Table = tuple[str, list[str], list[list[Any]]]


def _minutes(value: int | None) -> str:
    return "" if value is None else hours_text(value)


def tables(kept: Kept, names: dict[str, str]) -> list[Table]:
    """(title, header, rows) for every table of the dashboard."""
    doc, top = kept.document, headline(kept, names)
    summary = summary_of(kept, names)
    debts = summary.debts if summary else ()
    source = f"history/{kept.id}/report.json"
    return [
        ("概况", ["项目", "内容"], [["来源（签名报告）", source], ["生成时间", top.issued],
                                 ["未兑付时数", hours_text(top.outstanding_minutes)],
                                 ["状态", top.status_words],
                                 *[["谁欠谁", s] for s in top.sentences],
                                 *[["原因", r] for r in top.reasons]]),
        ("节点", ["节点", "编号", "未兑付", "净头寸（分钟）", "存疑转账", "未结差异", "已完成服务",
                "未收集原因"],
         [[r["name"], r["node"], _minutes(r["outstanding"]), r["net"], r["in_doubt"], r["open"],
           r["completed"], r["failed"]] for r in node_rows(doc, names)]),
        ("链路", ["节点甲", "节点乙", "谁欠谁", "已匹配", "原因"],
         [[r["a_name"], r["b_name"], r["debt"], "是" if r["matched"] else "否",
           "；".join(r["reasons"])] for r in link_rows(doc, names, debts)]),
        ("对账差异", ["发现至今", "未结", "已结"],
         [[r["age"], r["open"], r["closed"]] for r in discrepancy_rows(doc)]),
        ("存疑转账", ["节点", "笔数", "时数"],
         [[r["name"], r["count"], hours_text(r["minutes"])] for r in in_doubt_rows(doc, names)]),
        ("服务质量", ["节点", "发布", "完成", "取消", "评价数", "平均星级", "投诉", "未结投诉"],
         [[r["name"], r["posted"], r["completed"], r["cancelled"], r["ratings"], r["mean"],
           r["disputes_raised"], r["disputes_open"]] for r in service_rows(doc, names)]),
    ]


def as_csv(found: list[Table]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for title, header, rows in found:
        writer.writerow([f"# {title}"])
        writer.writerow(header)
        writer.writerows(rows)
        writer.writerow([])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(found: list[Table]) -> bytes:
    book = Workbook()
    first = True
    for title, header, rows in found:
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = title
        sheet.append(header)
        for row in rows:
            sheet.append(["" if v is None else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
