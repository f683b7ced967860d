"""The report's tables as one CSV file: each table starts with a header row whose first cell
names the table, and tables are separated by an empty line. Minutes are integers, as in the
JSON, so a spreadsheet can sum them; for people, the file opens with the summary in words
(`summary`, `debts`, `legend`) and every table carries, to the right of its own columns, the
same figures read out: node names from the directory, hours and minutes, local time and a
Chinese label for each code (the columns named `… 名称`, `… 时长`, `… 当地时间`, `… 说明`).
UTF-8 with a byte order mark, so that a spreadsheet on a Chinese system reads it as UTF-8."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from node.reports.aggregates import SERVICE_FIELDS
from node.reports.attention import attention
from node.reports.document import NODE_KIND
from node.reports.node_data import CLASSES
from node.reports.summary import claims, debt_sentence, positions_of, summarise
from node.reports.words import (
    FULL_MESH,
    HUB_DEFINITION,
    SETTLEMENT_DEFINITION,
    SIGN_LEGEND,
    Reader,
    code_label,
    hours_text,
    reader_for,
)

BOM = "\ufeff"
NODE_COLUMNS = frozenset({"node", "peer", "from", "to", "a", "b", "debtor", "creditor"})
CODE_COLUMNS = frozenset({"age_band", "age", "state", "kind", "what", "matched", "reason"})
TOTAL = "total"


class _Out:
    """The CSV writer with the report's reader (names, time offset)."""

    def __init__(self, buffer: io.StringIO, reader: Reader) -> None:
        self.csv = csv.writer(buffer, lineterminator="\n")
        self.reader = reader


def _read_out(column: str, value: Any, reader: Reader) -> str:
    """A cell as a person reads it, by its column's kind ("" where there is nothing to say)."""
    if value == TOTAL:
        return "合计"
    if value in ("", None):
        return ""
    if column in NODE_COLUMNS:
        return reader.name(str(value))
    if column in CODE_COLUMNS:
        return code_label(str(value))
    if isinstance(value, int) and column.endswith("_ms"):
        return reader.time(value)
    return hours_text(value) if isinstance(value, int) else str(value)


def _suffix(column: str) -> str | None:
    if column in NODE_COLUMNS:
        return "名称"
    if column in CODE_COLUMNS:
        return "说明"
    if column.endswith("_ms"):
        return "当地时间"
    if column.endswith("_minutes") or column == "minutes":
        return "时长"
    return None


def _table(writer: Any, name: str, header: list[str], rows: list[list[Any]]) -> None:
    """The table's own columns, then one read-out column for each that has one."""
    read = [(i, f"{column} {suffix}") for i, column in enumerate(header)
            if (suffix := _suffix(column)) is not None]
    writer.csv.writerow([name, *header, *(title for _, title in read)])
    for row in rows:
        writer.csv.writerow([name, *row, *(_read_out(header[i], row[i], writer.reader)
                                           for i, _ in read)])
    writer.csv.writerow([])


def _summary_tables(writer: Any, doc: dict[str, Any]) -> None:
    """The three questions in words first (node/reports/summary.py)."""
    reader = writer.reader
    found = summarise(doc, reader.names)
    status = "正常" if found.status == "ok" else "需关注"
    _table(writer, "summary", ["question", "answer"],
           [["未兑付时数 hours outstanding", hours_text(found.outstanding_minutes)],
            ["状态 status", status],
            *(["原因 reason", reason] for reason in found.reasons)])
    agreed = [[d.debtor, d.creditor, d.minutes, debt_sentence(d)] for d in found.debts]
    if doc["kind"] != NODE_KIND:
        agreed += [["", "", "", f"未经双方确认 not confirmed by both: {claim}"]
                   for claim in claims(positions_of(doc), reader.names)]
    _table(writer, "debts", ["debtor", "creditor", "owed_minutes", "sentence"], agreed)
    _table(writer, "legend", ["about", "text"],
           [["sign", SIGN_LEGEND], ["time", reader.offset_note]])


def _activity(writer: Any, name: str, activity: dict[str, Any]) -> None:
    issued = [f"issued_{c}_minutes" for c in CLASSES]
    _table(writer, name,
           ["day", *issued, "issued_minutes", "redeemed_minutes", "expired_minutes"],
           [[r["day"], *(r["issued_by_class"].get(c, 0) for c in CLASSES), r["issued_minutes"],
             r["redeemed_minutes"], r["expired_minutes"]]
            for r in [*activity["rows"], {**activity["totals"], "day": "total"}]])


