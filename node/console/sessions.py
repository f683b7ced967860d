"""Console sessions: a random id in an HttpOnly cookie, the API token only in this process.

The browser never holds the API token after login: the cookie carries a random session id, and
the session (token, CSRF secret, times) lives in memory here. Every request re-checks the token
through the node's TokenService, so a revoked token ends its console sessions too (within the
token cache's TTL). A restart of the node logs everyone out, which is the safe direction.

Limits: a session ends after `idle_ms` without a request or `lifetime_ms` after login, whichever
comes first; at most `sessions_max` live at once (the least recently used goes first).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from node.clock import Clock

IDLE_MS = 30 * 60 * 1000
LIFETIME_MS = 12 * 60 * 60 * 1000
SESSIONS_MAX = 1_000


@dataclass(frozen=True)
class Session:
    token: str  # the API token the person logged in with; never sent back to the browser
    csrf: str  # the secret every form of this session carries
    created_at_ms: int
    seen_at_ms: int


def _key(session_id: str) -> str:
    # Stored under a hash, so a memory dump of the store alone does not hand out cookies.
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets; an empty one never matches."""
    return bool(given) and bool(expected) and hmac.compare_digest(given, expected)


class SessionStore:
    def __init__(
        self,
        clock: Clock,
        *,
        idle_ms: int = IDLE_MS,
        lifetime_ms: int = LIFETIME_MS,
        sessions_max: int = SESSIONS_MAX,
    ) -> None:
        assert 0 < idle_ms <= lifetime_ms and sessions_max > 0
        self.clock = clock
        self.idle_ms = idle_ms
        self.lifetime_ms = lifetime_ms
        self.sessions_max = sessions_max
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, token: str) -> tuple[str, Session]:
        """A new session for a checked token: (the cookie value, the session)."""
        now_ms = self.clock.now_ms()
        session_id = secrets.token_urlsafe(32)
        session = Session(token=token, csrf=secrets.token_urlsafe(32),
                          created_at_ms=now_ms, seen_at_ms=now_ms)
        with self._lock:
            while len(self._sessions) >= self.sessions_max:
                self._sessions.popitem(last=False)
            self._sessions[_key(session_id)] = session
        return session_id, session

    def get(self, session_id: str) -> Session | None:
        """The live session for a cookie value, marked as seen now; None if absent or expired."""
        if not session_id or len(session_id) > 100:
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

    def __len__(self) -> int:
        return len(self._sessions)
