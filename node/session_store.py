"""The in-memory session store both page faces use: the staff console's sessions
(node/console/sessions.py) and members' (node/people/sessions.py).

A session id is random, sent only in an HttpOnly cookie, and kept here under its SHA-256, so a
memory dump of the store alone does not hand out cookies. A session ends `idle_ms` after its
last request or `lifetime_ms` after it opened, whichever comes first; at most `sessions_max` are
live at once (the least recently used goes first). A restart ends every session, the safe
direction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import replace
from typing import Generic, Protocol, TypeVar

from node.clock import Clock

SESSION_ID_CHARS_MAX = 100


class Timed(Protocol):
    @property
    def created_at_ms(self) -> int: ...

    @property
    def seen_at_ms(self) -> int: ...


S = TypeVar("S", bound=Timed)


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets; an empty one never matches."""
    return bool(given) and bool(expected) and hmac.compare_digest(given.encode(),
                                                                  expected.encode())


class SessionStore(Generic[S]):
    def __init__(self, clock: Clock, *, idle_ms: int, lifetime_ms: int,
                 sessions_max: int) -> None:
        assert 0 < idle_ms <= lifetime_ms and sessions_max > 0
        self.clock = clock
        self.idle_ms = idle_ms
        self.lifetime_ms = lifetime_ms
        self.sessions_max = sessions_max
        self._sessions: OrderedDict[str, S] = OrderedDict()
        self._lock = threading.Lock()

    def admit(self, session: S) -> str:
        """Keep a new session; returns its id, the cookie value."""
        session_id = new_secret()
        with self._lock:
            while len(self._sessions) >= self.sessions_max:
                self._sessions.popitem(last=False)
            self._sessions[_key(session_id)] = session
        return session_id

    def get(self, session_id: str) -> S | None:
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
            session = replace(session, seen_at_ms=now_ms)  # type: ignore[type-var]
            self._sessions[key] = session
            self._sessions.move_to_end(key)
            return session

    def close(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(_key(session_id), None)

    def expires_at_ms(self, session: S) -> int:
        """When the session ends if no request comes before."""
        return min(session.seen_at_ms + self.idle_ms, session.created_at_ms + self.lifetime_ms)

    def __len__(self) -> int:
        return len(self._sessions)
