"""Our statement of a window: cut it at our chain heads, compute and sign it, check our own
books, and finish the window with what was found. Conventions: node/reconcile/context.py;
statements of big windows are prepared off the writer (node/reconcile/prepare.py)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.db.batch import Command
from node.db.schema import in_transactions
from node.exchange import store
from node.reconcile import leaves as q
from node.reconcile import records
from node.reconcile.context import SideContext
from node.reconcile.prepare import PREPARE_ATTEMPTS_MAX, Plan, Prepared, prepare
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

    # planning (step 1 of node/reconcile/prepare.py) ------------------------------------------

    def _plan(self, conn: Connection, peer: str, index: int, outgoing_cut: int,
              incoming_cut: int, *, first: bool) -> Plan:
        return Plan(peer, index, outgoing_cut, incoming_cut, first,
                    self.ctx.leaf_indexes.link_generation(peer),
                    store.link(conn, peer).out_sequence)

    def plan_cut(self, conn: Connection, peer: str) -> Plan | Proposed:
        """Close the next window of the link at our chain heads. A window the peer never
        answered (still open, or disputed on our side alone) is proposed again as it was: the
        same statement, so a peer that did co-sign it recognises the repeat."""
        link = store.link(conn, peer)
        last = records.last_window(conn, peer)
        if last is not None and (last.state == WindowState.OPEN or last.peer_statement is None):
            return Proposed(last.index, last.statement,
                            _late_response(conn, peer, last.incoming_cut))
        index = 1 if last is None else last.index + 1
        return self._plan(conn, peer, index, link.out_sequence, link.in_sequence, first=True)

    def plan_recut(self, conn: Connection, peer: str, index: int) -> Plan:
        """Cut an unanswered window again at our chain heads, to sign it afresh."""
        link = store.link(conn, peer)
        return self._plan(conn, peer, index, link.out_sequence, link.in_sequence, first=True)

    def plan_recompute(self, conn: Connection, peer: str, index: int) -> Plan:
        """The window again at its own cuts, after a repair."""
        window = records.window(conn, peer, index)
        assert window is not None
        return self._plan(conn, peer, index, window.outgoing_cut, window.incoming_cut,
                          first=False)

    async def make(self, plan: Command[Plan | Proposed]) -> Proposed:
        """Plan (a write), read the window off the loop and the write lock, save (a write):
        node/reconcile/prepare.py says why the result is the one a single write gives."""
        ctx = self.ctx
        for _ in range(PREPARE_ATTEMPTS_MAX):
            planned = await ctx.writer.submit(plan)
            if isinstance(planned, Proposed):
                return planned
            ready = await prepare(ctx.db, ctx.node_id, planned)
            saved = await ctx.writer.submit(partial(self.save_prepared, prepared=ready))
            if saved is not None:
                return saved
        # The link keeps changing under the reads: in one write, as before.
        return await ctx.writer.submit(partial(self._plan_and_save, plan=plan))

    def _plan_and_save(self, conn: Connection, plan: Command[Plan | Proposed]) -> Proposed:
        planned = plan(conn)
        if isinstance(planned, Proposed):
            return planned
        return self.save(conn, planned.peer, planned.index, planned.outgoing_cut,
                         planned.incoming_cut, first=planned.first)

    # saving (step 3) ----------------------------------------------------------------------

    def save_prepared(self, conn: Connection, prepared: Prepared) -> Proposed | None:
        """Store a statement prepared off the writer, unless the link changed since it was
        planned (then None: plan again)."""
        plan = prepared.plan
        if self.ctx.leaf_indexes.link_generation(plan.peer) != plan.generation:
            return None
        out_sequence = store.link(conn, plan.peer).out_sequence
        if min(out_sequence, plan.outgoing_cut) != min(plan.out_sequence, plan.outgoing_cut):
            return None  # answers at or below our outgoing cut applied since the plan
        return self._store(conn, plan.peer, plan.index, prepared.computed,
                           books=(prepared.counted_twice, prepared.checked_height)
                           if plan.first else None)

    def save(self, conn: Connection, peer: str, index: int, outgoing_cut: int,
             incoming_cut: int, *, first: bool) -> Proposed:
        """Compute and store in this very write (what a small window, or a test, can
        afford)."""
        computed = compute(conn, me=self.ctx.node_id, peer=peer, index=index,
                           outgoing_cut=outgoing_cut, incoming_cut=incoming_cut)
        books = records.counted_twice_since_check(conn, peer, index) if first else None
        return self._store(conn, peer, index, computed, books=books)

    def _store(self, conn: Connection, peer: str, index: int, computed: Computed, *,
               books: tuple[list[str], int] | None) -> Proposed:
        now_ms = self.ctx.clock.now_ms()
        facts = computed.facts
        statement = self.sign(computed)
        records.save_window(conn, peer=peer, index=index,
                            outgoing_cut=facts.outgoing_sequence_cut,
                            incoming_cut=facts.incoming_sequence_cut, statement=statement,
                            now_ms=now_ms)
        self.ctx.leaf_indexes.invalidate(peer, index)  # harmless if this write rolls back
        if books is not None:
            self._check_books(conn, peer, index, now_ms, counted_twice=books[0])
            records.mark_books_checked(conn, peer, index, books[1])
        return Proposed(index, statement,
                        _late_response(conn, peer, facts.incoming_sequence_cut))

    def fresh(self, conn: Connection, peer: str, index: int) -> Proposed:
        """Our stored statement of window `index`, signed again at the same cuts if its
        signing time has passed half the skew bound (a proposal repeated after "come back",
        standard §20.6): the facts are unchanged, so nothing is computed."""
        window = records.window(conn, peer, index)
        assert window is not None
        statement = window.statement
        now_ms = self.ctx.clock.now_ms()
        skew_ms = self.ctx.federation.require_current().policy.skew_ms
        if now_ms - int(statement["issued_at_ms"]) > skew_ms // 2:
            unsigned = {k: v for k, v in statement.items() if k != "signatures"}
            statement = sign_object({**unsigned, "issued_at_ms": now_ms},
                                    signer=self.ctx.node_id, key=self.ctx.signer.key())
            records.save_window(conn, peer=peer, index=index, outgoing_cut=window.outgoing_cut,
                                incoming_cut=window.incoming_cut, statement=statement,
                                now_ms=now_ms)
        return Proposed(index, statement, _late_response(conn, peer, window.incoming_cut))

    def _check_books(self, conn: Connection, peer: str, index: int, now_ms: int, *,
                     counted_twice: list[str]) -> None:
        """What our own books say before any comparison: reservations carried past the cut,
        and entries counted twice (no evidence can repair those)."""
        for wire_id in q.open_transfers(conn, peer):
            records.record_discrepancy(
                conn, peer=peer, index=index, kind=DiscrepancyKind.PENDING_ACROSS_CUT,
                outcome=DiscrepancyOutcome.CARRIED,
                detail="reserved, no final answer at the cut: settles in a later window",
                now_ms=now_ms, key=(self.ctx.node_id, wire_id))
        for ref in counted_twice:
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
