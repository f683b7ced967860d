"""Member sessions, as the console's (node/console/sessions.py): a random id in an HttpOnly
cookie, a CSRF secret, idle and absolute timeouts, in this process's memory only.

A session holds the member number and the credential version it was opened under, never the
PIN. Every request re-reads the member's status and credential version (PeopleService.
principal_for_session), so a staff reset or a deactivation ends live sessions at once. A restart
signs everyone out, the safe direction.

Limits: `IDLE_MS` without a request or `LIFETIME_MS` after signing in, whichever comes first; at
most `SESSIONS_MAX` live at once (the least recently used goes first). The idle limit is longer
than the console's 30 minutes: an elder reading her statement slowly must not be signed out
while she reads (the ageing-friendly rules: nothing times out while someone reads).
"""

from __future__ import annotations

from dataclasses import dataclass

from node.clock import Clock
from node.session_store import SESSION_ID_CHARS_MAX, new_secret, same_secret
from node.session_store import SessionStore as Store

MEMBER_COOKIE = "hb_member"  # the cookie both faces (pages and JSON API) read
CSRF_HEADER = "X-CSRF-Token"  # what a cookie-authenticated API call sends the secret in
IDLE_MS = 60 * 60 * 1000
LIFETIME_MS = 12 * 60 * 60 * 1000
SESSIONS_MAX = 10_000

__all__ = ["CSRF_HEADER", "IDLE_MS", "LIFETIME_MS", "MEMBER_COOKIE", "SESSIONS_MAX",
           "SESSION_ID_CHARS_MAX", "MemberSession", "MemberSessionStore", "same_secret"]


@dataclass(frozen=True)
class MemberSession:
    local_id: str
    version: int  # member_credentials.version when the session was opened
    csrf: str  # the secret every state-changing request of this session carries
    created_at_ms: int
    seen_at_ms: int


class MemberSessionStore(Store[MemberSession]):
    def __init__(self, clock: Clock, *, idle_ms: int = IDLE_MS, lifetime_ms: int = LIFETIME_MS,
                 sessions_max: int = SESSIONS_MAX) -> None:
        super().__init__(clock, idle_ms=idle_ms, lifetime_ms=lifetime_ms,
                         sessions_max=sessions_max)

    def open(self, local_id: str, version: int) -> tuple[str, MemberSession]:
        """A new session: (the cookie value, the session)."""
        now_ms = self.clock.now_ms()
        session = MemberSession(local_id=local_id, version=version, csrf=new_secret(),
                                created_at_ms=now_ms, seen_at_ms=now_ms)
        return self.admit(session), session
