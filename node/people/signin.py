"""Signing in with a member number and PIN, and the session it opens.

sign_in                1. refuse a client past its limit (node/people/throttle.py)
                       2. read the member with her credential (no write lock held)
                       3. no PIN stored (unknown number, not activated, not active): the
                          phantom path, which answers, times and locks exactly like a wrong PIN
                       4. refuse while locked, right PIN or not
                       5. check the PIN (Argon2id, outside any transaction)
                       6. one write: a failure counted (and the lock, at the limit), or the
                          counter cleared, provided no reset or lock came in between
                       7. a session opened under the credential version read in step 2
principal_for_session  what both faces call at every request: the session's member as a
                       Principal, re-checked against her status and credential version (a reset
                       or deactivation ends the session here) and carrying `acts_for`.

Every outcome is written to the audit trail (node/people/records.py), without the PIN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

from sqlalchemy import select, update

from node.access import Principal, Role
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import member_credentials
from node.errors import AuthError, ErrorCode
from node.people import records
from node.people.delegates import acts_for
from node.people.errors import SignInLocked, SignInRefused
from node.people.pins import SECRET_CHARS_MAX, Hasher
from node.people.sessions import MemberSession, MemberSessionStore
from node.people.throttle import (
    LOCK_AFTER_FAILURES,
    LOCKED,
    ClientLimiter,
    Phantoms,
    after_failure,
    refuse_if_locked,
)

SESSION_TOKEN_ID = "session"  # Principal.token_id of a signed-in member (no API token)
WRONG = "the member number or the PIN is not right"
ENDED = "not signed in, or the session has ended: sign in again"


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    session: MemberSession


def _at(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


class SignIn:
    def __init__(self, *, db: Database, clock: Clock, hasher: Hasher, limiter: ClientLimiter,
                 phantoms: Phantoms, sessions: MemberSessionStore) -> None:
        self.db = db
        self.clock = clock
        self.hasher = hasher
        self.limiter = limiter
        self.phantoms = phantoms
        self.sessions = sessions

    def sign_in(self, *, member: str, secret: str, client: str) -> tuple[str, SignedIn]:
        """(the session id for the cookie, the signed-in member); SignInRefused, SignInLocked
        or TooManyAttempts otherwise."""
        self.limiter.check(client)
        with self.db.read() as conn:
            row = records.sign_in_row(conn, member)
        if row is None or row.secret_hash is None or not records.is_active(row):
            self._phantom(member, secret, client)
        try:
            refuse_if_locked(row.locked_until_ms, self.clock.now_ms())
        except SignInLocked:
            self._refused_while_locked(member, client)
            raise
        if not self.hasher.verify(row.secret_hash, secret):
            self._failed(row, client)
        return self._succeeded(row, secret, client)

    def _phantom(self, member: str, secret: str, client: str) -> NoReturn:
        try:
            self.phantoms.refuse_if_locked(member)
        except SignInLocked:
            self._refused_while_locked(member, client)
            raise
        self.hasher.verify(None, secret[:SECRET_CHARS_MAX])  # a wrong PIN's time
        locked_until_ms = self.phantoms.failed(member)
        self._log_failure(member, client, detail="no PIN is set for this number",
                          locked_until_ms=locked_until_ms)

    def _refused_while_locked(self, member: str, client: str) -> None:
        self.limiter.failed(client)
        with self.db.write() as conn:
            records.log(conn, member, "sign_in_refused", actor=records.client_actor(client),
                        detail="locked: the PIN was not checked", now_ms=self.clock.now_ms())

    def _failed(self, row: Any, client: str) -> NoReturn:
        now_ms = self.clock.now_ms()
        credential = member_credentials.c
        detail, locked_until_ms = "wrong PIN for a credential reset meanwhile", None
        with self.db.write() as conn:
            current = conn.execute(select(credential.failed_count, credential.locked_until_ms)
                                   .where(credential.member_local_id == row.local_id,
                                          credential.version == row.version)).one_or_none()
            if current is not None:
                count, locked_until_ms = after_failure(current.failed_count,
                                                       current.locked_until_ms, now_ms)
                conn.execute(update(member_credentials)
                             .where(credential.member_local_id == row.local_id)
                             .values(failed_count=count, locked_until_ms=locked_until_ms,
                                     updated_at_ms=now_ms))
                detail = f"wrong PIN ({count} of {LOCK_AFTER_FAILURES})"
        self._log_failure(row.local_id, client, detail=detail, locked_until_ms=locked_until_ms)

    def _log_failure(self, member: str, client: str, *, detail: str,
                     locked_until_ms: int | None) -> NoReturn:
        """Audit one failure (and the lock it caused), count it for the client, and refuse."""
        now_ms = self.clock.now_ms()
        self.limiter.failed(client)
        actor = records.client_actor(client)
        with self.db.write() as conn:
            records.log(conn, member, "sign_in_failed", actor=actor, detail=detail,
                        now_ms=now_ms)
            if locked_until_ms is not None:
                records.log(conn, member, "sign_in_locked", actor=actor,
                            detail=f"locked until {_at(locked_until_ms)}", now_ms=now_ms)
        if locked_until_ms is not None:
            raise SignInLocked(LOCKED, retry_after_ms=locked_until_ms - now_ms)
        raise SignInRefused(WRONG)

    def _succeeded(self, row: Any, secret: str, client: str) -> tuple[str, SignedIn]:
        now_ms = self.clock.now_ms()
        rehashed = self.hasher.hash(secret) if self.hasher.needs_rehash(row.secret_hash) else None
        credential = member_credentials.c
        delegated: frozenset[str] = frozenset()
        with self.db.write() as conn:
            done = conn.execute(update(member_credentials).where(
                credential.member_local_id == row.local_id, credential.version == row.version,
                (credential.locked_until_ms.is_(None)) | (credential.locked_until_ms <= now_ms),
            ).values(failed_count=0, locked_until_ms=None, last_sign_in_at_ms=now_ms,
                     updated_at_ms=now_ms, secret_hash=rehashed or row.secret_hash))
            if done.rowcount == 1:
                records.log(conn, row.local_id, "sign_in", actor=f"member:{row.local_id}",
                            detail=f"from {records.client_actor(client)}", now_ms=now_ms)
                delegated = acts_for(conn, row.local_id)
        if done.rowcount != 1:  # a reset or a lock came while the PIN was being checked
            raise SignInRefused(WRONG)
        session_id, session = self.sessions.open(row.local_id, row.version)
        return session_id, SignedIn(self._principal(row.local_id, delegated), session)

    @staticmethod
    def _principal(local_id: str, delegated: frozenset[str]) -> Principal:
        return Principal(Role.MEMBER, SESSION_TOKEN_ID, member_local_id=local_id,
                         acts_for=delegated)

    def principal_for_session(self, session_id: str) -> SignedIn:
        """The signed-in member behind a session cookie, checked afresh; AuthError
        `unauthenticated` (and the session closed) when it no longer stands."""
        session = self.sessions.get(session_id)
        if session is None:
            raise AuthError(ErrorCode.UNAUTHENTICATED, ENDED)
        with self.db.read() as conn:
            row = records.sign_in_row(conn, session.local_id)
            standing = (row is not None and records.is_active(row)
                        and row.secret_hash is not None and row.version == session.version)
            delegated = acts_for(conn, session.local_id) if standing else frozenset()
        if not standing:
            self.sessions.close(session_id)
            raise AuthError(ErrorCode.UNAUTHENTICATED, ENDED)
        return SignedIn(self._principal(session.local_id, delegated), session)

    def sign_out(self, session_id: str, *, member: str) -> None:
        self.sessions.close(session_id)
        with self.db.write() as conn:
            records.log(conn, member, "sign_out", actor=f"member:{member}", detail="",
                        now_ms=self.clock.now_ms())
