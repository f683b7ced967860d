"""Reconciliation of a link, window by window (DESIGN §7, docs/reconciliation.md).

The closer of a window (`close`):

 1. cuts the window, computes and signs its statement, and checks its own books (an entry
    counted twice, a ledger that disagrees with its records), reading the window off the
    event loop and the write lock (node/reconcile/prepare.py);
 2. proposes the statement to the peer, handing over the signed response the peer may be
    missing for its last transaction before the cut (a late receipt), and proposes it again
    each time a peer still preparing its own says "come back" (`_ask`, standard §20.6);
 3. matching statements: the peer co-signs ours; that co-signed statement is the record;
 4. otherwise it finds the differing transfers by Merkle descent, repairs what signed evidence
    settles (on its side, and by handing evidence to the peer for the peer's side), recomputes
    and proposes once more as final;
 5. anything still different is a dispute: recorded, the link frozen on both sides, alerted.

The peer's side (`serve`) answers the same operations over the signed endpoint.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from enum import StrEnum
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from node.access import Principal, Role, require_role
from node.clock import Clock
from node.db.batch import WriteBatcher
from node.db.engine import Database
from node.db.schema import links
from node.errors import ErrorCode, NotFound
from node.exchange import ahead
from node.exchange.service import Exchange
from node.federation import FederationService
from node.keyring import Signer
from node.ledger.journal import Ledger
from node.reconcile import cuts, records
from node.reconcile.evidence import EvidenceBooks, EvidenceError
from node.reconcile.peer import PeerClient, PeerFailed, PeerRanges
from node.reconcile.prepare import Plan
from node.reconcile.responder import Responder
from node.reconcile.sides import Proposed, Sides
from node.states import WindowState
from protocol.merkle_diff import DifferenceKind, PeerAnswerError, reconcile
from protocol.messages.documents import Statement
from protocol.reasons import ReasonCode
from protocol.statements import Disagreement, compare

log = logging.getLogger("hourbridge.reconcile")
T = TypeVar("T")

EVIDENCE_KEYS_PER_CALL = 4
# "Come back" (standard §20.6): how long in all the closer keeps proposing again while the peer
# prepares its statement, and the bounds it puts on each wait the peer asks for.
COME_BACK_WAIT_MAX_MS = 600_000
COME_BACK_DELAY_MIN_MS = 100
COME_BACK_DELAY_MAX_MS = 30_000
CLOSE_TIMEOUT_S = 3_600.0
RECOVER_PAGE = 20
RECOVER_PAGES_MAX = 100_000


class Proposal(StrEnum):
    MATCHED = "matched"  # co-signed
    DIFFERS = "differs"  # look for the differences
    FAILED = "failed"  # unreachable (the window stays open), or disputed already
    STALE = "stale"  # the peer saw a statement signed too long ago: cut the window again


class Reconciler:
    def __init__(self, *, node_id: str, db: Database, writer: WriteBatcher,
                 federation: FederationService, signer: Signer, clock: Clock, ledger: Ledger,
                 exchange: Exchange) -> None:
        self.node_id = node_id
        self.db = db
        self.writer = writer
        self.federation = federation
        self.signer = signer
        self.clock = clock
        self.transport = exchange.transport
        books = EvidenceBooks(node_id=node_id, ledger=ledger, courier=exchange.courier)
        self.sides = Sides(node_id=node_id, db=db, writer=writer, federation=federation,
                           signer=signer, clock=clock, books=books)
        self._busy: dict[str, asyncio.Lock] = {}
        self.responder = Responder(
            self.sides, closing=lambda peer: peer in self._busy and self._busy[peer].locked())
        self._loop: asyncio.AbstractEventLoop | None = None
        self.come_back_wait_max_ms = COME_BACK_WAIT_MAX_MS
        # Waits between proposals while the peer prepares: real time, not the node's clock
        # (the peer's computation takes real time whatever a test's clock says).
        self.pause: Callable[[float], Awaitable[None]] = asyncio.sleep

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """The server's event loop, where scheduled jobs run their reconciliation."""
        self._loop = loop

    def run_on_server(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the server's loop from a scheduler thread, and wait for it."""
        if self._loop is None:
            coroutine.close()
            raise RuntimeError("the node's server is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(CLOSE_TIMEOUT_S)

    def client(self, peer: str) -> PeerClient:
        return PeerClient(node_id=self.node_id, peer=peer, federation=self.federation,
                          signer=self.signer, transport=self.transport,
                          now_ms=self.clock.now_ms)

    async def serve(self, raw: bytes) -> bytes:
        return await self.responder.serve(raw)

    def peers(self) -> list[str]:
        """Peers this node has a link with, in the current directory."""
        directory = self.federation.require_current()
        return [peer for peer in self.sides.linked_peers() if directory.node(peer) is not None]

    async def close_all(self, *, scheduled: bool = False,
                        overdue_after_ms: int | None = None) -> list[dict[str, Any]]:
        """Close a window on every link; or, from the scheduler, on the links where this node
        has the smaller id (`scheduled`: two nodes' schedules do not cut one link twice) and on
        any other link whose chains hold a transaction that has waited past the last
        co-signed cut for longer than `overdue_after_ms` (`cuts.overdue`): the scheduled
        closer's choice, or its silence, must not hide our side of the link (§11.1)."""
        choosing = scheduled or overdue_after_ms is not None
        results = []
        for peer in self.peers():
            if choosing and not (scheduled and peer > self.node_id):
                if overdue_after_ms is None:
                    continue
                with self.db.read() as conn:
                    late = cuts.overdue(conn, peer, now_ms=self.clock.now_ms(),
                                        after_ms=overdue_after_ms)
                if not late:
                    continue
                log.warning("closing a window with %s ourselves: a transaction has waited past "
                            "the last co-signed cut for over %s ms", peer, overdue_after_ms)
            results.append(await self.close(peer))
        return results

    async def close(self, peer: str) -> dict[str, Any]:
        lock = self._busy.setdefault(peer, asyncio.Lock())
        async with lock:
            return await self._close(peer)

    async def _close(self, peer: str) -> dict[str, Any]:
        sides = self.sides
        statements = sides.statements
        mine = await statements.make(partial(self._cut, peer=peer))
        client = self.client(peer)
        outcome, mine = await self._propose(client, mine, final=False)
        if outcome is Proposal.STALE:
            # A window proposed before and never answered: the peer judges a cut by when it
            # was signed (standard §11.1), so we cut it again at our heads, and sign afresh.
            mine = await statements.make(partial(statements.plan_recut, peer=peer,
                                                 index=mine.index))
            outcome, mine = await self._propose(client, mine, final=False)
        if outcome is Proposal.DIFFERS:
            left = await self._descend_and_repair(client, mine.index)
            mine = await statements.make(partial(statements.plan_recompute, peer=peer,
                                                 index=mine.index))
            outcome, mine = await self._propose(client, mine, final=True)
            if outcome is Proposal.DIFFERS:
                await self.writer.submit(partial(sides.compare.dispute_mismatch, peer=peer,
                                                 index=mine.index, left=left))
        return await self.writer.submit(partial(statements.finish, peer=peer,
                                                index=mine.index, calls=client.calls))

    def _cut(self, conn: Connection, peer: str) -> Plan | Proposed:
        """The window to propose. One the peer proposed or answered and that is still open is
        cut again at our own heads: its cuts are the peer's choice, never re-proposed as ours
        (standard §11.1)."""
        last = records.last_window(conn, peer)
        if last is not None and last.state == WindowState.OPEN and last.peer_statement is not None:
            return self.sides.statements.plan_recut(conn, peer, last.index)
        return self.sides.statements.plan_cut(conn, peer)

    async def _ask(self, client: PeerClient, mine: Proposed, *,
                   final: bool) -> tuple[dict[str, Any], Proposed]:
        """`propose`, and again after each "come back" (standard §20.6: a temporary refusal
        with `retry_after_ms`, the peer still preparing its statement) once the time it asks
        for has passed, up to COME_BACK_WAIT_MAX_MS in all; each time our statement is the
        same, signed again at the same cuts once half the skew bound has passed."""
        waited_ms = 0
        while True:
            try:
                result = await client.call("propose", {
                    "statement": mine.statement, "final": final,
                    "late_response": mine.late_response})
                return result, mine
            except PeerFailed as exc:
                left_ms = self.come_back_wait_max_ms - waited_ms
                if (exc.reason != ReasonCode.RECEIVER_UNAVAILABLE or exc.retry_after_ms is None
                        or left_ms <= 0):
                    raise
                delay_ms = min(max(exc.retry_after_ms, COME_BACK_DELAY_MIN_MS),
                               COME_BACK_DELAY_MAX_MS, left_ms)
                log.info("window %s with %s: the peer is preparing its statement; proposing "
                         "again in %s ms", mine.index, client.peer, delay_ms)
            await self.pause(delay_ms / 1000)
            waited_ms += delay_ms
            mine = await self.writer.submit(partial(self.sides.statements.fresh,
                                                    peer=client.peer, index=mine.index))

    async def _propose(self, client: PeerClient, mine: Proposed, *,
                       final: bool) -> tuple[Proposal, Proposed]:
        peer, index = client.peer, mine.index
        try:
            result, mine = await self._ask(client, mine, final=final)
            theirs = self.sides.compare.verify_statement(result.get("statement"), peer)
        except PeerFailed as exc:
            if exc.reason == ReasonCode.CLOCK_SKEW and not final:
                log.warning("window %s with %s: %s", index, peer, exc.detail)
                return Proposal.STALE, mine
            await self.writer.submit(partial(self.sides.compare.peer_failed, peer=peer,
                                             index=index, failure=exc))
            return Proposal.FAILED, mine
        record = result.get("record")
        found = compare(Statement.model_validate(mine.statement), theirs)
        if not found and record is not None and self.sides.compare.verify_record(
                record, mine.statement, peer):
            await self.writer.submit(partial(self.sides.compare.matched, peer=peer, index=index,
                                             theirs=theirs, record=record))
            return Proposal.MATCHED, mine
        await self.writer.submit(partial(self.sides.compare.remember_peer, peer=peer,
                                         index=index, theirs=theirs, found=found))
        if Disagreement.CHAIN in found or Disagreement.WINDOW in found:
            if not final:  # so that the peer records the dispute and freezes its side too
                await self._propose(client, mine, final=True)
            return Proposal.FAILED, mine
        return Proposal.DIFFERS, mine

    async def _descend_and_repair(self, client: PeerClient, index: int) -> list[str]:
        """Find the differing transfers and repair what evidence settles. Returns the kinds of
        differences left for the dispute record if the final proposal still differs."""
        peer = client.peer
        local = await self.sides.repairs.leaf_index(peer, index)
        if local is None:
            raise KeyError(f"no window {index} with {peer}")
        loop = asyncio.get_running_loop()
        try:
            found = await asyncio.to_thread(reconcile, local, PeerRanges(client, index, loop))
        except (PeerAnswerError, PeerFailed, KeyError, ValueError, TypeError) as exc:
            log.error("descent with %s failed: %s", peer, exc)
            return [f"descent failed: {exc}"]
        await self.writer.submit(partial(self.sides.repairs.count_digests, peer=peer,
                                         index=index, digests=found.digests_exchanged))
        left: list[str] = []
        missing_here = [d.key for d in found.differences
                        if d.kind is DifferenceKind.MISSING_LOCALLY]
        missing_there = [d.key for d in found.differences
                         if d.kind is DifferenceKind.MISSING_AT_PEER]
        for difference in found.differences:
            if difference.kind is DifferenceKind.FIELD_MISMATCH:
                await self.writer.submit(partial(self.sides.repairs.field_mismatch, peer=peer,
                                                 index=index, difference=difference))
                left.append("field_mismatch")
        for start in range(0, len(missing_here), EVIDENCE_KEYS_PER_CALL):
            keys = missing_here[start:start + EVIDENCE_KEYS_PER_CALL]
            try:
                result = await client.call("evidence", {"keys": [list(k) for k in keys]})
                items = result.get("evidence")
                if not isinstance(items, list):
                    raise PeerFailed("malformed", "evidence must be a list")
            except PeerFailed as exc:
                items = []
                log.error("evidence from %s: %s", peer, exc)
            left += await self.writer.submit(partial(self.sides.repairs.repair_locally,
                                                     peer=peer, index=index, keys=keys,
                                                     items=items))
        for start in range(0, len(missing_there), EVIDENCE_KEYS_PER_CALL):
            keys = missing_there[start:start + EVIDENCE_KEYS_PER_CALL]
            evidence = await self.writer.submit(partial(self.sides.repairs.evidence_for,
                                                         peer=peer, keys=keys))
            try:
                result = await client.call("repair", {"window_index": index,
                                                      "evidence": evidence})
                outcomes = result.get("outcomes")
                if not isinstance(outcomes, list):
                    raise PeerFailed("malformed", "outcomes must be a list")
            except PeerFailed as exc:
                outcomes = [{"key": list(k), "outcome": "failed", "detail": str(exc)}
                            for k in keys]
            left += await self.writer.submit(partial(self.sides.repairs.peer_repaired,
                                                     peer=peer, index=index, keys=keys,
                                                     outcomes=outcomes))
        return left

    # views and operator actions --------------------------------------------------------------

    def windows(self, principal: Principal, *, peer: str | None = None,
                state: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        require_role(principal, Role.ADMIN, Role.REGULATOR, what="read settlement windows")
        with self.db.read() as conn:
            return [w.view() for w in records.list_windows(conn, peer=peer, state=state,
                                                           limit=limit)]

    def statements(self, principal: Principal) -> dict[str, Any]:
        """Each link's newest window: our signed statement, the peer's, and the co-signed
        record if they matched. What a regulator collects from every node."""
        require_role(principal, Role.ADMIN, Role.REGULATOR, what="read statements")
        with self.db.read() as conn:
            latest = records.latest_windows(conn)
        return {"node": self.node_id, "windows": [w.view() for w in latest]}

    def discrepancies(self, principal: Principal, *, peer: str | None = None,
                      status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        require_role(principal, Role.ADMIN, Role.REGULATOR, what="read discrepancies")
        with self.db.read() as conn:
            return records.list_discrepancies(conn, peer=peer, status=status, limit=limit)

    def close_discrepancy(self, principal: Principal, ident: str,
                          resolution: str) -> dict[str, Any]:
        """An operator records how a dispute was resolved. The link stays frozen until they
        also unfreeze it (`POST /api/v1/federation/links/{peer}/unfreeze`)."""
        require_role(principal, Role.ADMIN, what="resolve a discrepancy")
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            if not records.close_discrepancy(conn, ident, by=principal.actor,
                                             resolution=resolution, now_ms=now_ms):
                raise NotFound(ErrorCode.DISCREPANCY_NOT_FOUND,
                               f"no open discrepancy {ident}")
            found = records.discrepancy(conn, ident)
        assert found is not None  # closed in this very transaction
        return found

    def alerts(self) -> dict[str, int]:
        """Counts for /metrics: open disputes and frozen links."""
        with self.db.read() as conn:
            open_disputes = records.open_disputes(conn)
            frozen = conn.execute(select(func.count()).select_from(links)
                                  .where(links.c.frozen_reason.is_not(None))).scalar_one()
        return {"open_disputes": open_disputes, "frozen_links": int(frozen)}

    # rebuilding from peers ---------------------------------------------------------------------

    async def recover(self, peers: list[str] | None = None) -> list[dict[str, Any]]:
        """For a node restored from an old backup: fetch from each peer the answered
        transactions of both chains after what our books hold, verify each, and replay it
        (`hourbridge recover`). Returns what was replayed, per peer and direction."""
        directory = self.federation.require_current()
        chosen = peers or [node.node_id for node in directory.nodes
                           if node.node_id != self.node_id]
        report = []
        for peer in chosen:
            client = self.client(peer)
            # "from_you": our own transactions, as the peer received and answered them.
            chains = [await self._recover_chain(client, direction)
                      for direction in ("from_you", "to_you")]
            report += chains
            if not any("error" in chain for chain in chains):
                # Our chains hold what the peer holds again: a `peer_ahead` freeze is over.
                await self.writer.submit(partial(ahead.clear, peer=peer))
        return report

    async def _recover_chain(self, client: PeerClient, direction: str) -> dict[str, Any]:
        peer = client.peer
        totals: dict[str, Any] = {"peer": peer, "chain": "outgoing" if direction == "from_you"
                                  else "incoming", "transactions": 0, "credits": 0,
                                  "debits": 0, "reserved": 0, "records_restored": 0,
                                  "skipped": []}
        for _ in range(RECOVER_PAGES_MAX):
            after = await self.writer.submit(partial(self.sides.repairs.chain_head, peer=peer,
                                                     direction=direction))
            try:
                page = (await client.call("history", {"direction": direction, "after": after,
                                                      "limit": RECOVER_PAGE}))["transactions"]
            except (PeerFailed, KeyError) as exc:
                totals["error"] = str(exc)
                return totals
            if not page:
                return totals
            for item in page:
                try:
                    applied = await self.writer.submit(partial(self.sides.repairs.replay, peer=peer,
                                                                item=item))
                except EvidenceError as exc:
                    # Stop rather than guess: what follows may depend on this transaction.
                    totals["error"] = f"transaction after {after} does not verify: {exc}"
                    return totals
                totals["transactions"] += 1
                totals["credits"] += len(applied.credits)
                totals["debits"] += len(applied.debits)
                totals["reserved"] += len(applied.reserved)
                totals["records_restored"] += len(applied.records_restored)
                totals["skipped"] += applied.skipped
        totals["error"] = f"stopped after {RECOVER_PAGES_MAX} pages"
        return totals
