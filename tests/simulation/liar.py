"""A hub that lies (standard §22.4): it answers for legs it never forwards.

For the length of a run (`simulate(..., liar=True)`, `scripts/simulate --liar`) js-hub of a star
topology replaces its honest forwarding with one of two lies, chosen per transfer:

    holds_forever   answers `transfer.forwarding` and never sends the next leg, however
                    often and however late it is asked (a delay without end: a hub may
                    delay, and the debtor's node must not guess)
    forges_the_end  answers `transfer.delivered` at once, with an end receipt it signed itself
                    in place of the creditor's node (a forward it never made, "proved")

Nothing in node/ reads a flag: the method is replaced and put back afterwards, as the planted
bugs are (tests/simulation/bugs.py). What must hold, checked after every step and once healed
(`check_lied_to`): no lie commits a transfer or credits anyone; the debtor's node keeps the
hours reserved (never released on a guess); a forged end is disputed; every other transfer
settles, and every link the liar is not on reconciles.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.db.schema import remote_transfers, transfers
from node.exchange import routed
from node.exchange.requests import Answer, Context
from node.exchange.routed import RoutedHandlers
from protocol.messages.routed import EndReceipt, LegMessage
from protocol.routed import BOUND_MEMBERS
from protocol.signing import sign_object
from protocol.version import STANDARD
from tests.audit import audit
from tests.federation import Federation

LIAR = "js-hub"


def _forged_end(handlers: RoutedHandlers, request: LegMessage, now_ms: int) -> EndReceipt:
    body: dict[str, Any] = {"standard": STANDARD, "kind": "transfer_end",
                            "committed_at_ms": now_ms}
    body.update({name: request.body.model_dump(mode="json")[name] for name in BOUND_MEMBERS})
    return EndReceipt.model_validate(sign_object(body, signer=handlers.node_id,
                                                 key=handlers.signer.key()))


@contextmanager
def lying(counts: Counter[str]) -> Iterator[None]:
    honest = RoutedHandlers._leg

    def leg(self: RoutedHandlers, conn: Connection, ctx: Context,
            request: LegMessage) -> Answer:
        if self.node_id != LIAR or request.body.last:
            return honest(self, conn, ctx, request)
        digest = ctx.digest(request)
        if int(request.body.transfer_id, 16) % 2:
            counts["liar:forged_end"] += 1
            return routed._delivered(request, digest, _forged_end(self, request, ctx.now_ms))
        counts["liar:said_forwarding"] += 1
        return routed._forwarding(request, digest, request.body.path[request.body.hop + 2],
                                  ctx.now_ms)

    RoutedHandlers._leg = leg  # type: ignore[method-assign]
    try:
        yield
    finally:
        RoutedHandlers._leg = honest  # type: ignore[method-assign]


def lied_to(fed: Federation) -> dict[str, list[Any]]:
    """Per debtor's node, its transfers whose first leg went to the liar and are still open."""
    found: dict[str, list[Any]] = {}
    for node_id in fed.node_ids:
        with fed.nodes[node_id].db.read() as conn:
            found[node_id] = list(conn.execute(select(transfers).where(
                transfers.c.peer_node_id == LIAR, transfers.c.route.is_not(None),
                transfers.c.state.in_(("pending", "in_doubt")))))
    return found


def check_lied_to(fed: Federation, counts: Counter[str]) -> None:
    """Once healed: the only open transfers are those a lie answered; none of them was credited
    anywhere; each forged end is disputed; the books hold with those hours still reserved."""
    audit(fed, quiescent=False)
    held = lied_to(fed)
    open_ids = {row.wire_id for rows in held.values() for row in rows}
    for node_id in fed.node_ids:
        with fed.nodes[node_id].db.read() as conn:
            others = conn.execute(select(transfers.c.wire_id).where(
                transfers.c.state.in_(("pending", "in_doubt")),
                transfers.c.peer_node_id.is_not(None))).scalars().all()
            assert set(others) <= open_ids, f"{node_id}: {sorted(set(others) - open_ids)[:1]}"
            credited = _committed(conn, open_ids)
            assert not credited, f"{node_id} committed {credited[0]}, which only a liar answered"
    for rows in held.values():
        for row in rows:
            forged = int(row.wire_id, 16) % 2 == 1
            assert bool(row.dispute) == forged, f"{row.wire_id}: dispute {row.dispute!r}"
            counts["liar:disputed" if forged else "liar:still_reserved"] += 1


def _committed(conn: Connection, wire_ids: set[str]) -> list[str]:
    return list(conn.execute(select(remote_transfers.c.transfer_id).where(
        remote_transfers.c.state == "committed",
        remote_transfers.c.transfer_id.in_(sorted(wire_ids)))).scalars())
