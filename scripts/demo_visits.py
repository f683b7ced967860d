"""The demo story's service visits (docs/timebank.md, "The service cycle"), over the HTTP API.

A visit goes the way a station runs one with paper slips: the elder's request is posted and the
volunteer takes it (admin token: the station's desk), the slip he brings back is recorded with
its minutes, and a second person (the station's staff token) confirms it with a rating, which
pays him from her hours, or the elder complains and the staff settle the dispute. Every step
has a fixed id and the request's state says which steps are done, so a second run replays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class VisitFailed(Exception):
    pass


@dataclass(frozen=True)
class Visit:
    request_id: str
    recipient: str
    volunteer: str
    category: str
    description: str
    slip_minutes: int
    slip_reference: str
    rating: int = 0  # confirmed with this rating, or:
    complaint: str = ""  # complained about, then settled by paying `released_minutes`
    released_minutes: int = 0


def _call(http: httpx.Client, method: str, path: str, body: dict[str, Any] | None = None
          ) -> dict[str, Any]:
    reply = http.request(method, path, json=body)
    if reply.status_code not in (200, 201):
        raise VisitFailed(f"{method} {path}: {reply.status_code} {reply.text[:300]}")
    return dict(reply.json())


def run_visit(desk: httpx.Client, staff: httpx.Client, visit: Visit) -> tuple[dict[str, Any], bool]:
    """Take `visit` as far as it goes: (the request at the end, whether this run moved it).
    `desk` carries the admin token (request, acceptance, slip, complaint), `staff` the station
    staff token (confirmation or settlement: never who recorded the slip)."""
    base = f"/api/v1/service-requests/{visit.request_id}"
    found = desk.get(base)
    made = found.status_code == 404
    record = _call(desk, "POST", "/api/v1/service-requests", {
        "id": visit.request_id, "recipient": visit.recipient, "category": visit.category,
        "description": visit.description}) if made else dict(found.json())
    steps = {
        "open": lambda: _call(desk, "POST", f"{base}/accept", {"volunteer": visit.volunteer}),
        "accepted": lambda: _call(desk, "POST", f"{base}/slip", {
            "reference": visit.slip_reference, "reason": "paper slip brought back to the station",
            "duration_minutes": visit.slip_minutes}),
        "completed": lambda: _call(desk, "POST", f"{base}/complaint", {
            "reason": visit.complaint}) if visit.complaint else _call(
            staff, "POST", f"{base}/confirm", {"rating": visit.rating,
                                               "comment": "谢谢 thank you"}),
        "disputed": lambda: _call(staff, "POST", f"{base}/resolution", {
            "outcome": "partial", "released_minutes": visit.released_minutes,
            "reason": "the station phoned both: the lesson was cut short, half is paid"}),
    }
    moved = False
    while record["state"] in steps:
        record = steps[record["state"]]()
        moved = True
    if record["state"] != "paid":
        raise VisitFailed(f"{visit.request_id} ended {record['state']}: {record}")
    return record, moved or made
