"""Statistics for staff and the regulator: demand and supply by area (service station),
category and age band; completion and rating figures; disputes and frozen hours.

`statistics(conn, from_ms=, to_ms=)` is a plain function returning a dict, for the regulator's
reports as much as for the HTTP endpoint. A request counts in the window it was posted in.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.db.schema import tb_disputes, tb_service_requests
from node.states import DisputeState, ServiceRequestState
from node.timebank.common import age_band

DONE = frozenset({ServiceRequestState.COMPLETED, ServiceRequestState.DISPUTED,
                  ServiceRequestState.PAID, ServiceRequestState.REFUNDED})


def _nested() -> defaultdict[str, Counter[str]]:
    return defaultdict(Counter)


def statistics(conn: Connection, *, from_ms: int, to_ms: int,
               station: str | None = None) -> dict[str, Any]:
    window = [tb_service_requests.c.created_at_ms >= from_ms,
              tb_service_requests.c.created_at_ms < to_ms]
    if station is not None:
        window.append(tb_service_requests.c.station == station)
    rows = list(conn.execute(select(tb_service_requests).where(*window)))
    demand = {"by_station": Counter[str](), "by_category": Counter[str](),
              "by_age_band": Counter[str]()}
    supply = {"by_station": _nested(), "by_category": _nested(), "by_age_band": _nested()}
    volunteers: dict[str, set[str]] = defaultdict(set)
    states: Counter[str] = Counter()
    ratings: Counter[int] = Counter()
    for row in rows:
        area = row.station or "none"
        states[row.state] += 1
        demand["by_station"][area] += 1
        demand["by_category"][row.category] += 1
        demand["by_age_band"][age_band(row.recipient_age)] += 1
        if row.volunteer_local_id is None:
            continue
        minutes = int(row.rounded_minutes or 0) if row.state in DONE else 0
        for key, value in (("by_station", area), ("by_category", row.category),
                           ("by_age_band", age_band(row.volunteer_age))):
            supply[key][value]["accepted"] += 1
            supply[key][value]["completed"] += int(row.state in DONE)
            supply[key][value]["minutes_served"] += minutes
            volunteers[f"{key}:{value}"].add(row.volunteer_local_id)
        if row.rating is not None:
            ratings[int(row.rating)] += 1
    for key, groups in supply.items():
        for value, counts in groups.items():
            counts["volunteers"] = len(volunteers[f"{key}:{value}"])
    return {
        "from_ms": from_ms, "to_ms": to_ms, "station": station,
        "demand": {key: dict(sorted(c.items())) for key, c in demand.items()},
        "supply": {key: {v: dict(c) for v, c in sorted(g.items())} for key, g in supply.items()},
        "completion": _completion(states),
        "ratings": _ratings(ratings),
        "disputes": _disputes(conn, window),
    }


def _completion(states: Counter[str]) -> dict[str, Any]:
    posted = sum(states.values())
    done = sum(states[s] for s in DONE)
    cancelled = states[ServiceRequestState.CANCELLED]
    wanted = posted - cancelled
    return {"posted": posted, "completed": done, "cancelled": cancelled,
            "by_state": dict(sorted(states.items())),
            "completion_rate": round(done / wanted, 4) if wanted else None}


def _ratings(ratings: Counter[int]) -> dict[str, Any]:
    count = sum(ratings.values())
    total = sum(r * n for r, n in ratings.items())
    return {"count": count, "sum": total,
            "mean": round(total / count, 2) if count else None,
            "distribution": {str(r): ratings[r] for r in range(1, 6)}}


def _disputes(conn: Connection, window: list[Any]) -> dict[str, Any]:
    rows = list(conn.execute(
        select(tb_disputes.c.state, tb_disputes.c.outcome, tb_service_requests.c.held_minutes)
        .join(tb_service_requests, tb_service_requests.c.id == tb_disputes.c.request_id)
        .where(*window)))
    return {"raised": len(rows),
            "open": sum(1 for r in rows if r.state == DisputeState.OPEN),
            "outcomes": dict(Counter(r.outcome for r in rows if r.outcome)),
            "held_minutes": sum(int(r.held_minutes or 0) for r in rows
                                if r.state == DisputeState.OPEN)}
