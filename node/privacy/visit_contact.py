"""Her phone, emergency contact and home address for a home visit: consent purpose
`home_visit_contact` (node/privacy/consents.py, issue 14 item 3).

The one place the node gives these fields to someone who is to visit her:

who      staff of her station or an admin (who send a volunteer), or the volunteer of a request
         of hers that he has accepted and not yet finished (accepted or in progress): while he
         is on his way or at her door, not before he takes it nor after he leaves. Anyone else,
         she herself included (her own page shows her data), is refused as not allowed.
consent  only while she consents to `home_visit_contact`; otherwise `consent_required`, and
         nothing is shown. Her personal-data page (node/privacy/service.py's `get`) still shows
         the same fields to her station's staff and admins: there they keep her record at her
         request (correction, export, erasure), which is not giving them to a visitor
         (docs/decisions.md, "Consent enforced per purpose").
log      every call is a row of the access log, `allowed` or `refused` (a refusal for want of
         consent as well), naming the fields, never their values.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.access import Principal, Role, deny
from node.db.schema import tb_service_requests
from node.errors import AuthError, ErrorCode, NodeError, RuleViolation
from node.notify.guard import require_for_member
from node.privacy import access_log, consents, records
from node.privacy.access_log import Action, Result
from node.states import ServiceRequestState

FIELDS = ("phone", "home_address", "emergency_name", "emergency_phone")
# A visit is under way from acceptance until check-out.
VISIT_STATES = (ServiceRequestState.ACCEPTED, ServiceRequestState.IN_PROGRESS)


def visiting_request(conn: Connection, volunteer: str, local_id: str) -> str | None:
    """The id of a request of hers that `volunteer` has accepted and not finished, or None."""
    return conn.execute(select(tb_service_requests.c.id).where(
        tb_service_requests.c.recipient_local_id == local_id,
        tb_service_requests.c.volunteer_local_id == volunteer,
        tb_service_requests.c.state.in_([str(state) for state in VISIT_STATES]))
        .order_by(tb_service_requests.c.id).limit(1)).scalar_one_or_none()


def _refusal(conn: Connection, principal: Principal, local_id: str) -> NodeError | None:
    what = f"read the home-visit contact of {local_id}"
    try:
        if principal.role in (Role.ADMIN, Role.STAFF):
            require_for_member(conn, principal, local_id, what)
        elif principal.role != Role.MEMBER or principal.member_local_id is None or (
                visiting_request(conn, principal.member_local_id, local_id) is None):
            raise deny(principal, f"{what}: only her station's staff, an admin, or the "
                       "volunteer on his way to a request of hers")
    except AuthError as refused:
        return refused
    if not consents.has_consent(conn, local_id, consents.Purpose.HOME_VISIT_CONTACT):
        return RuleViolation(ErrorCode.CONSENT_REQUIRED,
                             f"{local_id} has not consented to giving her phone and home "
                             "address to visitors (home_visit_contact): record her consent "
                             "first, or ask her station to arrange the visit")
    return None


def read(conn: Connection, principal: Principal, local_id: str, *,
         now_ms: int) -> dict[str, Any] | NodeError:
    """Her visit contact, or the refusal for the caller to raise after the transaction commits
    (its access-log row stays). NotFound for a member who does not exist propagates, unlogged."""
    refusal = _refusal(conn, principal, local_id)
    access_log.append(conn, member_local_id=local_id, actor=principal.actor, action=Action.READ,
                      fields=list(FIELDS),
                      result=Result.ALLOWED if refusal is None else Result.REFUSED,
                      now_ms=now_ms)
    if refusal is not None:
        return refusal
    row = records.stored(conn, local_id)
    shown = {name: None if row is None else getattr(row, name) for name in FIELDS}
    return {"local_id": local_id, **shown,
            "consented_at_ms": consents.consented_at(
                conn, local_id, consents.Purpose.HOME_VISIT_CONTACT)}
