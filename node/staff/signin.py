"""Signing in to the console with a username and password, and re-checking the account.

sign_in     1. refuse a client past its limit (node/people/throttle.py's ClientLimiter)
            2. read the account (no write lock held)
            3. unknown or disabled: the phantom path, which answers, times and locks like a
               wrong password, so no answer tells a guesser which usernames exist
            4. refuse while locked (5 wrong passwords: 15 minutes, right password or not)
            5. check the password (Argon2id, outside any transaction)
            6. one write: the failure counted (and the lock at the limit), or the counter
               cleared, provided the account's version did not change in between
principal   what the console calls at every request of an account's session: the account's
            principal if it is still enabled under the version the session was opened with;
            a disabled (or re-enabled) account's sessions end here.

Every outcome is audited (tb_audit, subject `staff:<username>`), never the password.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import select, update

from node.access import Principal
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import staff_accounts
from node.errors import AuthError, ErrorCode
from node.people.errors import SignInLocked, SignInRefused
from node.people.pins import SECRET_CHARS_MAX, Hasher
from node.people.throttle import (
    LOCK_AFTER_FAILURES,
    LOCK_MS,
    MINUTE_MS,
    ClientLimiter,
    Phantoms,
    after_failure,
)
from node.staff.accounts import audit, principal_of

WRONG = "the username or the password is not right"
LOCKED = (f"signing in as this user is paused for {LOCK_MS // MINUTE_MS} minutes after "
          f"{LOCK_AFTER_FAILURES} wrong passwords; try again later or ask an admin")
ENDED = "the account was disabled, or its session ended: sign in again"
USERNAME_CHARS_MAX = 32


@dataclass(frozen=True)
class SignedIn:
    username: str
    version: int
    principal: Principal


def client_actor(client: str) -> str:
    return f"client:{client[:90]}"


class StaffSignIn:
    def __init__(self, *, db: Database, clock: Clock, hasher: Hasher,
                 limiter: ClientLimiter | None = None, phantoms: Phantoms | None = None) -> None:
        self.db = db
        self.clock = clock
        self.hasher = hasher
        self.limiter = limiter or ClientLimiter(clock)
        self.phantoms = phantoms or Phantoms(clock)

    def sign_in(self, *, username: str, password: str, client: str) -> SignedIn:
        """The signed-in account; SignInRefused (401), SignInLocked or TooManyAttempts (429,
        with retry_after_s) otherwise."""
        self.limiter.check(client)
        username = username.strip().lower()[:USERNAME_CHARS_MAX]
        password = password[:SECRET_CHARS_MAX]
        with self.db.read() as conn:
            row = conn.execute(select(staff_accounts)
                               .where(staff_accounts.c.username == username)).first()
        if row is None or row.disabled_at_ms is not None:
            self._phantom(username, password, client)
        now_ms = self.clock.now_ms()
        if row.locked_until_ms is not None and row.locked_until_ms > now_ms:
            self._refuse(username, client, "locked: the password was not checked",
                         locked_until_ms=row.locked_until_ms)
        if not self.hasher.verify(row.secret_hash, password):
            self._failed(row, client)
        return self._succeeded(row, password, client)

    def principal(self, username: str, version: int) -> Principal:
        """The account's principal while it is enabled under `version`; else UNAUTHENTICATED."""
        with self.db.read() as conn:
            row = conn.execute(select(staff_accounts)
                               .where(staff_accounts.c.username == username)).first()
        if row is None or row.disabled_at_ms is not None or row.version != version:
            raise AuthError(ErrorCode.UNAUTHENTICATED, ENDED)
        return principal_of(row)

    def _phantom(self, username: str, password: str, client: str) -> NoReturn:
        try:
            self.phantoms.refuse_if_locked(username)
        except SignInLocked as locked:
            self._refuse(username, client, "locked: the password was not checked",
                         locked_until_ms=self.clock.now_ms() + locked.retry_after_s * 1000)
        self.hasher.verify(None, password)  # a wrong password's time
        locked_until_ms = self.phantoms.failed(username)
        self._refuse(username, client, "no enabled account has this username",
                     locked_until_ms=locked_until_ms, failed=True)

    def _failed(self, row: Any, client: str) -> NoReturn:
        now_ms = self.clock.now_ms()
        account = staff_accounts.c
        detail, locked_until_ms = "wrong password for an account changed meanwhile", None
        with self.db.write() as conn:
            current = conn.execute(select(account.failed_count, account.locked_until_ms)
                                   .where(account.username == row.username,
                                          account.version == row.version)).one_or_none()
            if current is not None:
                count, locked_until_ms = after_failure(current.failed_count,
                                                       current.locked_until_ms, now_ms)
                conn.execute(update(staff_accounts).where(account.username == row.username)
                             .values(failed_count=count, locked_until_ms=locked_until_ms,
                                     updated_at_ms=now_ms))
                detail = f"wrong password ({count} of {LOCK_AFTER_FAILURES})"
        self._refuse(row.username, client, detail, locked_until_ms=locked_until_ms, failed=True)

    def _refuse(self, username: str, client: str, detail: str, *,
                locked_until_ms: int | None, failed: bool = False) -> NoReturn:
        """Audit one refusal (and the lock it caused), count it for the client, and raise."""
        now_ms = self.clock.now_ms()
        self.limiter.failed(client)
        actor = client_actor(client)
        with self.db.write() as conn:
            audit(conn, username, "staff_sign_in_failed" if failed else "staff_sign_in_refused",
                  actor, detail, now_ms)
            if failed and locked_until_ms is not None:
                audit(conn, username, "staff_sign_in_locked", actor,
                      f"locked for {LOCK_MS // MINUTE_MS} minutes", now_ms)
        if locked_until_ms is not None:
            raise SignInLocked(LOCKED, retry_after_ms=locked_until_ms - now_ms)
        raise SignInRefused(WRONG)

    def _succeeded(self, row: Any, password: str, client: str) -> SignedIn:
        now_ms = self.clock.now_ms()
        rehashed = self.hasher.hash(password) if self.hasher.needs_rehash(row.secret_hash) \
            else row.secret_hash
        account = staff_accounts.c
        with self.db.write() as conn:
            done = conn.execute(update(staff_accounts).where(
                account.username == row.username, account.version == row.version,
                account.disabled_at_ms.is_(None),
                (account.locked_until_ms.is_(None)) | (account.locked_until_ms <= now_ms),
            ).values(failed_count=0, locked_until_ms=None, last_sign_in_at_ms=now_ms,
                     secret_hash=rehashed, updated_at_ms=now_ms))
            if done.rowcount == 1:
                audit(conn, row.username, "staff_signed_in", client_actor(client), "", now_ms)
        if done.rowcount != 1:  # disabled or locked between the read and now
            raise SignInRefused(WRONG)
        return SignedIn(username=row.username, version=row.version,
                        principal=principal_of(row))
