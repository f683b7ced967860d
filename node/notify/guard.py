"""Who may see a member's notifications and contacts: the member herself (or a delegate she
named, node/people), staff of her station (who act for elders without phones) and an admin —
node/access.py's `require_act_for`.

A regulator reads the ledger, not people's mailboxes or addresses, so it is refused here
although it may read a member's balance. A member asking about another id, and a regulator,
are refused before any lookup: not even whether the id exists leaks.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.access import Principal, Role, deny, require_act_for, speaks_for
from node.db.schema import members
from node.errors import ErrorCode, NotFound


def precheck(principal: Principal, local_id: str, what: str) -> None:
    """Refusals that need no lookup (AuthError `forbidden`)."""
    if principal.role == Role.REGULATOR or (
            principal.role == Role.MEMBER and not speaks_for(principal, local_id)):
        raise deny(principal, f"{what} of member {local_id}")


def require_for_member(conn: Connection, principal: Principal, local_id: str,
                       what: str) -> None:
    """The member exists (404 otherwise) and `principal` acts for her (403 otherwise)."""
    precheck(principal, local_id, what)
    station = conn.execute(select(members.c.station).where(
        members.c.local_id == local_id)).one_or_none()
    if station is None:
        raise NotFound(ErrorCode.MEMBER_NOT_FOUND, f"no member {local_id} on this node")
    require_act_for(principal, local_id=local_id, station=station[0])
