"""Who may do what. Roles and the rules that bind them, as plain functions over a Principal.

admin      everything on this node
staff      members of their own station: create, read, act for them (elders without phones),
           grant hours to them
member     their own account only, and the accounts of members who made them their delegate
           (`acts_for`: a son acting for his mother, granted by her or her station's staff)
regulator  read-only: members, balances, statements, transfers, ledger checkpoints
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy.engine import Connection

from node.errors import AuthError, ErrorCode


class Role(StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    MEMBER = "member"
    REGULATOR = "regulator"


@dataclass(frozen=True)
class Principal:
    role: Role
    token_id: str
    member_local_id: str | None = None
    station: str | None = None
    # Members this member may act for (node/people/delegates.py), filled in when a signed-in
    # member's session is resolved; empty for every token.
    acts_for: frozenset[str] = frozenset()

    @property
    def actor(self) -> str:
        """How journal entries and records name who did it."""
        if self.role == Role.MEMBER:
            return f"member:{self.member_local_id}"
        if self.role == Role.STAFF:
            return f"staff:{self.station}:{self.token_id}"
        return f"{self.role}:{self.token_id}"


def deny(principal: Principal, what: str) -> AuthError:
    return AuthError(ErrorCode.FORBIDDEN, f"role {principal.role} may not {what}")


def require_role(principal: Principal, *roles: Role, what: str) -> None:
    if principal.role not in roles:
        raise deny(principal, what)


def can_read_member(principal: Principal, *, local_id: str, station: str | None) -> bool:
    if principal.role in (Role.ADMIN, Role.REGULATOR):
        return True
    if principal.role == Role.STAFF:
        return station is not None and station == principal.station
    return speaks_for(principal, local_id)


def speaks_for(principal: Principal, local_id: str) -> bool:
    """A member principal for `local_id`: the member herself, or a delegate she has."""
    return principal.role == Role.MEMBER and (
        principal.member_local_id == local_id or local_id in principal.acts_for)


def can_act_in_person(principal: Principal, *, local_id: str, station: str | None) -> bool:
    """Like can_act_for, but a delegate does not count: who may name or end delegates."""
    if principal.role == Role.MEMBER:
        return principal.member_local_id == local_id
    return can_act_for(principal, local_id=local_id, station=station)


def can_act_for(principal: Principal, *, local_id: str, station: str | None) -> bool:
    """Move a member's hours: the member, their station's staff, or an admin."""
    return principal.role != Role.REGULATOR and can_read_member(
        principal, local_id=local_id, station=station
    )


def require_read_member(principal: Principal, *, local_id: str, station: str | None) -> None:
    if not can_read_member(principal, local_id=local_id, station=station):
        raise deny(principal, f"read member {local_id}")


def require_act_for(principal: Principal, *, local_id: str, station: str | None) -> None:
    if not can_act_for(principal, local_id=local_id, station=station):
        raise deny(principal, f"act for member {local_id}")


def require_act_in_person(principal: Principal, *, local_id: str, station: str | None) -> None:
    if not can_act_in_person(principal, local_id=local_id, station=station):
        raise deny(principal, f"act in person for member {local_id}")


class AccessLogger(Protocol):
    """Writes one row of the access log of personal data in `conn`'s transaction
    (node/runtime.py's `_log_access`, over node/privacy): what services below node/privacy in
    the layer order are handed instead of importing the log."""

    def __call__(self, conn: Connection, *, member_local_id: str, principal: Principal,
                 change: bool, fields: list[str], allowed: bool, now_ms: int) -> None: ...
