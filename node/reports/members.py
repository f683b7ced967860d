"""The closed member sets of a report (docs/standard.md §19), checked in code as
schemas/report.schema.json states them (tests/node/reports/test_schema.py holds the two equal).

A signature covers whatever members a signer put in, so a member the format does not define
would be carried, signed, to a reader who may believe it. `verify-report` and the federation
collector refuse it at every level. A shape is a dict (an object with exactly these members,
each with its own shape), a one-item list (an array of that shape), `Maybe` (that shape or
null), or None (a value whose members, if any, are checked elsewhere: the signed statements
and checkpoints by their models, which forbid unknown members, and maps keyed by data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from node.reports.aggregates import SERVICE_FIELDS
from node.reports.evidence import WINDOW_MEMBERS
from node.reports.figures import ACTIVITY_FIELDS, LIABILITY_FIELDS
from node.reports.node_data import CLASSES
from node.reports.quality import RATINGS

PROBLEMS_MAX = 20


@dataclass(frozen=True)
class Maybe:
    shape: Any


def _leaves(*names: str) -> dict[str, Any]:
    return dict.fromkeys(names)


DIRECTION = _leaves("count", "sum_minutes")
BY_CLASS = _leaves(*CLASSES)
ENVELOPE = {**_leaves("standard", "kind", "issued_at_ms", "signatures"),
            "files": _leaves("csv_sha256", "html_sha256")}
ACTIVITY_TOTALS = {"issued_by_class": BY_CLASS, **_leaves("issued_minutes", *ACTIVITY_FIELDS)}
ACTIVITY_ROW = {"day": None, **ACTIVITY_TOTALS}
LIABILITY_TOTALS = _leaves(*LIABILITY_FIELDS)
LIABILITY_ROW = _leaves("age_band", *LIABILITY_FIELDS)
DISCREPANCY_ROW = _leaves("age", "open", "closed")
POSITION = _leaves("node", "peer", "window_index", "state", "closing_position_minutes")

NODE_REPORT = {
    **ENVELOPE,
    "node": None,
    "checkpoint": None,
    "windows": [_leaves(*WINDOW_MEMBERS)],
    "positions": {"rows": [POSITION], "net_position_minutes": None},
    "activity": {"utc_offset_minutes": None, "rows": [ACTIVITY_ROW],
                 "totals": ACTIVITY_TOTALS},
    "liability": {"rows": [LIABILITY_ROW], "totals": LIABILITY_TOTALS},
    "discrepancies": {"rows": [DISCREPANCY_ROW], "totals": _leaves("open", "closed"),
                      "open_items": [_leaves("id", "peer", "window_index", "kind",
                                             "transfer_id", "found_at_ms", "detail")]},
    "in_doubt": {**_leaves("count", "minutes"),
                 "items": [_leaves("transfer_id", "peer", "amount_minutes", "since_ms")]},
    "service": {
        **_leaves("from_ms", "to_ms"),
        "requests": _leaves("posted", "completed", "cancelled", "by_state"),
        "ratings": {**_leaves("count", "sum"), "distribution": _leaves(*RATINGS)},
        "disputes": _leaves("raised", "open", "outcomes", "held_minutes"),
        "frozen_links": [_leaves("peer", "reason", "since_ms", "reserved_minutes")]},
    "unreconciled": {
        "rows": [{**_leaves("peer", "window_index", "outgoing_cut", "incoming_cut", "record"),
                  "outgoing": DIRECTION, "incoming": DIRECTION}],
        "totals": {"outgoing": DIRECTION, "incoming": DIRECTION}},
}

AGGREGATES = {
    "activity": {"rows": [ACTIVITY_ROW], "totals": ACTIVITY_TOTALS,
                 "by_node": [_leaves("node", "utc_offset_minutes", "issued_minutes",
                                     *ACTIVITY_FIELDS)]},
    "liability": {"rows": [LIABILITY_ROW], "totals": LIABILITY_TOTALS,
                  "by_node": [_leaves("node", *LIABILITY_FIELDS)]},
    "discrepancies": {"rows": [DISCREPANCY_ROW], "totals": _leaves("open", "closed"),
                      "by_node": [_leaves("node", "open", "closed")]},
    "in_doubt": {"by_node": [_leaves("node", "count", "minutes")],
                 "totals": _leaves("count", "minutes")},
    "service": {"by_node": [_leaves("node", *SERVICE_FIELDS)],
                "totals": _leaves(*SERVICE_FIELDS)},
}

HUB = _leaves("node", "links", "owed_minutes", "owing_minutes", "gross_minutes", "net_minutes",
               "replaced_minutes")
SETTLEMENT_TOTALS = _leaves("gross_minutes", "multilateral_minutes", "replaced_minutes")

# A federation report made before settlement through hubs (issue 18) has neither `link_map`
# nor `settlement`; it still verifies (a regulator's archive keeps such reports). One that has
# either must have both.
FEDERATION_REPORT_BEFORE_HUBS = {
    **ENVELOPE,
    **_leaves("federation_id", "directory_serial", "directory_hash", "nodes"),
    # Each embedded node report is checked against NODE_REPORT with every other check of a
    # node report (node_checks.embedded_problems).
    "node_reports": [_leaves("node", "report")],
    "node_report_failures": [_leaves("node", "error")],
    "positions": [POSITION],
    "nets": [_leaves("node", "links", "net_position_minutes")],
    "links": [_leaves("a", "b", "matched", "reasons")],
    "totals": _leaves("net_position_minutes", "links", "matched", "unmatched"),
    "unreconciled": {
        "rows": [{**_leaves("from", "to", "sender_window_index", "receiver_window_index"),
                  "sent": Maybe(DIRECTION), "received": Maybe(DIRECTION)}],
        "totals": {"sent": DIRECTION, "received": DIRECTION}},
    "aggregates": AGGREGATES,
}
FEDERATION_REPORT = {
    **FEDERATION_REPORT_BEFORE_HUBS,
    # The signed link map, checked against the directory by protocol.links.accept_links.
    "link_map": None,
    "settlement": {"hubs": [HUB], "totals": SETTLEMENT_TOTALS},
}
HUB_MEMBERS = ("link_map", "settlement")


def federation_shape(document: dict[str, Any]) -> dict[str, Any]:
    """The member set a federation report is held to: with the hub members if it has any."""
    if any(name in document for name in HUB_MEMBERS):
        return FEDERATION_REPORT
    return FEDERATION_REPORT_BEFORE_HUBS


def _walk(value: Any, shape: Any, where: str, found: list[str]) -> None:
    if len(found) >= PROBLEMS_MAX or shape is None:
        return
    if isinstance(shape, Maybe):
        if value is not None:
            _walk(value, shape.shape, where, found)
    elif isinstance(shape, list):
        if not isinstance(value, list):
            found.append(f"{where} is not an array")
            return
        for i, item in enumerate(value):
            _walk(item, shape[0], f"{where}[{i}]", found)
    elif not isinstance(value, dict):
        found.append(f"{where} is not an object")
    else:
        unknown = sorted(set(value) - set(shape))
        missing = sorted(set(shape) - set(value))
        if unknown:
            found.append(f"{where} has members the format does not define: "
                         f"{', '.join(map(str, unknown))[:200]}")
        if missing:
            found.append(f"{where} lacks {', '.join(missing)}")
        for name in sorted(set(shape) & set(value)):
            _walk(value[name], shape[name], f"{where}.{name}", found)


def member_problems(document: Any, shape: dict[str, Any], *, where: str) -> list[str]:
    """Every place where `document` has a member its shape does not define, or lacks one
    (at most PROBLEMS_MAX of them)."""
    found: list[str] = []
    _walk(document, shape, where, found)
    return found
