"""Trust the cut, not the closer (standard §11.1, docs/reconciliation.md).

The node that closes a window chooses both cuts. Before co-signing a peer's statement a node
checks that neither cut leaves out a transaction it saw answered before the peer signed (more
than the skew bound before): a closer whose key signs whatever it wants could otherwise cut the
other side's incoming chain below the prepares it forged, and every later window would match
with those hours outside all of them. What such a check finds is a `cut_behind` dispute.

A node also closes a link's window itself, whoever is the scheduled closer, once a transaction
past the last co-signed cut has waited longer than `OVERDUE_WINDOWS` windows (`overdue`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from node.db.schema import in_transactions, out_transactions, windows
from node.reconcile import leaves as q
from node.reconcile import records
from protocol.messages.documents import Statement
from protocol.statements import IN_FLIGHT_MAX, carried_twice, cut_hides

END = 2**62
OVERDUE_WINDOWS = 2  # windows a transaction may wait past the last co-signed cut


@dataclass(frozen=True)
class Hidden:
    """A transaction a proposed cut leaves out, and everything past that cut on the chain."""

    chain: str  # "incoming" or "outgoing", from our side
    cut: int
    sequence: int
    answered_at_ms: int
    transfers: int
    minutes: int

    def detail(self, peer: str) -> str:
        return (f"the proposed cut {self.cut} of our {self.chain} chain with {peer} leaves out "
                f"transaction {self.sequence}, answered at {self.answered_at_ms} ms, before the "
                f"statement was signed: {self.transfers} transfers, {self.minutes} minutes past "
                f"the cut")


def _earliest_incoming(conn: Connection, peer: str, after: int) -> tuple[int, int] | None:
    row = conn.execute(
        select(in_transactions.c.sequence, in_transactions.c.received_at_ms)
        .where(in_transactions.c.sender == peer, in_transactions.c.sequence > after)
        .order_by(in_transactions.c.received_at_ms, in_transactions.c.sequence).limit(1)).first()
    return None if row is None else (int(row.sequence), int(row.received_at_ms))


def _earliest_outgoing(conn: Connection, peer: str, after: int) -> tuple[int, int] | None:
    row = conn.execute(
        select(out_transactions.c.sequence, out_transactions.c.answered_at_ms)
        .where(out_transactions.c.peer_node_id == peer, out_transactions.c.sequence > after,
               out_transactions.c.answered_at_ms.is_not(None))
        .order_by(out_transactions.c.answered_at_ms, out_transactions.c.sequence)
        .limit(1)).first()
    return None if row is None else (int(row.sequence), int(row.answered_at_ms))


def hidden_by(conn: Connection, *, me: str, peer: str, theirs: Statement,
              skew_ms: int) -> Hidden | None:
    """The first transaction the peer's statement leaves out of one of our chains, if any. Our
    incoming chain is its outgoing one: the closer may not have seen our answer to the last
    transaction (IN_FLIGHT_MAX); our outgoing chain is cut at what it accepted, all of which it
    had answered before we saw the answer."""
    chains = (("incoming", theirs.outgoing_sequence_cut, IN_FLIGHT_MAX, _earliest_incoming),
              ("outgoing", theirs.incoming_sequence_cut, 0, _earliest_outgoing))
    for chain, cut, in_flight, earliest in chains:
        found = earliest(conn, peer, cut + in_flight)
        if found is not None and cut_hides(
                cut=cut, sequence=found[0], answered_at_ms=found[1],
                issued_at_ms=theirs.issued_at_ms, skew_ms=skew_ms, in_flight=in_flight):
            return _past(conn, me, peer, chain, cut, found)
    found = _in_flight_again(conn, peer, theirs.window_index, theirs.outgoing_sequence_cut)
    if found is not None:
        return _past(conn, me, peer, "incoming", theirs.outgoing_sequence_cut, found)
    return None


def _in_flight_again(conn: Connection, peer: str, index: int,
                     cut: int) -> tuple[int, int] | None:
    """Our answer to the transaction just past the cut of our incoming chain, if the previous
    window already left it out as in flight (`carried_twice`)."""
    previous = records.window(conn, peer, index - 1) if index > 1 else None
    if previous is None:
        return None
    row = conn.execute(select(in_transactions.c.received_at_ms).where(
        in_transactions.c.sender == peer, in_transactions.c.sequence == cut + 1)).first()
    if row is None or not carried_twice(cut=cut, previous_cut=previous.incoming_cut,
                                        answered_at_ms=int(row.received_at_ms),
                                        previous_cut_at_ms=previous.closed_at_ms):
        return None
    return cut + 1, int(row.received_at_ms)


def _past(conn: Connection, me: str, peer: str, chain: str, cut: int,
          found: tuple[int, int]) -> Hidden:
    span = q.Span(cut, END)
    past = (q.incoming_leaves(conn, peer, span) if chain == "incoming"
            else q.outgoing_leaves(conn, me, peer, span))
    return Hidden(chain, cut, found[0], found[1], len(past),
                  sum(leaf.amount_minutes for leaf in past))


def overdue(conn: Connection, peer: str, *, now_ms: int, window_ms: int) -> bool:
    """Has a transaction on either chain of the link waited past the last co-signed cut for
    longer than OVERDUE_WINDOWS windows? Then this node closes a window itself, whichever node
    the schedule names: the scheduled closer's choice (or silence) must not hide our chains."""
    cuts = conn.execute(
        select(func.max(windows.c.outgoing_cut), func.max(windows.c.incoming_cut))
        .where(windows.c.peer_node_id == peer, windows.c.state == records.MATCHED)).one()
    outgoing_cut, incoming_cut = int(cuts[0] or 0), int(cuts[1] or 0)
    before_ms = now_ms - OVERDUE_WINDOWS * window_ms
    waiting = [_earliest_incoming(conn, peer, incoming_cut),
               _earliest_outgoing(conn, peer, outgoing_cut)]
    return any(found is not None and found[1] < before_ms for found in waiting)
