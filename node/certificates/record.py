"""The volunteer record a format-2 certificate carries beside his service (document.py): the
honour level his whole paid service reached under the node's policy, his qualifications and
his ratings. Collected when the certificate is issued; checked for shape when it is verified.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from node.certificates.document import (
    EVALUATION_MEMBERS,
    HONOUR_MEMBERS,
    QUALIFICATION_MEMBERS,
    Record,
)
from node.db.schema import tb_service_requests
from node.states import ServiceRequestState
from node.timebank.honours import honour, service_minutes
from node.timebank.policy import NodePolicy
from node.timebank.qualifications import held

TENTHS = 10


def collect(conn: Connection, policy: NodePolicy, local_id: str) -> Record:
    reached = honour(policy, service_minutes(conn, local_id))
    level = None if reached is None or not reached["stars"] else {
        "stars": reached["stars"], "name": reached["name"], "hours": reached["hours"]}
    qualifications = tuple({name: q[name] for name in QUALIFICATION_MEMBERS}
                           for q in held(conn, local_id))
    request = tb_service_requests.c
    count, total = conn.execute(select(func.count(request.rating),
                                       func.coalesce(func.sum(request.rating), 0)).where(
        and_(request.volunteer_local_id == local_id,
             request.state == str(ServiceRequestState.PAID),
             request.rating.is_not(None)))).one()
    evaluations = None if not count else {
        "rated_visits": int(count),
        "average_rating_tenths": (int(total) * TENTHS + int(count) // 2) // int(count)}
    return Record(level, qualifications, evaluations)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _text(value: Any) -> bool:
    return isinstance(value, str)


def problems(document: dict[str, Any]) -> list[str]:
    """What is wrong with a format-2 certificate's record members (none in format 1)."""
    if "honour" not in document:
        return []
    out = []
    level = document["honour"]
    if level is not None and not (isinstance(level, dict) and sorted(level) == sorted(
            HONOUR_MEMBERS) and _whole(level["stars"]) and _whole(level["hours"])
            and _text(level["name"])):
        out.append("honour must be null or stars, name and hours")
    found = document["qualifications"]
    if not isinstance(found, list) or not all(
            isinstance(q, dict) and sorted(q) == sorted(QUALIFICATION_MEMBERS)
            and all(_text(q[n]) for n in QUALIFICATION_MEMBERS if n != "valid_until")
            and (q["valid_until"] is None or _text(q["valid_until"])) for q in found):
        out.append("qualifications must list kind, title, issuer, valid_from and valid_until")
    rated = document["evaluations"]
    if rated is not None and not (isinstance(rated, dict) and sorted(rated) == sorted(
            EVALUATION_MEMBERS) and all(_whole(rated[n]) for n in EVALUATION_MEMBERS)):
        out.append("evaluations must be null or whole numbers of rated visits and tenths")
    return out
