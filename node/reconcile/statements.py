"""Our statement of a window: cut it at our chain heads, compute and sign it, check our own
books, and finish the window with what was found. Conventions: node/reconcile/context.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.db.schema import in_transactions
from node.exchange import store
from node.reconcile import leaves as q
from node.reconcile import records
from node.reconcile.context import SideContext
from node.reconcile.records import DiscrepancyKind
from node.reconcile.window import Computed, compute, ledger_at_cut
from node.states import DiscrepancyOutcome, DiscrepancyStatus, WindowState
from protocol.signing import sign_object
from protocol.statements import statement_document


@dataclass(frozen=True)
class Proposed:
    index: int
    statement: dict[str, Any]
    late_response: dict[str, Any] | None


class Statements:
    def __init__(self, ctx: SideContext) -> None:
        self.ctx = ctx

    def sign(self, computed: Computed) -> dict[str, Any]:
        document = statement_document(computed.facts, issued_at_ms=self.ctx.clock.now_ms())
        return sign_object(document, signer=self.ctx.node_id, key=self.ctx.signer.key())

    def cut_and_sign(self, conn: Connection, peer: str) -> Proposed:
        """Close the next window of the link at our chain heads. A window the peer never
        answered (still open, or disputed on our side alone) is proposed again as it was: the
        same statement, so a peer that did co-sign it recognises the repeat."""
        link = store.link(conn, peer)
        last = records.last_window(conn, peer)
        if last is not None and (last.state == WindowState.OPEN or last.peer_statement is None):
            return Proposed(last.index, last.statement,
                            _late_response(conn, peer, last.incoming_cut))
        index = 1 if last is None else last.index + 1
        return self.save(conn, peer, index, link.out_sequence, link.in_sequence, first=True)

    def recut(self, conn: Connection, peer: str, index: int) -> Proposed:
        """Cut an unanswered window again at our chain heads, and sign it afresh."""
        link = store.link(conn, peer)
        return self.save(conn, peer, index, link.out_sequence, link.in_sequence, first=True)

    def recompute(self, conn: Connection, peer: str, index: int) -> Proposed:
        window = records.window(conn, peer, index)
        assert window is not None
        return self.save(conn, peer, index, window.outgoing_cut, window.incoming_cut,
                         first=False)

    def save(self, conn: Connection, peer: str, index: int, outgoing_cut: int,
             incoming_cut: int, *, first: bool) -> Proposed:
        now_ms = self.ctx.clock.now_ms()
        computed = compute(conn, me=self.ctx.node_id, peer=peer, index=index,
                           outgoing_cut=outgoing_cut, incoming_cut=incoming_cut)
        statement = self.sign(computed)
        records.save_window(conn, peer=peer, index=index, outgoing_cut=outgoing_cut,
                            incoming_cut=incoming_cut, statement=statement, now_ms=now_ms)
        self.ctx.leaf_indexes.invalidate(peer, index)  # harmless if this write rolls back
        if first:
            self._check_books(conn, peer, index, now_ms)
        return Proposed(index, statement, _late_response(conn, peer, incoming_cut))

    def _check_books(self, conn: Connection, peer: str, index: int, now_ms: int) -> None:
        """What our own books say before any comparison: reservations carried past the cut,
        and entries counted twice (no evidence can repair those)."""
        for wire_id in q.open_transfers(conn, peer):
            records.record_discrepancy(
                conn, peer=peer, index=index, kind=DiscrepancyKind.PENDING_ACROSS_CUT,
                outcome=DiscrepancyOutcome.CARRIED,
                detail="reserved, no final answer at the cut: settles in a later window",
                now_ms=now_ms, key=(self.ctx.node_id, wire_id))
        for ref in records.counted_twice_in_window(conn, peer, index):
            records.dispute(conn, peer=peer, index=index, kind=DiscrepancyKind.DUPLICATE,
                            now_ms=now_ms,
                            detail=f"{ref} moved the clearing account with {peer} twice")

    def books_agree(self, conn: Connection, peer: str, index: int, *, dispute: bool) -> bool:
        """Does our ledger's clearing position at the cut equal the window's closing position
        from our transfer records? Checked after any repair: a record lost and restored from
        evidence disagrees only until it is restored."""
        window = records.window(conn, peer, index)
        assert window is not None
        at_cut = ledger_at_cut(conn, me=self.ctx.node_id, peer=peer,
                               outgoing_cut=window.outgoing_cut, incoming_cut=window.incoming_cut)
        if at_cut == window.closing:
            return True
        if dispute:
            records.dispute(conn, peer=peer, index=index, kind=DiscrepancyKind.TOTALS_DIFFER,
                            now_ms=self.ctx.clock.now_ms(),
                            detail=f"our ledger says {at_cut} minutes at the "
                                   f"cut, our transfer records {window.closing}")
            self.ctx.mark(conn, peer, index, WindowState.DISPUTED)
        return False

    def finish(self, conn: Connection, peer: str, index: int, calls: int) -> dict[str, Any]:
        window = records.window(conn, peer, index)
        assert window is not None
        if window.state != WindowState.DISPUTED:
            self.books_agree(conn, peer, index, dispute=True)
        found = records.window_discrepancies(conn, peer, index)
        if window.state == WindowState.OPEN and any(
                d["status"] == DiscrepancyStatus.OPEN for d in found):
            self.ctx.mark(conn, peer, index, WindowState.DISPUTED)
            window = records.window(conn, peer, index)
            assert window is not None
        view = window.view()
        view["round_trips"] = calls
        view["discrepancies"] = [{k: d[k] for k in ("id", "kind", "outcome", "status",
                                                    "transfer_id", "detail")} for d in found]
        return view


def _late_response(conn: Connection, peer: str, incoming_cut: int) -> dict[str, Any] | None:
    """The peer's transaction at our incoming cut with the response we signed for it."""
    if incoming_cut == 0:
        return None
    row = conn.execute(select(in_transactions.c.document, in_transactions.c.response)
                       .where(in_transactions.c.sender == peer,
                              in_transactions.c.sequence == incoming_cut)).first()
    return None if row is None else {"transaction": row.document, "response": row.response}
