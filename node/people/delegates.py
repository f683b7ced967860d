"""Family access: a member of this node acting for an elder (her son registered as her kin).

grant    the elder herself (signed in), her station's staff or an admin name a delegate. He must
         be in her kin registry as a member of this node, and active; granting twice answers
         with the grant already in force. At most `DELEGATES_PER_MEMBER_MAX` at once.
revoke   the elder, her staff, an admin, or the delegate himself ends a grant; the row stays,
         with who ended it and when.
list     every grant of the elder, newest first, for her, her delegates, staff and regulators.
acts_for the members a member may act for now: what a signed-in member's Principal carries
         (node.access.Principal.acts_for), re-read at every request, so a revocation is felt at
         the delegate's next click.

A delegate acts for the elder, never as her: every record names him (`member:<his number>`), and
he cannot name or end other delegates for her. Delegates at another node are not possible: see
docs/decisions.md ("Members signing in").
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from node.access import (
    AccessLogger,
    Principal,
    Role,
    can_read_member,
    deny,
    require_act_in_person,
)
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import member_delegates, tb_kin
from node.errors import AuthError, ErrorCode, NotFound, RuleViolation
from node.ledger.system_ids import refuse_system_id
from node.people import records
from node.services.members import load_member, require_active
from protocol.addresses import MemberAddress

DELEGATES_PER_MEMBER_MAX = 5
LIST_MAX = 100
_ACTIVE = member_delegates.c.revoked_at_ms.is_(None)


def acts_for(conn: Connection, delegate: str) -> frozenset[str]:
    """The members `delegate` may act for now."""
    return frozenset(conn.execute(select(member_delegates.c.member_local_id).where(
        member_delegates.c.delegate_local_id == delegate, _ACTIVE)).scalars())


def _view(row: Any) -> dict[str, Any]:
    return {"member": row.member_local_id, "delegate": row.delegate_local_id,
            "granted_by": row.granted_by, "granted_at_ms": row.granted_at_ms,
            "revoked_by": row.revoked_by, "revoked_at_ms": row.revoked_at_ms,
            "active": row.revoked_at_ms is None}


def _active_grant(conn: Connection, local_id: str, delegate: str) -> Any | None:
    return conn.execute(select(member_delegates).where(
        member_delegates.c.member_local_id == local_id,
        member_delegates.c.delegate_local_id == delegate, _ACTIVE)).one_or_none()


class Delegates:
    def __init__(self, *, db: Database, clock: Clock, node_id: str,
                 log_access: AccessLogger | None = None) -> None:
        self.db = db
        self.clock = clock
        self.node_id = node_id
        self.log_access = log_access  # who read whose delegates (node/privacy's access log)

    def grant(self, principal: Principal, local_id: str, *,
              delegate: str) -> tuple[dict[str, Any], bool]:
        """(the grant, True if made now); the grant in force if there is one."""
        if principal.role == Role.MEMBER and principal.member_local_id != local_id:
            raise deny(principal, f"name delegates for member {local_id}")
        refuse_system_id(local_id, what="nobody acts for it")
        refuse_system_id(delegate, what="it acts for nobody")
        if delegate == local_id:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED, "a member is not her own delegate")
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            elder = load_member(conn, local_id)
            require_act_in_person(principal, local_id=local_id, station=elder.station)
            require_active(elder)
            self._require_kin(conn, local_id, delegate)
            require_active(load_member(conn, delegate))
            existing = _active_grant(conn, local_id, delegate)
            if existing is not None:
                return _view(existing), False
            in_force = conn.execute(select(member_delegates.c.id).where(
                member_delegates.c.member_local_id == local_id, _ACTIVE)).all()
            if len(in_force) >= DELEGATES_PER_MEMBER_MAX:
                raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                    f"at most {DELEGATES_PER_MEMBER_MAX} delegates per member")
            conn.execute(insert(member_delegates).values(
                member_local_id=local_id, delegate_local_id=delegate,
                granted_by=principal.actor, granted_at_ms=now_ms))
            records.log(conn, local_id, "delegate_granted", actor=principal.actor,
                        detail=f"{delegate} may act for {local_id}", now_ms=now_ms)
            granted = _active_grant(conn, local_id, delegate)
            return _view(granted), True

    def _require_kin(self, conn: Connection, local_id: str, delegate: str) -> None:
        relative = str(MemberAddress(delegate, self.node_id))
        found = conn.execute(select(tb_kin.c.relation).where(
            tb_kin.c.member_local_id == local_id,
            tb_kin.c.relative == relative)).scalar_one_or_none()
        if found is None:
            raise RuleViolation(ErrorCode.DELEGATE_NOT_KIN,
                                f"{relative} is not in {local_id}'s kin registry; station staff "
                                "record kin first (POST /api/v1/members/{id}/kin)")

    def revoke(self, principal: Principal, local_id: str, *, delegate: str) -> dict[str, Any]:
        if principal.role == Role.MEMBER and principal.member_local_id not in (local_id,
                                                                                delegate):
            raise deny(principal, f"end delegates of member {local_id}")
        now_ms = self.clock.now_ms()
        himself = principal.role == Role.MEMBER and principal.member_local_id == delegate
        with self.db.write() as conn:
            if not himself:  # he needs no lookup of her: that would tell him whether she exists
                elder = load_member(conn, local_id)
                require_act_in_person(principal, local_id=local_id, station=elder.station)
            row = _active_grant(conn, local_id, delegate)
            if row is None:
                raise NotFound(ErrorCode.DELEGATE_NOT_FOUND,
                               f"{delegate} does not act for {local_id}")
            conn.execute(update(member_delegates).where(member_delegates.c.id == row.id)
                         .values(revoked_by=principal.actor, revoked_at_ms=now_ms))
            records.log(conn, local_id, "delegate_revoked", actor=principal.actor,
                        detail=f"{delegate} no longer acts for {local_id}", now_ms=now_ms)
            ended = conn.execute(select(member_delegates).where(
                member_delegates.c.id == row.id)).one()
            return _view(ended)

    def list(self, principal: Principal, local_id: str) -> dict[str, Any]:
        """Who may act for her. Every read, a refused one too, is a row of the access log
        (committed before the refusal is raised)."""
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            try:
                records.precheck_member(principal, local_id)  # before any lookup
                elder = load_member(conn, local_id)
                allowed = can_read_member(principal, local_id=local_id, station=elder.station)
            except AuthError:
                allowed = False
            if self.log_access is not None:
                self.log_access(conn, member_local_id=local_id, principal=principal,
                                change=False, fields=["delegates"], allowed=allowed,
                                now_ms=now_ms)
            if allowed:
                rows = conn.execute(select(member_delegates).where(
                    member_delegates.c.member_local_id == local_id)
                    .order_by(member_delegates.c.id.desc()).limit(LIST_MAX))
                return {"member": local_id, "items": [_view(row) for row in rows]}
        raise deny(principal, f"read member {local_id}")
