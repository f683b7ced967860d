"""Federation-wide figures (DESIGN §8), summed from the node reports a federation report embeds.
Plain functions over the embedded reports: the collector states what they return and
`verify-report` runs them again and compares.

Days are each node's local days (its report's `utc_offset_minutes`, listed per node): in a
federation whose nodes share a time zone, as China's do, a day is the same day everywhere.
"""

from __future__ import annotations

from typing import Any

from node.reports import figures
from node.reports.node_data import AGE_BAND_NAMES, CLASSES, DISCREPANCY_AGES


def _sum(rows: list[dict[str, Any]], fields: tuple[str, ...]) -> dict[str, int]:
    return {name: sum(row[name] for row in rows) for name in fields}


def activity(reports: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Issued (by class), redeemed and expired per day, summed over the nodes."""
    days: dict[str, dict[str, Any]] = {}
    for report in reports.values():
        for row in report["activity"]["rows"]:
            day = days.setdefault(row["day"], {
                "day": row["day"], "issued_by_class": dict.fromkeys(CLASSES, 0),
                "redeemed_minutes": 0, "expired_minutes": 0})
            for name in CLASSES:
                day["issued_by_class"][name] += row["issued_by_class"][name]
            day["redeemed_minutes"] += row["redeemed_minutes"]
            day["expired_minutes"] += row["expired_minutes"]
    rows = [days[d] for d in sorted(days)]
    return {"rows": figures.activity_rows(rows), "totals": figures.activity_totals(rows),
            "by_node": [{"node": node,
                         "utc_offset_minutes": report["activity"]["utc_offset_minutes"],
                         **{k: v for k, v in report["activity"]["totals"].items()
                            if k != "issued_by_class"}}
                        for node, report in sorted(reports.items())]}


def liability(reports: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Outstanding hours and volunteer supply per holder age band, summed over the nodes."""
    rows = [{"age_band": band, **_sum([row for r in reports.values()
                                       for row in r["liability"]["rows"]
                                       if row["age_band"] == band], figures.LIABILITY_FIELDS)}
            for band in AGE_BAND_NAMES]
    return {"rows": rows, "totals": figures.liability_totals(rows),
            "by_node": [{"node": node, **report["liability"]["totals"]}
                        for node, report in sorted(reports.items())]}


def discrepancies(reports: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Discrepancies by age since found, open and closed, summed over the nodes and by node."""
    rows = [{"age": age, **_sum([row for r in reports.values()
                                 for row in r["discrepancies"]["rows"] if row["age"] == age],
                                ("open", "closed"))}
            for _, age in DISCREPANCY_AGES]
    return {"rows": rows, "totals": figures.discrepancy_totals(rows),
            "by_node": [{"node": node, **report["discrepancies"]["totals"]}
                        for node, report in sorted(reports.items())]}


def in_doubt(reports: dict[str, dict[str, Any]]) -> dict[str, Any]:
    by_node = [{"node": node, "count": r["in_doubt"]["count"],
                "minutes": r["in_doubt"]["minutes"]} for node, r in sorted(reports.items())]
    return {"by_node": by_node, "totals": _sum(by_node, ("count", "minutes"))}


SERVICE_FIELDS = ("posted", "completed", "cancelled", "ratings", "rating_stars",
                  "disputes_raised", "disputes_open", "held_minutes", "frozen_links")


def service(reports: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Each node's service quality claims side by side, and their sums."""
    by_node = []
    for node, report in sorted(reports.items()):
        found = report["service"]
        by_node.append({
            "node": node, **{k: found["requests"][k] for k in ("posted", "completed",
                                                                "cancelled")},
            "ratings": found["ratings"]["count"], "rating_stars": found["ratings"]["sum"],
            "disputes_raised": found["disputes"]["raised"],
            "disputes_open": found["disputes"]["open"],
            "held_minutes": found["disputes"]["held_minutes"],
            "frozen_links": len(found["frozen_links"])})
    return {"by_node": by_node, "totals": _sum(by_node, SERVICE_FIELDS)}


def aggregates(reports: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Every federation-wide figure, from the embedded node reports by node id."""
    return {"activity": activity(reports), "liability": liability(reports),
            "discrepancies": discrepancies(reports), "in_doubt": in_doubt(reports),
            "service": service(reports)}
