"""A volunteer's service as a record holds it: paid visits by category with their minutes, and
the honour level those hours reach under the policy (docs/records.md, "Qualifications and
honour levels").

A visit counts once it is paid with something released to the service (not while held, not
when a complaint gave everything back), with its rounded minutes; a correction after payment
(corrections.py) replaces both by what it posted. Honour levels are policy data
(`[[honours.levels]]`: stars, name, hours): the highest level whose hours the minutes reach.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection

from node.db.schema import tb_service_adjustments, tb_service_requests
from node.states import ServiceRequestState
from node.timebank.adjustments_view import POSTED
from node.timebank.policy import HonourLevel, NodePolicy

MINUTES_PER_HOUR = 60
ALL_TIME_MS = (0, 2**62)


def served(conn: Connection, local_id: str, *, from_ms: int, to_ms: int) -> dict[
        str, tuple[int, int]]:
    """His visits paid in [from_ms, to_ms): category -> (visits, minutes)."""
    request, fix = tb_service_requests.c, tb_service_adjustments.c
    mine = and_(request.volunteer_local_id == local_id,
                request.state == str(ServiceRequestState.PAID),
                request.settled_at_ms >= from_ms, request.settled_at_ms < to_ms)
    visits = {row.id: (row.category, int(row.rounded_minutes or 0),
                       int(row.released_minutes or 0))
              for row in conn.execute(select(request.id, request.category,
                                             request.rounded_minutes,
                                             request.released_minutes).where(mine))}
    corrected = conn.execute(
        select(fix.request_id, fix.rounded_after, fix.price_after)
        .join(tb_service_requests, tb_service_requests.c.id == fix.request_id)
        .where(mine, fix.state == POSTED).order_by(fix.recorded_at_ms, fix.id))
    for row in corrected:  # the latest correction of a visit stands
        category = visits[row.request_id][0]
        visits[row.request_id] = (category, int(row.rounded_after), int(row.price_after))
    out: dict[str, tuple[int, int]] = {}
    for category, minutes, paid in visits.values():
        if paid > 0:
            count, total = out.get(category, (0, 0))
            out[category] = (count + 1, total + minutes)
    return out


def service_minutes(conn: Connection, local_id: str) -> int:
    """All his paid service, in minutes."""
    start, end = ALL_TIME_MS
    return sum(minutes for _, minutes in served(conn, local_id, from_ms=start,
                                                to_ms=end).values())


def level_for(policy: NodePolicy, minutes: int) -> HonourLevel | None:
    reached = [level for level in policy.honours.levels
               if level.hours * MINUTES_PER_HOUR <= minutes]
    return reached[-1] if reached else None


def honour(policy: NodePolicy, minutes: int) -> dict[str, Any] | None:
    """The level reached and the next one, as pages and the certificate show them; None when
    the policy has no levels."""
    levels = policy.honours.levels
    if not levels:
        return None
    reached = level_for(policy, minutes)
    after = [level for level in levels if level.hours * MINUTES_PER_HOUR > minutes]
    return {"minutes": minutes,
            "stars": reached.stars if reached else 0,
            "name": reached.name if reached else None,
            "hours": reached.hours if reached else None,
            "next_stars": after[0].stars if after else None,
            "next_hours": after[0].hours if after else None}
