"""Computing this node's statement for one window of one link (standard §11).

A window is cut at a sequence number on each chain of the link. The node that closes it cuts
its outgoing chain at the last transaction the peer answered, and its incoming chain at the last
one it accepted; the peer takes the same two numbers, swapped. Everything at or below the cuts
is final on both sides, except a response that never reached its sender, which the closer hands
over with its proposal (`Reconciler`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from node.errors import ErrorCode, FixedCodeError
from node.reconcile import leaves as q
from node.reconcile import records
from protocol.merkle import TransferLeaf
from protocol.merkle_diff import LeafIndex
from protocol.statements import WindowFacts


class CutUnknown(FixedCodeError):
    """A cut beyond what this node holds of the chain."""

    CODE = ErrorCode.CUT_UNKNOWN


@dataclass(frozen=True)
class Computed:
    facts: WindowFacts
    leaves: list[TransferLeaf]


def _sum(found: list[TransferLeaf]) -> tuple[int, int]:
    return len(found), sum(leaf.amount_minutes for leaf in found)


@dataclass(frozen=True)
class Bounds:
    """Where a window starts and ends on each chain, as this node holds them."""

    opening: int
    outgoing: q.Span
    incoming: q.Span
    outgoing_head: str
    incoming_head: str


def bounds(conn: Connection, *, peer: str, index: int, outgoing_cut: int,
           incoming_cut: int) -> Bounds:
    """The window's spans and heads; CutUnknown when a cut is below the previous window's or
    beyond what this node holds. A few indexed lookups: cheap enough for any write."""
    previous = records.window(conn, peer, index - 1) if index > 1 else None
    opening = 0 if previous is None else previous.closing
    out_span = q.Span(0 if previous is None else previous.outgoing_cut, outgoing_cut)
    in_span = q.Span(0 if previous is None else previous.incoming_cut, incoming_cut)
    if out_span.after > out_span.upto or in_span.after > in_span.upto:
        raise CutUnknown("the cut is below the previous window's")
    out_head = q.out_head(conn, peer, outgoing_cut)
    in_head = q.in_head(conn, peer, incoming_cut)
    if out_head is None or in_head is None:
        raise CutUnknown(f"no transaction at the cut ({outgoing_cut}, {incoming_cut})")
    return Bounds(opening, out_span, in_span, out_head, in_head)


def compute(conn: Connection, *, me: str, peer: str, index: int, outgoing_cut: int,
            incoming_cut: int) -> Computed:
    """The window's leaves and facts: reads every transfer of the window, so the heavy part
    of a close (node/reconcile/prepare.py runs it off the event loop and the writer)."""
    found = bounds(conn, peer=peer, index=index, outgoing_cut=outgoing_cut,
                   incoming_cut=incoming_cut)
    outgoing = q.outgoing_leaves(conn, me, peer, found.outgoing)
    incoming = q.incoming_leaves(conn, peer, found.incoming)
    index_of_leaves = LeafIndex(outgoing + incoming)
    facts = WindowFacts(
        issuer=me, counterparty=peer, window_index=index,
        outgoing_sequence_cut=outgoing_cut, incoming_sequence_cut=incoming_cut,
        outgoing_head_hash=found.outgoing_head, incoming_head_hash=found.incoming_head,
        opening_position_minutes=found.opening, outgoing=_sum(outgoing),
        incoming=_sum(incoming), pending=q.pending(conn, peer),
        merkle_root=index_of_leaves.root().hex(),
    )
    return Computed(facts, outgoing + incoming)


def ledger_at_cut(conn: Connection, *, me: str, peer: str, outgoing_cut: int,
                  incoming_cut: int) -> int:
    """Our ledger's position with `peer` at the two cuts, from the clearing account: equal to
    the window's closing position unless our books disagree with our own records. Reads only
    what settled past the cuts, never the window's leaves again."""
    # What settled after the cut moved the ledger too: take it back out.
    later_out = q.outgoing_leaves(conn, me, peer, q.Span(outgoing_cut, q.CHAIN_END))
    later_in = q.incoming_leaves(conn, peer, q.Span(incoming_cut, q.CHAIN_END))
    return records.ledger_position(conn, peer) - _sum(later_in)[1] + _sum(later_out)[1]