def _liability(writer: Any, name: str, liability: dict[str, Any]) -> None:
    _table(writer, name,
           ["age_band", "holders", "outstanding_minutes", "supply_minutes", "volunteers"],
           [[r["age_band"], r["holders"], r["outstanding_minutes"], r["supply_minutes"],
             r["volunteers"]]
            for r in [*liability["rows"], {**liability["totals"], "age_band": "total"}]])


def _discrepancies(writer: Any, name: str, found: dict[str, Any]) -> None:
    _table(writer, name, ["age", "open", "closed"],
           [[r["age"], r["open"], r["closed"]]
            for r in [*found["rows"], {**found["totals"], "age": "total"}]])


def _node_tables(writer: Any, doc: dict[str, Any]) -> None:
    positions = doc["positions"]
    _table(writer, "positions", ["peer", "window_index", "state", "closing_position_minutes"],
           [[p["peer"], p["window_index"], p["state"], p["closing_position_minutes"]]
            for p in positions["rows"]] + [["total", "", "", positions["net_position_minutes"]]])
    _activity(writer, "activity", doc["activity"])
    _liability(writer, "liability", doc["liability"])
    found = doc["discrepancies"]
    _discrepancies(writer, "discrepancies", found)
    _table(writer, "open_discrepancies",
           ["id", "peer", "window_index", "kind", "transfer_id", "found_at_ms", "detail"],
           [[i["id"], i["peer"], i["window_index"], i["kind"], i["transfer_id"] or "",
             i["found_at_ms"], i["detail"]] for i in found["open_items"]])
    doubt = doc["in_doubt"]
    _table(writer, "in_doubt", ["transfer_id", "peer", "amount_minutes", "since_ms"],
           [[i["transfer_id"], i["peer"], i["amount_minutes"], i["since_ms"]]
            for i in doubt["items"]] + [["total", doubt["count"], doubt["minutes"], ""]])
    service = doc["service"]
    requests, ratings, disputes = service["requests"], service["ratings"], service["disputes"]
    _table(writer, "service", ["from_ms", "to_ms", "posted", "completed", "cancelled",
                               "ratings", "rating_stars", "disputes_raised", "disputes_open",
                               "held_minutes"],
           [[service["from_ms"], service["to_ms"], requests["posted"], requests["completed"],
             requests["cancelled"], ratings["count"], ratings["sum"], disputes["raised"],
             disputes["open"], disputes["held_minutes"]]])
    _table(writer, "frozen_links", ["peer", "reason", "since_ms", "reserved_minutes"],
           [[f["peer"], f["reason"], f["since_ms"], f["reserved_minutes"]]
            for f in service["frozen_links"]])
    past = doc["unreconciled"]
    totals = past["totals"]
    _table(writer, "unreconciled",
           ["peer", "window_index", "outgoing_cut", "incoming_cut", "sent_count",
            "sent_minutes", "received_count", "received_minutes"],
           [[r["peer"], r["window_index"], r["outgoing_cut"], r["incoming_cut"],
             r["outgoing"]["count"], r["outgoing"]["sum_minutes"], r["incoming"]["count"],
             r["incoming"]["sum_minutes"]] for r in past["rows"]]
           + [["total", "", "", "", totals["outgoing"]["count"],
               totals["outgoing"]["sum_minutes"], totals["incoming"]["count"],
               totals["incoming"]["sum_minutes"]]])


def _by_node(writer: Any, name: str, section: dict[str, Any], fields: list[str]) -> None:
    rows = [[r["node"], *(r[f] for f in fields)] for r in section["by_node"]]
    if "totals" in section and all(f in section["totals"] for f in fields):
        rows.append(["total", *(section["totals"][f] for f in fields)])
    _table(writer, name, ["node", *fields], rows)


