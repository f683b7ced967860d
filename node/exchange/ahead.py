"""A peer ahead of our chain: this node was most likely restored from a backup and started
without `hourbridge recover`.

A link's two chains only move when both sides store the same transaction, so a peer can hold
more of them than we do only if we lost some. Two signs, one per chain:

 * incoming: the peer keeps sending a transaction whose sequence skips past our head
   (`sequence_gap`). It sends the next one only after we answered the one before, so it holds
   answers of ours to transactions we no longer have. One sighting refuses and stores nothing
   (the standard's temporary refusal); the same transaction again is a persistent gap.
 * outgoing: the peer refuses our next transaction as `sequence_replayed`: it accepted another
   transaction of ours at that sequence.

Either freezes the link with reason `peer_ahead`: our sender stops (whatever it sent would be
refused), the peer's sender rests (outbound.py asks its runner to open the circuit at once), and
one error names the peer and `hourbridge recover`. It shows in `hourbridge federation links`,
the links API and /metrics (`hourbridge_link_peer_ahead`). A successful `hourbridge recover`
from that peer clears it; so does `hourbridge federation unfreeze` (and the next sign freezes
the link again).
"""

from __future__ import annotations

import logging
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from node.db.schema import links
from node.exchange import store

log = logging.getLogger("hourbridge.exchange")

PEER_AHEAD = "peer_ahead"
# The transactions we remember as refused for a gap, the last one per peer (enough: only a
# copy of the lowest in flight is ever signed later, standard §6.5).
GAP_PEERS_MAX = 1_000


class LinkCondition(StrEnum):
    """A link as operators see it (`federation links`, the links API): a view, never stored."""

    OK = "ok"
    FROZEN = "frozen"  # an operator must resolve a disagreement, then unfreeze
    PEER_AHEAD = "peer_ahead"  # our chain lost transactions: run `hourbridge recover`


def condition(frozen_reason: str | None) -> LinkCondition:
    if frozen_reason is None:
        return LinkCondition.OK
    return LinkCondition.PEER_AHEAD if frozen_reason == PEER_AHEAD else LinkCondition.FROZEN


def advice(peer: str, *, chain: str, ours: int, theirs: int) -> str:
    """The operator's sentence: what is wrong, and the command that mends it."""
    return (f"{peer} is ahead of our {chain} chain (it holds sequence {theirs} or later, we "
            f"hold {ours}): this node was probably restored from a backup without recovery; stop "
            "it, run `hourbridge recover` (it fetches what every peer holds), then start it")


def freeze_ahead(conn: Connection, peer: str, *, detail: str, now_ms: int) -> bool:
    """Freeze the link for `peer_ahead`; True if it was not frozen before. Logs the error then,
    and only then: once per link until the freeze clears."""
    frozen = store.freeze(conn, peer, reason=PEER_AHEAD, detail=detail, now_ms=now_ms)
    if frozen:
        log.error("link with %s frozen (%s): %s", peer, PEER_AHEAD, detail)
    return frozen


def clear(conn: Connection, peer: str) -> bool:
    """Unfreeze a `peer_ahead` link (after `hourbridge recover` from that peer); other freezes
    stay for an operator. True if it was frozen for `peer_ahead`."""
    changed = conn.execute(update(links).where(links.c.peer_node_id == peer,
                                               links.c.frozen_reason == PEER_AHEAD)
                           .values(frozen_reason=None, frozen_detail=None, frozen_at_ms=None))
    return bool(changed.rowcount)


def ahead_by_peer(conn: Connection) -> dict[str, bool]:
    """Every link, and whether its peer is ahead of our chain (for /metrics)."""
    rows = conn.execute(select(links.c.peer_node_id, links.c.frozen_reason)
                        .order_by(links.c.peer_node_id))
    return {str(row.peer_node_id): row.frozen_reason == PEER_AHEAD for row in rows}


class GapWatch:
    """The transaction each peer last sent us with a sequence gap, to tell a persistent gap (the
    same transaction again) from one sighting. In memory: a restart starts afresh.

    A receiver that accepts a window of transactions in flight (standard §6.5) may see an early
    copy of a transaction refused, then another copy signed at the same time that the network
    delayed: that is not yet a sign. It counts only a copy signed later than the one refused,
    which a sender makes only once every earlier transaction on the link has its answer."""

    def __init__(self) -> None:
        self._refused: dict[str, tuple[str, int]] = {}

    def persistent(self, peer: str, transaction_id: str, signed_at_ms: int | None = None) -> bool:
        """Record a gap; True if this peer sent this same transaction with a gap before (with
        `signed_at_ms`, the window's rule: only a copy signed later than the one refused)."""
        seen = self._refused.get(peer)
        if seen is not None and seen[0] == transaction_id:
            # The same signing, or an older one, again is not yet a sign (the window's rule).
            return signed_at_ms is None or signed_at_ms > seen[1]
        if len(self._refused) >= GAP_PEERS_MAX and peer not in self._refused:
            self._refused.clear()  # a bound on memory; at worst one more sighting each
        self._refused[peer] = (transaction_id, signed_at_ms or 0)
        return False

    def forget(self, peer: str) -> None:
        self._refused.pop(peer, None)
