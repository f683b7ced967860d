"""Invitation cards waiting to be shown, once.

The one-time activation code exists in clear only in the answer of node.people's invite or
reset; the node stores its hash. The console makes the invitation in a POST and redirects
(303) to `/console/members/<id>/invitation`, so a reload or a double submit of the card page
never makes another invitation. Between the two requests the invitation waits here, in this
process's memory, under the staff session that made it and the member's number; the card page
takes it out, so a reload (or anyone else's session) finds nothing and the code is not shown
again. A card nobody fetched is dropped after `CARD_TTL_MS`; at most `CARDS_MAX` wait at once
(the oldest goes first). A restart drops them all, as it drops the sessions.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from node.clock import Clock
from node.people.invitations import Invitation

CARD_TTL_MS = 5 * 60 * 1000  # a redirect takes milliseconds; minutes allow a slow link
CARDS_MAX = 500


@dataclass(frozen=True)
class _Waiting:
    invitation: Invitation
    made_at_ms: int


def _key(session_secret: str, local_id: str) -> str:
    # The session's CSRF secret identifies the session without keeping it in clear twice.
    digest = hashlib.sha256(session_secret.encode("utf-8")).hexdigest()
    return f"{digest}:{local_id}"


class CardStash:
    def __init__(self, clock: Clock, *, ttl_ms: int = CARD_TTL_MS,
                 cards_max: int = CARDS_MAX) -> None:
        assert ttl_ms > 0 and cards_max > 0
        self.clock = clock
        self.ttl_ms = ttl_ms
        self.cards_max = cards_max
        self._cards: OrderedDict[str, _Waiting] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, session_secret: str, invitation: Invitation) -> None:
        """Keep `invitation` for the next card page of this session; a newer one replaces it
        (the service has voided the older code already)."""
        key = _key(session_secret, invitation.member)
        now_ms = self.clock.now_ms()
        with self._lock:
            self._cards.pop(key, None)
            # Oldest first: drop the expired (no code outlives its wait), then any over the cap.
            while self._cards and (len(self._cards) >= self.cards_max or now_ms - next(
                    iter(self._cards.values())).made_at_ms > self.ttl_ms):
                self._cards.popitem(last=False)
            self._cards[key] = _Waiting(invitation, now_ms)

    def take(self, session_secret: str, local_id: str) -> Invitation | None:
        """The waiting invitation, removed: a second call gets None."""
        with self._lock:
            waiting = self._cards.pop(_key(session_secret, local_id), None)
        if waiting is None or self.clock.now_ms() - waiting.made_at_ms > self.ttl_ms:
            return None
        return waiting.invitation

    def __len__(self) -> int:
        return len(self._cards)
