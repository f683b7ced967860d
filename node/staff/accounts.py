"""Staff accounts, managed by admins: create, list, disable, re-enable.

A staff account names a registered, active station (node/stations/); an admin account names
none. Roles are those of API tokens (node/access.py); a regulator reads through the API with a
token and has no console, so accounts are for admins and staff only. Disabling an account
raises its `version`, which every console session opened under the old version checks at its
next request (signin.py): the session ends at once. Nothing is deleted; every create, disable
and re-enable is written to the audit trail (tb_audit, subject `staff:<username>`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from node.access import Principal, Role, require_role
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import staff_accounts, tb_audit
from node.errors import Conflict, ErrorCode, NodeError, NotFound, RuleViolation
from node.people.pins import Hasher
from node.staff.passwords import check_password
from node.stations.registry import station_exists

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,31}")  # 3 to 32 characters
ACCOUNT_ROLES = (Role.ADMIN, Role.STAFF)
ACCOUNTS_MAX = 5_000
TOKEN_ID_PREFIX = "acct."  # Principal.token_id of a signed-in account: acct.<username>
AUDIT_DETAIL_CHARS_MAX = 500


@dataclass(frozen=True)
class StaffAccount:
    username: str
    role: Role
    station: str | None
    disabled: bool
    locked_until_ms: int | None
    created_at_ms: int
    last_sign_in_at_ms: int | None

    def public(self) -> dict[str, Any]:
        return {"username": self.username, "role": str(self.role), "station": self.station,
                "disabled": self.disabled, "created_at_ms": self.created_at_ms,
                "last_sign_in_at_ms": self.last_sign_in_at_ms}


def account_of(row: Any) -> StaffAccount:
    return StaffAccount(username=row.username, role=Role(row.role), station=row.station,
                        disabled=row.disabled_at_ms is not None,
                        locked_until_ms=row.locked_until_ms, created_at_ms=row.created_at_ms,
                        last_sign_in_at_ms=row.last_sign_in_at_ms)


def principal_of(row: Any) -> Principal:
    """How a signed-in account acts: its role and station, named `acct.<username>`."""
    return Principal(Role(row.role), f"{TOKEN_ID_PREFIX}{row.username}", station=row.station)


def audit(conn: Connection, username: str, action: str, actor: str, detail: str,
          now_ms: int) -> None:
    conn.execute(insert(tb_audit).values(
        subject=f"staff:{username[:32]}", action=action, actor=actor,
        detail=detail[:AUDIT_DETAIL_CHARS_MAX], entry_height=None, at_ms=now_ms))


def _invalid(field: str, why: str) -> NodeError:
    return NodeError(ErrorCode.VALIDATION_FAILED, f"{field}: {why}")


def _check_scope(conn: Connection, role: Role, station: str | None) -> None:
    if role not in ACCOUNT_ROLES:
        raise _invalid("role", "an account is for staff or an admin")
    if role == Role.ADMIN and station is not None:
        raise _invalid("station", "an admin account names no station")
    if role == Role.STAFF and (station is None or not station_exists(conn, station)):
        raise RuleViolation(ErrorCode.STATION_UNKNOWN,
                            f"a staff account names a registered, active station, "
                            f"not {station!r}")


class StaffAccounts:
    def __init__(self, *, db: Database, clock: Clock, hasher: Hasher) -> None:
        self.db = db
        self.clock = clock
        self.hasher = hasher

    def create(self, principal: Principal, *, username: str, role: Role, station: str | None,
               password: str) -> StaffAccount:
        require_role(principal, Role.ADMIN, what="create staff accounts")
        if not USERNAME.fullmatch(username):
            raise _invalid("username", "3 to 32 lowercase letters, digits, '.', '_' or '-'")
        check_password(password, username=username)
        with self.db.read() as conn:  # refuse before paying for a hash
            _check_scope(conn, role, station)
        secret_hash = self.hasher.hash(password)
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            _check_scope(conn, role, station)  # the station may have closed meanwhile
            if self._row(conn, username) is not None:
                raise Conflict(ErrorCode.STAFF_ACCOUNT_EXISTS, f"username {username} is taken")
            if len(conn.execute(select(staff_accounts.c.username)
                                .limit(ACCOUNTS_MAX)).all()) >= ACCOUNTS_MAX:
                raise RuleViolation(ErrorCode.VALIDATION_FAILED, f"at most {ACCOUNTS_MAX} "
                                    "staff accounts")
            conn.execute(insert(staff_accounts).values(
                username=username, role=str(role), station=station, secret_hash=secret_hash,
                version=1, failed_count=0, locked_until_ms=None, disabled_at_ms=None,
                created_by=principal.actor, created_at_ms=now_ms, last_sign_in_at_ms=None,
                updated_at_ms=now_ms))
            audit(conn, username, "staff_created", principal.actor,
                  f"{role}" + (f" of station {station}" if station else ""), now_ms)
            return account_of(self._load(conn, username))

    def list(self, principal: Principal) -> list[StaffAccount]:
        require_role(principal, Role.ADMIN, what="list staff accounts")
        with self.db.read() as conn:
            rows = conn.execute(select(staff_accounts).order_by(staff_accounts.c.username)
                                .limit(ACCOUNTS_MAX)).all()
        return [account_of(row) for row in rows]

    def set_disabled(self, principal: Principal, username: str, *,
                     disabled: bool) -> StaffAccount:
        """Disable (its live sessions end at their next request) or re-enable an account.
        An admin does not disable the account they are signed in with. Setting the state it
        has changes nothing and records nothing."""
        require_role(principal, Role.ADMIN, what="disable staff accounts")
        if disabled and principal.token_id == f"{TOKEN_ID_PREFIX}{username}":
            raise RuleViolation(ErrorCode.FORBIDDEN, "you cannot disable your own account")
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            row = self._load(conn, username)
            if (row.disabled_at_ms is not None) == disabled:
                return account_of(row)
            if not disabled and row.station is not None and not station_exists(conn,
                                                                              row.station):
                raise RuleViolation(ErrorCode.STATION_UNKNOWN,
                                    f"station {row.station} is not active")
            conn.execute(update(staff_accounts).where(staff_accounts.c.username == username)
                         .values(disabled_at_ms=now_ms if disabled else None,
                                 version=row.version + 1, failed_count=0,
                                 locked_until_ms=None, updated_at_ms=now_ms))
            audit(conn, username, "staff_disabled" if disabled else "staff_enabled",
                  principal.actor, f"{row.role}", now_ms)
            return account_of(self._load(conn, username))

    @staticmethod
    def _row(conn: Connection, username: str) -> Any:
        return conn.execute(select(staff_accounts)
                            .where(staff_accounts.c.username == username)).first()

    def _load(self, conn: Connection, username: str) -> Any:
        row = self._row(conn, username)
        if row is None:
            raise NotFound(ErrorCode.STAFF_ACCOUNT_NOT_FOUND, f"no staff account {username}")
        return row
