"""The report's tables as one CSV file: each table starts with a header row whose first cell
names the table, and tables are separated by an empty line. Minutes are integers, as in the
JSON."""

from __future__ import annotations

import csv
import io
from typing import Any

from node.reports.document import NODE_KIND
from node.reports.node_data import CLASSES


def _table(writer: Any, name: str, header: list[str], rows: list[list[Any]]) -> None:
    writer.writerow([name, *header])
    for row in rows:
        writer.writerow([name, *row])
    writer.writerow([])


def _node_tables(writer: Any, doc: dict[str, Any]) -> None:
    positions = doc["positions"]
    _table(writer, "positions", ["peer", "window_index", "state", "closing_position_minutes"],
           [[p["peer"], p["window_index"], p["state"], p["closing_position_minutes"]]
            for p in positions["rows"]] + [["total", "", "", positions["net_position_minutes"]]])
    activity = doc["activity"]
    issued = [f"issued_{name}_minutes" for name in CLASSES]
    _table(writer, "activity",
           ["day", *issued, "issued_minutes", "redeemed_minutes", "expired_minutes"],
           [[r["day"], *(r["issued_by_class"].get(c, 0) for c in CLASSES), r["issued_minutes"],
             r["redeemed_minutes"], r["expired_minutes"]]
            for r in [*activity["rows"], {**activity["totals"], "day": "total"}]])
    liability = doc["liability"]
    _table(writer, "liability",
           ["age_band", "holders", "outstanding_minutes", "supply_minutes", "volunteers"],
           [[r["age_band"], r["holders"], r["outstanding_minutes"], r["supply_minutes"],
             r["volunteers"]]
            for r in [*liability["rows"], {**liability["totals"], "age_band": "total"}]])
    found = doc["discrepancies"]
    _table(writer, "discrepancies", ["age", "open", "closed"],
           [[r["age"], r["open"], r["closed"]]
            for r in [*found["rows"], {**found["totals"], "age": "total"}]])
    _table(writer, "open_discrepancies",
           ["id", "peer", "window_index", "kind", "transfer_id", "found_at_ms", "detail"],
           [[i["id"], i["peer"], i["window_index"], i["kind"], i["transfer_id"] or "",
             i["found_at_ms"], i["detail"]] for i in found["open_items"]])


def _federation_tables(writer: Any, doc: dict[str, Any]) -> None:
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
    _table(writer, "failures", ["node", "error"],
           [[f["node"], f["error"]] for f in doc["failures"]])


def render_csv(doc: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if doc["kind"] == NODE_KIND:
        _node_tables(writer, doc)
    else:
        _federation_tables(writer, doc)
    return buffer.getvalue()
