"""Regulator accounts and signing in to the portal.

An account is a username and a password, kept in accounts.json (0600) as the Argon2id hash the
staff logins use (node/people/pins.py's Hasher, with node/staff/passwords.py's rules), with its
lockout counters. The portal is one process, so one lock orders every change of the file.

sign_in  1. refuse a client past its limit (node/people/throttle.py's ClientLimiter)
         2. unknown: the phantom path, which answers, times and locks like a wrong password
         3. refuse while locked (5 wrong passwords: 15 minutes, right password or not)
         4. count the attempt as in flight (under the lock) and refuse it unchecked when the
            failures so far plus the checks in flight reach the limit: guesses sent at once
            cannot pass the lockout while the slow hash runs
         5. check the password (outside the lock); count the failure or clear the counter
Every outcome goes to the portal's audit trail, never the password.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, NoReturn

from node.clock import Clock
from node.errors import AuthError, Conflict, ErrorCode, NodeError, NotFound
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
from node.portal.folder import PortalFolder, read_json, write_json
from node.staff.passwords import check_password

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,31}")  # as staff usernames: 3 to 32 characters
USERNAME_CHARS_MAX = 32
ACCOUNTS_MAX = 200
WRONG = "the username or the password is not right"
LOCKED = (f"signing in as this user is paused for {LOCK_MS // MINUTE_MS} minutes after "
          f"{LOCK_AFTER_FAILURES} wrong passwords")
ENDED = "the account changed or its session ended: sign in again"


@dataclass(frozen=True)
class SignedIn:
    username: str
    version: int


class Accounts:
    def __init__(self, folder: PortalFolder, *, clock: Clock, hasher: Hasher,
                 limiter: ClientLimiter | None = None,
                 phantoms: Phantoms | None = None) -> None:
        self.folder = folder
        self.clock = clock
        self.hasher = hasher
        self.limiter = limiter or ClientLimiter(clock)
        self.phantoms = phantoms or Phantoms(clock)
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}  # username -> password checks running now

    def _all(self) -> dict[str, dict[str, Any]]:
        found = read_json(self.folder.accounts_path, "portal accounts")
        assert isinstance(found, dict), "accounts.json holds an object"
        return found

    def usernames(self) -> list[str]:
        return sorted(self._all())

    def add(self, username: str, password: str) -> None:
        """A new account; `password` must pass the staff password rules."""
        username = username.strip().lower()
        if not USERNAME.fullmatch(username):
            raise NodeError(ErrorCode.VALIDATION_FAILED, "username: 3 to 32 of a-z 0-9 . _ -, "
                            "starting with a letter or digit")
        check_password(password, username=username)
        secret_hash = self.hasher.hash(password)
        now_ms = self.clock.now_ms()
        with self._lock:
            accounts = self._all()
            if username in accounts:
                raise Conflict(ErrorCode.STAFF_ACCOUNT_EXISTS, f"account {username} exists")
            if len(accounts) >= ACCOUNTS_MAX:
                raise NodeError(ErrorCode.VALIDATION_FAILED, f"at most {ACCOUNTS_MAX} accounts")
            accounts[username] = {"hash": secret_hash, "version": 1, "failed_count": 0,
                                  "locked_until_ms": None, "created_at_ms": now_ms,
                                  "last_sign_in_at_ms": None}
            write_json(self.folder.accounts_path, accounts)
        self._audit("portal_account_added", username, "cli", "")

    def set_password(self, username: str, password: str) -> None:
        """A new password (the staff rules): every open session of the account ends."""
        username = username.strip().lower()
        check_password(password, username=username)
        secret_hash = self.hasher.hash(password)
        self._change(username, lambda row: row.update(
            hash=secret_hash, version=int(row["version"]) + 1, failed_count=0,
            locked_until_ms=None))
        self._audit("portal_password_set", username, "cli", "")

    def remove(self, username: str) -> None:
        """The account is gone, and with it every open session (`check` finds no account)."""
        username = username.strip().lower()
        self._change(username, None)
        self._audit("portal_account_removed", username, "cli", "")

    def _change(self, username: str, change: Any) -> None:
        """Apply `change` to the account's row, or remove the account when it is None."""
        with self._lock:
            accounts = self._all()
            if username not in accounts:
                raise NotFound(ErrorCode.STAFF_ACCOUNT_NOT_FOUND, f"no account {username}")
            if change is None:
                del accounts[username]
            else:
                change(accounts[username])
            write_json(self.folder.accounts_path, accounts)

    def sign_in(self, *, username: str, password: str, client: str) -> SignedIn:
        """The signed-in account; SignInRefused, SignInLocked or TooManyAttempts otherwise."""
        self.limiter.check(client)
        username = username.strip().lower()[:USERNAME_CHARS_MAX]
        password = password[:SECRET_CHARS_MAX]
        row = self._all().get(username)
        if row is None:
            self._phantom(username, password, client)
        locked_until_ms = row["locked_until_ms"]
        if locked_until_ms is not None and locked_until_ms > self.clock.now_ms():
            self._refuse(username, client, "locked: the password was not checked",
                         locked_until_ms=locked_until_ms)
        self._reserve(username, client)
        try:
            right = self.hasher.verify(row["hash"], password)
        finally:
            with self._lock:
                self._in_flight[username] -= 1
                if not self._in_flight[username]:
                    del self._in_flight[username]
        if not right:
            self._failed(username, client)
        return self._succeeded(username, password, client)

    def _reserve(self, username: str, client: str) -> None:
        """Step 4: this attempt counts before its password is checked."""
        with self._lock:
            row = self._all()[username]
            locked_until_ms = row["locked_until_ms"]
            ended = locked_until_ms is not None and locked_until_ms <= self.clock.now_ms()
            failures = 0 if ended else int(row["failed_count"])
            running = self._in_flight.get(username, 0)
            admitted = failures + running < LOCK_AFTER_FAILURES
            if admitted:
                self._in_flight[username] = running + 1
        if not admitted:
            self._refuse(username, client, f"{running} sign-ins of this user are being checked "
                         f"after {failures} wrong passwords: not checked", locked_until_ms=None)

    def check(self, username: str, version: int) -> None:
        """AuthError unless the account still exists under `version` (a session's re-check)."""
        row = self._all().get(username)
        if row is None or row["version"] != version:
            raise AuthError(ErrorCode.UNAUTHENTICATED, ENDED)

    def _phantom(self, username: str, password: str, client: str) -> NoReturn:
        try:
            self.phantoms.refuse_if_locked(username)
        except SignInLocked as locked:
            self._refuse(username, client, "locked: the password was not checked",
                         locked_until_ms=self.clock.now_ms() + locked.retry_after_s * 1000)
        self.hasher.verify(None, password)  # a wrong password's time
        self._refuse(username, client, "no account has this username",
                     locked_until_ms=self.phantoms.failed(username), failed=True)

    def _failed(self, username: str, client: str) -> NoReturn:
        with self._lock:
            accounts = self._all()
            row = accounts[username]
            count, locked_until_ms = after_failure(row["failed_count"], row["locked_until_ms"],
                                                   self.clock.now_ms())
            row.update(failed_count=count, locked_until_ms=locked_until_ms)
            write_json(self.folder.accounts_path, accounts)
        self._refuse(username, client, f"wrong password ({count} of {LOCK_AFTER_FAILURES})",
                     locked_until_ms=locked_until_ms, failed=True)

    def _refuse(self, username: str, client: str, detail: str, *,
                locked_until_ms: int | None, failed: bool = False) -> NoReturn:
        now_ms = self.clock.now_ms()
        self.limiter.failed(client)
        self._audit("portal_sign_in_failed" if failed else "portal_sign_in_refused", username,
                    client, detail)
        if locked_until_ms is not None:
            raise SignInLocked(LOCKED, retry_after_ms=locked_until_ms - now_ms)
        raise SignInRefused(WRONG)

    def _succeeded(self, username: str, password: str, client: str) -> SignedIn:
        stored = self._all()[username]["hash"]
        rehashed = self.hasher.hash(password) if self.hasher.needs_rehash(stored) else stored
        with self._lock:
            accounts = self._all()
            row = accounts[username]
            if row["hash"] == stored:
                row["hash"] = rehashed
            row.update(failed_count=0, locked_until_ms=None,
                       last_sign_in_at_ms=self.clock.now_ms())
            write_json(self.folder.accounts_path, accounts)
            version = int(row["version"])
        self._audit("portal_signed_in", username, client, "")
        return SignedIn(username=username, version=version)

    def _audit(self, action: str, username: str, client: str, detail: str) -> None:
        self.folder.audit({"at_ms": self.clock.now_ms(), "action": action,
                           "username": username[:USERNAME_CHARS_MAX],
                           "client": client[:90], "detail": detail})
