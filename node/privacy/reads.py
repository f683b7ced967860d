"""Reads of members' records in the access log (issue 14, item 4): name, birth year, station and
status (`members`), care fields and the history of corrections. The member services call these
in the transaction that reads, as node/privacy/service.py does for the personal data itself.

single read  `logged_read`: one row, `allowed` naming the fields shown, or `refused` (the caller
             raises the refusal after its transaction commits, so the row stays). A member who
             does not exist gets no row: NotFound, nobody to log about.
her own      a member reading her own record (the personal centre, /me) is not logged: she is
             the person the data is about, not someone accessing it. A delegate is logged.
list read    `logged_list`: one row per member shown, written in one batch (one head update,
             one multi-row insert) — docs/decisions.md, "Access log of member reads".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.access import Principal, Role, deny, require_read_member, speaks_for
from node.db.schema import members
from node.errors import AuthError, ErrorCode, NotFound
from node.privacy import access_log
from node.privacy.access_log import Action, Result

RECORD_FIELDS = ("display_name", "birth_year", "station", "status")
HISTORY_FIELDS = ("record_history",)  # before and after values of her corrections


def own_read(principal: Principal, local_id: str) -> bool:
    """The member herself (not a delegate): her reads are not logged."""
    return principal.role == Role.MEMBER and principal.member_local_id == local_id


def logged_read(conn: Connection, principal: Principal, local_id: str, *,
                fields: Sequence[str], now_ms: int, what: str,
                regulator: bool = True) -> AuthError | None:
    """Whether `principal` may read member `local_id` (node/access.py's `can_read_member`; a
    regulator only when `regulator`), logged either way. None when allowed; else the refusal,
    for the caller to raise once the transaction commits. NotFound propagates, unlogged."""
    try:
        if (principal.role == Role.MEMBER and not speaks_for(principal, local_id)) or (
                principal.role == Role.REGULATOR and not regulator):
            raise deny(principal, f"{what} {local_id}")  # before any lookup: nothing leaks
        station = conn.execute(select(members.c.station).where(
            members.c.local_id == local_id)).one_or_none()
        if station is None:
            raise NotFound(ErrorCode.MEMBER_NOT_FOUND, f"no member {local_id} on this node")
        require_read_member(principal, local_id=local_id, station=station[0])
    except AuthError as refused:
        log(conn, principal, local_id, fields=fields, allowed=False, now_ms=now_ms)
        return refused
    log(conn, principal, local_id, fields=fields, allowed=True, now_ms=now_ms)
    return None


def log(conn: Connection, principal: Principal, local_id: str, *, fields: Sequence[str],
        allowed: bool, now_ms: int) -> None:
    """One read row, unless it is the member's own read."""
    if own_read(principal, local_id):
        return
    access_log.append(conn, member_local_id=local_id, actor=principal.actor, action=Action.READ,
                      fields=fields, result=Result.ALLOWED if allowed else Result.REFUSED,
                      now_ms=now_ms)


def logged_list(conn: Connection, principal: Principal, local_ids: Iterable[str], *,
                fields: Sequence[str], now_ms: int) -> int:
    """One `allowed` row per member a list showed `principal` (but herself); how many."""
    shown = [local_id for local_id in local_ids if not own_read(principal, local_id)]
    return access_log.append_many(conn, member_local_ids=shown, actor=principal.actor,
                                  action=Action.READ, fields=fields, result=Result.ALLOWED,
                                  now_ms=now_ms)
