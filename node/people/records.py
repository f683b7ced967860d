"""What the sign-in services share: the audit trail, the member-with-credential read, and the
writes that replace or void a PIN.

Every event goes to the time bank's audit table (`tb_audit`, through node.timebank.common.audit)
under the subject `person:<member number>`: invitations, activations, sign-ins, failures, locks,
resets and delegates. Never a PIN, a code or a hash of either.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from node.access import Principal, Role, deny, speaks_for
from node.db.schema import member_credentials, members, tb_audit
from node.states import MemberStatus
from node.timebank.common import audit

EVENTS_SHOWN_MAX = 20
CLIENT_CHARS_MAX = 60


def subject(local_id: str) -> str:
    return f"person:{local_id}"


def log(conn: Connection, local_id: str, action: str, *, actor: str, detail: str,
        now_ms: int) -> None:
    audit(conn, subject=subject(local_id), action=action, actor=actor, detail=detail,
          now_ms=now_ms)


def client_actor(client: str) -> str:
    """How the audit names a caller not (yet) known to be anyone: by network address."""
    return f"client:{client[:CLIENT_CHARS_MAX]}"


def recent_events(conn: Connection, local_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(tb_audit).where(tb_audit.c.subject == subject(local_id))
                        .order_by(tb_audit.c.id.desc()).limit(EVENTS_SHOWN_MAX))
    return [{"action": r.action, "actor": r.actor, "detail": r.detail, "at_ms": r.at_ms}
            for r in rows]


def precheck_member(principal: Principal, local_id: str) -> None:
    """A member asking about someone she does not speak for is refused before any lookup, so
    not even existence leaks (docs/decisions.md, "Member privacy")."""
    if principal.role == Role.MEMBER and not speaks_for(principal, local_id):
        raise deny(principal, f"read member {local_id}")


def is_active(row: Any) -> bool:
    return bool(row.status == MemberStatus.ACTIVE and row.relocated_to is None)


def sign_in_row(conn: Connection, local_id: str) -> Any | None:
    """The member (status, station) with her credential columns (NULL without one), or None."""
    query = (select(members.c.local_id, members.c.status, members.c.relocated_to,
                    members.c.station, member_credentials.c.secret_hash,
                    member_credentials.c.version, member_credentials.c.failed_count,
                    member_credentials.c.locked_until_ms, member_credentials.c.set_at_ms,
                    member_credentials.c.last_sign_in_at_ms)
             .select_from(members.outerjoin(
                 member_credentials, member_credentials.c.member_local_id == members.c.local_id))
             .where(members.c.local_id == local_id))
    return conn.execute(query).one_or_none()


def set_secret(conn: Connection, local_id: str, secret_hash: str | None, now_ms: int) -> int:
    """Replace (or, with None, void) the member's PIN, clear any lock, and raise the credential
    version so that every session opened before ends. Returns the new version."""
    values = {"secret_hash": secret_hash, "failed_count": 0, "locked_until_ms": None,
              "set_at_ms": now_ms if secret_hash is not None else None, "updated_at_ms": now_ms}
    done = conn.execute(update(member_credentials)
                        .where(member_credentials.c.member_local_id == local_id)
                        .values(version=member_credentials.c.version + 1, **values))
    if done.rowcount == 0:
        conn.execute(insert(member_credentials).values(member_local_id=local_id, version=1,
                                                       **values))
    version: int = conn.execute(select(func.max(member_credentials.c.version)).where(
        member_credentials.c.member_local_id == local_id)).scalar_one()
    return version
