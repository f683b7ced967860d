"""What every step of one node's side of reconciliation shares: who we are, our database and
its writer, the directory, our key, the clock, the evidence books, and the leaf-index cache.

The steps live in `statements` (our statement of a window), `compare` (the peer's statement
and what it says of ours) and `repair` (descent, repair, recover); `sides.Sides` puts them
together. Their convention: a method that reads or writes the database takes `conn` first,
then the link (`peer`, `index`, ...). It is submitted to the WriteBatcher with its other
arguments by keyword, `writer.submit(partial(step, peer=peer, index=index))`, which calls it
as `step(conn)`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from node.clock import Clock
from node.db.batch import WriteBatcher
from node.db.engine import Database
from node.federation import FederationService
from node.keyring import Signer
from node.reconcile import records
from node.reconcile.evidence import EvidenceBooks
from protocol.merkle_diff import LeafIndex

# Leaf indexes kept between the round trips of a descent: one per window being compared, and a
# few to spare for a peer descending into ours at the same time.
LEAF_INDEX_CACHE_MAX = 8


class LeafIndexCache:
    """Leaf indexes of windows by (peer, window index), the oldest dropped past the limit.

    Only an index computed in a write that committed is kept: a write can be rolled back after
    its command ran (its batch failed and every command runs again alone), and an index cached
    inside it would describe rows that never existed. So a command only reads the cache or
    drops entries (`invalidate`, harmless if repeated); the caller `put`s the index after
    `WriteBatcher.submit` has returned, with the `generation` it read before submitting: an
    invalidation since then (a repair or a re-cut in the same batch or a later one) means the
    index may be stale, and it is not kept.

    It also keeps a **link generation** per peer, raised by every `invalidate` and `touch`:
    by each write that may change what a window of the link holds (a statement saved, a repair,
    a late receipt, a replay). Work that reads a window off the writer (node/reconcile/
    prepare.py) reads the link's generation inside a write, reads the window in a snapshot
    opened after that write committed, and writes its result only if the generation is still
    the same: no write that may have changed the window came in between.
    """

    def __init__(self, limit: int = LEAF_INDEX_CACHE_MAX) -> None:
        self.limit = limit
        self._held: OrderedDict[tuple[str, int], LeafIndex] = OrderedDict()
        self._generation = 0
        self._links: dict[str, int] = {}
        self._lock = threading.Lock()  # commands may run on the writer thread

    @property
    def generation(self) -> int:
        return self._generation

    def get(self, peer: str, index: int) -> LeafIndex | None:
        with self._lock:
            return self._held.get((peer, index))

    def put(self, peer: str, index: int, leaves: LeafIndex, *, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._held[(peer, index)] = leaves
            self._held.move_to_end((peer, index))
            while len(self._held) > self.limit:
                self._held.popitem(last=False)

    def invalidate(self, peer: str, index: int) -> None:
        with self._lock:
            self._generation += 1
            self._links[peer] = self._links.get(peer, 0) + 1
            self._held.pop((peer, index), None)

    def link_generation(self, peer: str) -> int:
        with self._lock:
            return self._links.get(peer, 0)

    def touch(self, peer: str) -> None:
        """Something the link's windows hold may have changed (no window index known)."""
        with self._lock:
            self._generation += 1
            self._links[peer] = self._links.get(peer, 0) + 1
            for key in [key for key in self._held if key[0] == peer]:
                del self._held[key]

    def __len__(self) -> int:
        return len(self._held)


@dataclass
class SideContext:
    node_id: str
    db: Database
    writer: WriteBatcher
    federation: FederationService
    signer: Signer
    clock: Clock
    books: EvidenceBooks
    leaf_indexes: LeafIndexCache = field(default_factory=LeafIndexCache)

    def mark(self, conn: Connection, peer: str, index: int, state: str) -> None:
        """Set the state of window `index` with `peer`."""
        records.mark_window(conn, peer=peer, index=index, state=state,
                            now_ms=self.clock.now_ms())
