"""The federation report's "is anything wrong" view: one line for each thing a regulator should
look at, in the order to look at it, from the figures the report states (the page and the table
both show it first). Empty when everything collected, matched and reconciled."""

from __future__ import annotations

from typing import Any

from node.reports.unreconciled import with_hours


def _side(found: dict[str, int] | None, window_index: int | None, node: str,
          verb: str) -> str:
    if found is None:
        return f"{node}'s count missing"
    since = f"window {window_index}" if window_index else "the first transfer (no co-signed window)"
    return (f"{verb} {found['count']} transfers, {found['sum_minutes']} min since {since} "
            f"(per {node})")


def past_cut_detail(row: dict[str, Any]) -> str:
    """`sent 3 transfers, 90 min since window 4 (per a); received …` for one direction."""
    return "; ".join((_side(row["sent"], row["sender_window_index"], row["from"], "sent"),
                      _side(row["received"], row["receiver_window_index"], row["to"],
                            "received")))


def attention(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(what, where, detail) for every node not collected, link not matched, direction with
    hours past the last co-signed cut, and node with open discrepancies, transfers in doubt or
    frozen links."""
    found = [("not collected", f["node"], f["error"]) for f in doc["node_report_failures"]]
    found += [("link not matched", f"{link['a']} – {link['b']}", "; ".join(link["reasons"]))
              for link in doc["links"] if not link["matched"]]
    found += [("hours past the last co-signed cut", f"{row['from']} → {row['to']}",
               past_cut_detail(row)) for row in with_hours(doc["unreconciled"])]
    sums = doc["aggregates"]
    found += [("open discrepancies", r["node"], str(r["open"]))
              for r in sums["discrepancies"]["by_node"] if r["open"]]
    found += [("transfers in doubt", r["node"], f"{r['count']} transfers, {r['minutes']} min")
              for r in sums["in_doubt"]["by_node"] if r["count"]]
    found += [("frozen links", r["node"], str(r["frozen_links"]))
              for r in sums["service"]["by_node"] if r["frozen_links"]]
    return found
