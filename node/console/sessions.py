"""Console sessions: a random id in an HttpOnly cookie, the API token only in this process.

The browser never holds the API token after login: the cookie carries a random session id, and
the session (token, CSRF secret, times) lives in memory here. Every request re-checks the token
through the node's TokenService, so a revoked token ends its console sessions too (within the
token cache's TTL). A restart of the node logs everyone out, which is the safe direction.

Limits: a session ends after `idle_ms` without a request or `lifetime_ms` after login, whichever
comes first; at most `sessions_max` live at once (the least recently used goes first).
"""

from __future__ import annotations

from dataclasses import dataclass

from node.clock import Clock
from node.session_store import SessionStore as Store
from node.session_store import new_secret, same_secret

IDLE_MS = 30 * 60 * 1000
LIFETIME_MS = 12 * 60 * 60 * 1000
SESSIONS_MAX = 1_000

__all__ = ["IDLE_MS", "LIFETIME_MS", "SESSIONS_MAX", "Session", "SessionStore", "same_secret"]


@dataclass(frozen=True)
class Session:
    token: str  # the API token the person logged in with; never sent back to the browser
    csrf: str  # the secret every form of this session carries
    created_at_ms: int
    seen_at_ms: int
    # A username and password login (node/staff/): the account and the version it was opened
    # under, re-checked at every request; `token` is empty then.
    account: str = ""
    version: int = 0


class SessionStore(Store[Session]):
    def __init__(self, clock: Clock, *, idle_ms: int = IDLE_MS, lifetime_ms: int = LIFETIME_MS,
                 sessions_max: int = SESSIONS_MAX) -> None:
        super().__init__(clock, idle_ms=idle_ms, lifetime_ms=lifetime_ms,
                         sessions_max=sessions_max)

    def open(self, token: str, *, account: str = "", version: int = 0) -> tuple[str, Session]:
        """A new session for a checked token, or for a signed-in staff account (`token` empty):
        (the cookie value, the session)."""
        now_ms = self.clock.now_ms()
        session = Session(token=token, csrf=new_secret(), created_at_ms=now_ms,
                          seen_at_ms=now_ms, account=account, version=version)
        return self.admit(session), session
