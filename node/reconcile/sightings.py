"""When the responder first saw a proposal's cuts it told to come back (standard §11.1 step 3,
§20.2, §20.6), in its database (node/db/schema.py `reconcile_sightings`, migration 0026).

The closer chose those cuts before then, so the cut rule judges its later proposals of the same
cuts, signed again, by that time (node/reconcile/responder.py `_judge`). Kept in the database,
not in memory: a responder restarted between its come back and the closer's next proposal
would otherwise judge that proposal by its new signing time alone and could dispute an honest
closer `cut_behind`, freezing the link.

Written once per cuts (a later come back of the same cuts never moves the time), in a short
write of its own before the come back is answered. Bounded per peer: a closer can only make
rows on its own link, and past SIGHTINGS_PER_PEER_MAX the earliest seen are dropped.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, delete, insert, select
from sqlalchemy.engine import Connection

from node.db.rows import SightingRow
from node.db.schema import reconcile_sightings

Cuts = tuple[str, int, int, int]
"""(peer, window index, our outgoing cut, our incoming cut)."""

# Sightings kept per peer. An honest closer has one window open with us at a time, proposed at
# its first cuts and, after a `clock_skew`, at new ones, and only ever proposes its latest cuts
# again: the row dropped, the earliest seen of nine, is of cuts it has cut again since or of a
# window no longer admitted (only the last window and the next are). A closer that makes more
# (proposals at ever other cuts) only pushes out its own link's.
SIGHTINGS_PER_PEER_MAX = 8

_C = reconcile_sightings.c
_KEY = (_C.peer_node_id, _C.window_index, _C.outgoing_cut, _C.incoming_cut)


def _where(cuts: Cuts) -> ColumnElement[bool]:
    return and_(*(column == value for column, value in zip(_KEY, cuts, strict=True)))


def first_seen(conn: Connection, cuts: Cuts) -> int | None:
    """Our clock when we first received a proposal of these cuts we told to come back."""
    found = conn.execute(select(_C.first_seen_ms).where(_where(cuts))).scalar()
    return None if found is None else int(found)


def saw(conn: Connection, cuts: Cuts, at_ms: int) -> None:
    """A command: we tell a proposal of `cuts`, received at `at_ms`, to come back. Stores the
    time unless one is stored already (never overwritten: the first sight is the one that
    counts), then keeps the peer's SIGHTINGS_PER_PEER_MAX most recent."""
    if first_seen(conn, cuts) is not None:
        return
    peer, index, outgoing_cut, incoming_cut = cuts
    conn.execute(insert(reconcile_sightings).values(SightingRow(
        peer_node_id=peer, window_index=index, outgoing_cut=outgoing_cut,
        incoming_cut=incoming_cut, first_seen_ms=at_ms).values()))
    beyond = conn.execute(
        select(*_KEY).where(_C.peer_node_id == peer)
        .order_by(_C.first_seen_ms.desc(), _C.window_index.desc(), _C.outgoing_cut.desc(),
                  _C.incoming_cut.desc())
        .offset(SIGHTINGS_PER_PEER_MAX)).all()
    for row in beyond:  # one at most: each insert keeps the bound
        conn.execute(delete(reconcile_sightings).where(_where((row[0], row[1], row[2], row[3]))))