def _aggregate_tables(writer: Any, doc: dict[str, Any]) -> None:
    _table(writer, "node_reports", ["node", "checkpoint_height", "issued_at_ms", "error"],
           [[e["node"], e["report"]["checkpoint"]["height"], e["report"]["issued_at_ms"], ""]
            for e in doc["node_reports"]]
           + [[f["node"], "", "", f["error"]] for f in doc["node_report_failures"]])
    sums = doc["aggregates"]
    _activity(writer, "federation_activity", sums["activity"])
    _by_node(writer, "federation_activity_by_node", sums["activity"],
             ["utc_offset_minutes", "issued_minutes", "redeemed_minutes", "expired_minutes"])
    _liability(writer, "federation_liability", sums["liability"])
    _by_node(writer, "federation_liability_by_node", sums["liability"],
             ["holders", "outstanding_minutes", "supply_minutes", "volunteers"])
    _discrepancies(writer, "federation_discrepancies", sums["discrepancies"])
    _by_node(writer, "federation_discrepancies_by_node", sums["discrepancies"],
             ["open", "closed"])
    _by_node(writer, "federation_in_doubt", sums["in_doubt"], ["count", "minutes"])
    _by_node(writer, "federation_service", sums["service"], list(SERVICE_FIELDS))


def _counted(found: dict[str, int] | None) -> list[Any]:
    return ["", ""] if found is None else [found["count"], found["sum_minutes"]]


def _unreconciled(writer: Any, past: dict[str, Any]) -> None:
    _table(writer, "unreconciled",
           ["from", "to", "sender_window_index", "sent_count", "sent_minutes",
            "receiver_window_index", "received_count", "received_minutes"],
           [[r["from"], r["to"], "" if r["sender_window_index"] is None
             else r["sender_window_index"], *_counted(r["sent"]),
             "" if r["receiver_window_index"] is None else r["receiver_window_index"],
             *_counted(r["received"])] for r in past["rows"]]
           + [["total", "", "", *_counted(past["totals"]["sent"]), "",
               *_counted(past["totals"]["received"])]])


def _federation_tables(writer: Any, doc: dict[str, Any]) -> None:
    _table(writer, "attention", ["what", "where", "detail"],
           [list(line) for line in attention(doc)])
    _table(writer, "positions",
           ["node", "peer", "window_index", "state", "closing_position_minutes"],
           [[p["node"], p["peer"], p["window_index"], p["state"], p["closing_position_minutes"]]
            for p in doc["positions"]])
    totals = doc["totals"]
    _table(writer, "nets", ["node", "links", "net_position_minutes"],
           [[n["node"], n["links"], n["net_position_minutes"]] for n in doc["nets"]]
           + [["total", "", totals["net_position_minutes"]]])
    _table(writer, "links", ["a", "b", "matched", "reasons"],
           [[link["a"], link["b"], "yes" if link["matched"] else "no",
             "; ".join(link["reasons"])] for link in doc["links"]])
    _settlement(writer, doc)
    _unreconciled(writer, doc["unreconciled"])
    _aggregate_tables(writer, doc)


def _settlement(writer: Any, doc: dict[str, Any]) -> None:
    """The settlement figures (node/reports/settlement.py); none in a report made before hubs."""
    if "settlement" not in doc:
        return
    totals, link_map = doc["settlement"]["totals"], doc["link_map"]
    _table(writer, "settlement", ["figure", "minutes", "text"],
           [["gross_bilateral", totals["gross_minutes"], SETTLEMENT_DEFINITION],
            ["multilateral", totals["multilateral_minutes"], ""],
            ["replaced", totals["replaced_minutes"], ""],
            ["link_map_serial", "", FULL_MESH if link_map is None else link_map["serial"]]])
    fields = ["links", "owed_minutes", "owing_minutes", "gross_minutes", "net_minutes",
              "replaced_minutes"]
    hubs = doc["settlement"]["hubs"]
    _table(writer, "hubs", ["node", *fields, "text"],
           [[h["node"], *(h[f] for f in fields), HUB_DEFINITION if i == 0 else ""]
            for i, h in enumerate(hubs)])


def render_csv(doc: dict[str, Any], *, names: Mapping[str, str] | None = None,
               utc_offset_minutes: int | None = None) -> str:
    """The CSV of a report body; `names` and `utc_offset_minutes` as for render_html."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = _Out(buffer, reader_for(doc, names=names, utc_offset_minutes=utc_offset_minutes))
    _summary_tables(writer, doc)
    if doc["kind"] == NODE_KIND:
        _node_tables(writer, doc)
    else:
        _federation_tables(writer, doc)
    return buffer.getvalue()
