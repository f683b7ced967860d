"""Certificates waiting to be shown, once (node/centre/pages_certificate.py).

The signed certificate exists only in the answer of node/certificates' issue: the node keeps
its hash, not the document. The centre issues it in a POST and redirects (303) to
/me/certificate, so a reload or a double submit never issues another. Between the two requests
the document waits here, in this process's memory, under the member's session and the member
it was issued for; the page takes it out, so a reload (or anyone else's session) finds nothing.
A document nobody fetched is dropped after `WAIT_MS`; at most `WAITING_MAX` wait at once (the
oldest goes first). A restart drops them all, as it drops the sessions.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

from node.clock import Clock

WAIT_MS = 5 * 60 * 1000  # a redirect takes milliseconds; minutes allow a slow link
WAITING_MAX = 200


def _key(session_secret: str, local_id: str) -> str:
    # The session's CSRF secret names the session without keeping it in clear twice.
    return f"{hashlib.sha256(session_secret.encode('utf-8')).hexdigest()}:{local_id}"


class CertificateStash:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._waiting: OrderedDict[str, tuple[dict[str, Any], int]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, session_secret: str, local_id: str, document: dict[str, Any]) -> None:
        now_ms = self.clock.now_ms()
        with self._lock:
            self._waiting.pop(_key(session_secret, local_id), None)
            while self._waiting and (len(self._waiting) >= WAITING_MAX or now_ms - next(
                    iter(self._waiting.values()))[1] > WAIT_MS):
                self._waiting.popitem(last=False)
            self._waiting[_key(session_secret, local_id)] = (document, now_ms)

    def take(self, session_secret: str, local_id: str) -> dict[str, Any] | None:
        """The waiting document, removed: a second call gets None."""
        with self._lock:
            waiting = self._waiting.pop(_key(session_secret, local_id), None)
        if waiting is None or self.clock.now_ms() - waiting[1] > WAIT_MS:
            return None
        return waiting[0]
