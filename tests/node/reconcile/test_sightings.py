"""The responder's first sight of a proposal's cuts it told to come back, in its database
(node/reconcile/sightings.py, migration 0026): written once, never moved by a later come back,
and at most SIGHTINGS_PER_PEER_MAX rows per peer. On SQLite and PostgreSQL. The restart it is
for: tests/node/reconcile/test_come_back.py."""

from __future__ import annotations

from sqlalchemy import func, select

from node.db.schema import reconcile_sightings
from node.reconcile.sightings import SIGHTINGS_PER_PEER_MAX, first_seen, saw
from node.runtime import Node

SH, NJ, BJ = "sh-pudong", "nj-gulou", "bj-dongcheng"


def test_the_first_sight_is_kept_and_a_later_one_never_moves_it(node: Node) -> None:
    cuts = (NJ, 3, 40, 41)
    with node.db.write() as conn:
        assert first_seen(conn, cuts) is None
        saw(conn, cuts, 1_000)
    with node.db.write() as conn:
        saw(conn, cuts, 5_000)  # the closer came back and was told to again
        saw(conn, cuts, 500)  # even an earlier clock: the first write is the sight
    with node.db.read() as conn:
        assert first_seen(conn, cuts) == 1_000
        assert first_seen(conn, (NJ, 3, 40, 42)) is None  # other cuts, other sight
        assert first_seen(conn, (BJ, 3, 40, 41)) is None  # another peer's


def test_each_peer_keeps_its_most_recent_sights(node: Node) -> None:
    with node.db.write() as conn:
        saw(conn, (BJ, 1, 1, 1), 10)
        for index in range(1, SIGHTINGS_PER_PEER_MAX + 4):
            saw(conn, (NJ, index, index * 10, index * 10), 1_000 * index)
    with node.db.read() as conn:
        kept = conn.execute(select(func.count()).select_from(reconcile_sightings).where(
            reconcile_sightings.c.peer_node_id == NJ)).scalar_one()
        assert kept == SIGHTINGS_PER_PEER_MAX
        newest = SIGHTINGS_PER_PEER_MAX + 3
        assert first_seen(conn, (NJ, newest, newest * 10, newest * 10)) == 1_000 * newest
        oldest_kept = newest - SIGHTINGS_PER_PEER_MAX + 1
        assert first_seen(conn, (NJ, oldest_kept, oldest_kept * 10, oldest_kept * 10)) \
            == 1_000 * oldest_kept
        assert first_seen(conn, (NJ, oldest_kept - 1, (oldest_kept - 1) * 10,
                                 (oldest_kept - 1) * 10)) is None
        assert first_seen(conn, (BJ, 1, 1, 1)) == 10  # another peer's untouched
