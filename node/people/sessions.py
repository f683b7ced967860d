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

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from node.clock import Clock

MEMBER_COOKIE = "hb_member"  # the cookie both faces (pages and JSON API) read
CSRF_HEADER = "X-CSRF-Token"  # what a cookie-authenticated API call sends the secret in
IDLE_MS = 60 * 60 * 1000
LIFETIME_MS = 12 * 60 * 60 * 1000
SESSIONS_MAX = 10_000
SESSION_ID_CHARS_MAX = 100


@dataclass(frozen=True)
class MemberSession:
    local_id: str
    version: int  # member_credentials.version when the session was opened
    csrf: str  # the secret every state-changing request of this session carries
    created_at_ms: int
    seen_at_ms: int


def _key(session_id: str) -> str:
    # Stored under a hash, so a memory dump of the store alone does not hand out cookies.
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets; an empty one never matches."""
    return bool(given) and bool(expected) and hmac.compare_digest(given.encode(),
                                                                  expected.encode())


class MemberSessionStore:
    def __init__(self, clock: Clock, *, idle_ms: int = IDLE_MS, lifetime_ms: int = LIFETIME_MS,
                 sessions_max: int = SESSIONS_MAX) -> None:
        assert 0 < idle_ms <= lifetime_ms and sessions_max > 0
        self.clock = clock
        self.idle_ms = idle_ms
        self.lifetime_ms = lifetime_ms
        self.sessions_max = sessions_max
        self._sessions: OrderedDict[str, MemberSession] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, local_id: str, version: int) -> tuple[str, MemberSession]:
        """A new session: (the cookie value, the session)."""
        now_ms = self.clock.now_ms()
        session_id = secrets.token_urlsafe(32)
        session = MemberSession(local_id=local_id, version=version,
                                csrf=secrets.token_urlsafe(32), created_at_ms=now_ms,
                                seen_at_ms=now_ms)
        with self._lock:
            while len(self._sessions) >= self.sessions_max:
                self._sessions.popitem(last=False)
            self._sessions[_key(session_id)] = session
        return session_id, session

    def get(self, session_id: str) -> MemberSession | None:
        """The live session for a cookie value, marked as seen now; None if absent or ended."""
        if not session_id or len(session_id) > SESSION_ID_CHARS_MAX:
            return None
        now_ms = self.clock.now_ms()
        key = _key(session_id)
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None
            if (now_ms - session.seen_at_ms > self.idle_ms
                    or now_ms - session.created_at_ms > self.lifetime_ms):
                del self._sessions[key]
                return None
            session = replace(session, seen_at_ms=now_ms)
            self._sessions[key] = session
            self._sessions.move_to_end(key)
            return session

    def close(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(_key(session_id), None)

    def expires_at_ms(self, session: MemberSession) -> int:
        """When the session ends if no request comes before."""
        return min(session.seen_at_ms + self.idle_ms, session.created_at_ms + self.lifetime_ms)

    def __len__(self) -> int:
        return len(self._sessions)
