"""Trust the cut, not the closer (standard §11.1, docs/reconciliation.md).

The node that closes a window chooses both cuts. Before co-signing a peer's statement a node
checks that neither cut leaves out a transaction it saw answered before the peer signed (more
than the skew bound before): a closer whose key signs whatever it wants could otherwise cut the
other side's incoming chain below the prepares it forged, and every later window would match
with those hours outside all of them. `judge` says co-sign, cut again (the closer may be
honest and slow: refused for now) or dispute (`cut_behind`: no honest closer cuts so).

A node also closes a link's window itself, whoever is the scheduled closer, once a transaction
past the last co-signed cut has waited longer than `OVERDUE_WINDOWS` windows (`overdue`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from node.db.schema import in_transactions, links, out_transactions, windows
from node.reconcile import leaves as q
from node.states import WindowState
from protocol.messages.documents import Statement
from protocol.statements import IN_FLIGHT_MAX, cut_hides

END = 2**62
OVERDUE_WINDOWS = 2  # windows a transaction may wait past the last co-signed cut


class Verdict(StrEnum):
    CO_SIGN = "co_sign"  # the cuts leave out nothing the closer knew of: compare, co-sign
    CUT_AGAIN = "cut_again"  # they might: refuse for now (clock_skew); the closer cuts again
    DISPUTE = "dispute"  # they must: cut_behind


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


@dataclass(frozen=True)
class Judged:
    verdict: Verdict
    hidden: Hidden | None = None


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


def _first_hidden(conn: Connection, me: str, peer: str, theirs: Statement, *, cut_at_ms: int,
                  skew_ms: int, in_flight: int) -> Hidden | None:
    """The first transaction the statement's cuts leave out although it was answered before
    `cut_at_ms` - `skew_ms`, allowing `in_flight` past the cut of our incoming chain (none on
    our outgoing chain: the closer accepted all it answered)."""
    chains = (("incoming", theirs.outgoing_sequence_cut, in_flight, _earliest_incoming),
              ("outgoing", theirs.incoming_sequence_cut, 0, _earliest_outgoing))
    for chain, cut, allowed, earliest in chains:
        found = earliest(conn, peer, cut + allowed)
        if found is None or not cut_hides(cut=cut, sequence=found[0], answered_at_ms=found[1],
                                          issued_at_ms=cut_at_ms, skew_ms=skew_ms,
                                          in_flight=allowed):
            continue
        span = q.Span(cut, END)
        past = (q.incoming_leaves(conn, peer, span) if chain == "incoming"
                else q.outgoing_leaves(conn, me, peer, span))
        return Hidden(chain, cut, found[0], found[1], len(past),
                      sum(leaf.amount_minutes for leaf in past))
    return None


def judge(conn: Connection, *, me: str, peer: str, theirs: Statement, held_since_ms: int | None,
          skew_ms: int) -> Judged:
    """What to do with a fresh statement (standard §11.1). Never co-sign what might hide a
    transaction: one answered more than the skew bound before the statement was signed, the
    one in flight included (an honest closer has had time to receive our answer). Dispute only
    what must: past the one in flight, answered more than the skew bound before the earliest
    time the closer can have cut (`held_since_ms`: when we first saw a window we hold at these
    very cuts, the closer's final proposal after a descent). In between, the closer cuts again."""
    signed_at_ms = theirs.issued_at_ms
    earliest_ms = signed_at_ms if held_since_ms is None else min(signed_at_ms, held_since_ms)
    hidden = _first_hidden(conn, me, peer, theirs, cut_at_ms=earliest_ms, skew_ms=skew_ms,
                           in_flight=IN_FLIGHT_MAX)
    if hidden is not None:
        return Judged(Verdict.DISPUTE, hidden)
    hidden = _first_hidden(conn, me, peer, theirs, cut_at_ms=signed_at_ms, skew_ms=skew_ms,
                           in_flight=0)
    return Judged(Verdict.CO_SIGN if hidden is None else Verdict.CUT_AGAIN, hidden)


def overdue(conn: Connection, peer: str, *, now_ms: int, after_ms: int) -> bool:
    """Has a transaction on either chain of the link waited past the last co-signed cut for
    longer than `after_ms` (OVERDUE_WINDOWS of the policy's windows)? Then this node closes a
    window itself, whichever node the schedule names: the scheduled closer's choice, or its
    silence, must not keep our chains out of every window. A frozen link is left to its
    operators: its dispute is the alert already."""
    frozen = conn.execute(select(links.c.frozen_reason).where(
        links.c.peer_node_id == peer)).scalar_one_or_none()
    if frozen is not None:
        return False
    cuts = conn.execute(
        select(func.max(windows.c.outgoing_cut), func.max(windows.c.incoming_cut))
        .where(windows.c.peer_node_id == peer, windows.c.state == WindowState.MATCHED)).one()
    outgoing_cut, incoming_cut = int(cuts[0] or 0), int(cuts[1] or 0)
    waiting = [_earliest_incoming(conn, peer, incoming_cut),
               _earliest_outgoing(conn, peer, outgoing_cut)]
    return any(found is not None and found[1] < now_ms - after_ms for found in waiting)
