"""Descent and repair: the leaf index of a window, the differences found in it, the evidence
either side hands over for transfers the other lacks, and `hourbridge recover`'s replay of a
peer's history. Conventions: node/reconcile/context.py."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.db.schema import relocations, remote_transfers, transfers
from node.errors import NodeError
from node.exchange import store
from node.reconcile import records
from node.reconcile.context import SideContext
from node.reconcile.evidence import Applied, EvidenceError, Pair, find_pairs, verify_pair
from node.reconcile.prepare import PREPARE_EXECUTOR
from node.reconcile.records import DiscrepancyKind
from node.reconcile.window import compute
from node.states import DiscrepancyOutcome, TransferState
from protocol.merkle import LeafKey
from protocol.merkle_diff import Difference, LeafIndex
from protocol.messages.other import RelocationMessage, RelocationReceiptMessage
from protocol.messages.transfer import PrepareMessage, ReceiptMessage
from protocol.reconciliation_ops import REPAIR_DETAIL_CHARS_MAX

log = logging.getLogger("hourbridge.reconcile")

# Transfers and relocations share these words: pending (and in doubt) until answered.
OPEN_STATES = (TransferState.PENDING, TransferState.IN_DOUBT)


class Repairs:
    def __init__(self, ctx: SideContext) -> None:
        self.ctx = ctx

    # descent ------------------------------------------------------------------------------

    async def leaf_index(self, peer: str, index: int) -> LeafIndex | None:
        """The leaf index of window `index` with `peer` (None: we hold no such window), from
        the cache or computed in a snapshot off the loop and the writer, and kept unless a
        write may have changed it meanwhile. The generation is read inside a write, so every
        write that raised it has committed before the snapshot opens (prepare.py)."""
        cache = self.ctx.leaf_indexes
        cached = cache.get(peer, index)
        if cached is not None:
            return cached
        generation = await self.ctx.writer.submit(lambda _conn: cache.generation)
        found = await asyncio.get_running_loop().run_in_executor(
            PREPARE_EXECUTOR, self._read_leaf_index, peer, index)
        if found is not None:
            cache.put(peer, index, found, generation=generation)
        return found

    def _read_leaf_index(self, peer: str, index: int) -> LeafIndex | None:
        with self.ctx.db.snapshot() as conn:
            return self.compute_leaf_index(conn, peer, index)

    def compute_leaf_index(self, conn: Connection, peer: str, index: int) -> LeafIndex | None:
        """A command: reads the cache, never fills it (LeafIndexCache says why)."""
        cached = self.ctx.leaf_indexes.get(peer, index)
        if cached is not None:
            return cached
        window = records.window(conn, peer, index)
        if window is None:
            return None
        computed = compute(conn, me=self.ctx.node_id, peer=peer, index=index,
                           outgoing_cut=window.outgoing_cut, incoming_cut=window.incoming_cut)
        return LeafIndex(computed.leaves)

    def count_digests(self, conn: Connection, peer: str, index: int, digests: int) -> None:
        records.mark_window(conn, peer=peer, index=index, digests=digests,
                            now_ms=self.ctx.clock.now_ms())

    def field_mismatch(self, conn: Connection, peer: str, index: int,
                       difference: Difference) -> None:
        records.dispute(conn, peer=peer, index=index, kind=DiscrepancyKind.FIELD_MISMATCH,
                        now_ms=self.ctx.clock.now_ms(), key=difference.key,
                        detail=f"{difference.key[1]}: ours {difference.local}, "
                               f"theirs {difference.peer}")

    # repair -------------------------------------------------------------------------------

    def evidence_for(self, conn: Connection, peer: str, keys: list[LeafKey]) -> list[Any]:
        return find_pairs(conn, self.ctx.node_id, peer, keys)

    def repair_locally(self, conn: Connection, peer: str, index: int, keys: list[LeafKey],
                       items: list[Any]) -> list[str]:
        """Transfers the peer holds committed and we do not: classify each and apply the
        peer's evidence where it verifies. Returns the kinds left disputed."""
        outcomes = self.repair(conn, peer, index, keys, items)
        return [o["kind"] for o in outcomes if o["outcome"] == DiscrepancyOutcome.DISPUTED]

    def repair(self, conn: Connection, peer: str, index: int, keys: list[LeafKey],
               items: list[Any]) -> list[dict[str, Any]]:
        now_ms = self.ctx.clock.now_ms()
        by_key = {}
        for item in items:
            key = item.get("key") if isinstance(item, dict) else None
            if isinstance(key, list) and len(key) == 2:
                by_key[(str(key[0]), str(key[1]))] = item
        outcomes = []
        for key in keys:
            kind, outcome, detail = self._repair_one(conn, peer, key, by_key.get(key), now_ms)
            if outcome == DiscrepancyOutcome.DISPUTED:
                records.dispute(conn, peer=peer, index=index, kind=kind, detail=detail,
                                now_ms=now_ms, key=key)
            else:
                records.record_discrepancy(conn, peer=peer, index=index, kind=kind,
                                           outcome=outcome, detail=detail, now_ms=now_ms, key=key)
            outcomes.append({"key": list(key), "kind": str(kind), "outcome": str(outcome),
                             "detail": detail[:REPAIR_DETAIL_CHARS_MAX]})
        self.ctx.leaf_indexes.invalidate(peer, index)  # harmless if this write rolls back
        return outcomes

    def _local_state(self, conn: Connection, peer: str, key: LeafKey) -> str | None:
        debtor_node, transfer_id = key
        if debtor_node == self.ctx.node_id:
            state = conn.execute(select(transfers.c.state).where(
                transfers.c.wire_id == transfer_id)).scalar_one_or_none()
            if state is None:
                state = conn.execute(select(relocations.c.state).where(
                    relocations.c.wire_id == transfer_id)).scalar_one_or_none()
            return state
        return conn.execute(select(remote_transfers.c.state).where(
            remote_transfers.c.debtor_node == peer,
            remote_transfers.c.transfer_id == transfer_id)).scalar_one_or_none()

    def _repair_one(self, conn: Connection, peer: str, key: LeafKey, item: Any,
                    now_ms: int) -> tuple[DiscrepancyKind, DiscrepancyOutcome, str]:
        state = self._local_state(conn, peer, key)
        if state in OPEN_STATES:
            # We still wait for the answer the peer gave: a late receipt.
            kind = DiscrepancyKind.STATE_MISMATCH
        elif state is None:
            kind = DiscrepancyKind.MISSING_LOCALLY
        elif state == TransferState.COMMITTED:
            return (DiscrepancyKind.MISSING_LOCALLY, DiscrepancyOutcome.REPAIRED,
                    "already settled here")
        else:
            return DiscrepancyKind.STATE_MISMATCH, DiscrepancyOutcome.DISPUTED, (
                f"we hold {key[1]} {state}; the peer holds it committed")
        if item is None:
            return kind, DiscrepancyOutcome.DISPUTED, "the peer gave no evidence"
        try:
            pair = self._checked_pair(peer, key, item)
            with conn.begin_nested():
                applied = self.ctx.books.apply_pair(conn, pair, now_ms=now_ms)
        except EvidenceError as exc:
            return kind, DiscrepancyOutcome.DISPUTED, str(exc)
        except NodeError as exc:
            # An operating error (a ledger rule such as a floor) refusing the replay. Only
            # these: an InvariantViolation is a bug or a tampered store and stops the write.
            log.error("evidence for %s from %s not applied: %s", key, peer, exc)
            return (kind, DiscrepancyOutcome.DISPUTED,
                    f"evidence verified but not applied: {exc}"[:500])
        if self._local_state(conn, peer, key) != TransferState.COMMITTED:
            return (kind, DiscrepancyOutcome.DISPUTED,
                    f"evidence applied but {key[1]} is still not settled")
        what = ("late receipt applied" if kind is DiscrepancyKind.STATE_MISMATCH
                else "restored from evidence")
        return kind, DiscrepancyOutcome.REPAIRED, (
            f"{what}: transaction {pair.transaction.sequence} "
            f"({len(applied.credits)} credited, {len(applied.debits)} debited, "
            f"{len(applied.records_restored)} records restored)")

    def _checked_pair(self, peer: str, key: LeafKey, item: Any) -> Pair:
        """The peer's evidence for `key`, verified, showing it committed. Raises
        EvidenceError."""
        pair = verify_pair(item, directory=self.ctx.federation.require_current(),
                           me=self.ctx.node_id, peer=peer)
        if not _commits(pair, key):
            raise EvidenceError(f"the evidence does not show {key[1]} committed")
        if key[0] != self.ctx.node_id and any(
                isinstance(m, RelocationMessage) and m.body.relocation_id == key[1]
                for m in pair.transaction.messages):
            raise EvidenceError("a lost relocation is restored by an operator")
        return pair

    def peer_repaired(self, conn: Connection, peer: str, index: int, keys: list[LeafKey],
                      outcomes: list[Any]) -> list[str]:
        """What the peer reports of repairing its side from our evidence. Its claim is checked
        by the final proposal: the statements match only if it really holds the transfers."""
        now_ms = self.ctx.clock.now_ms()
        said = {tuple(o.get("key", ())): o for o in outcomes if isinstance(o, dict)}
        left: list[str] = []
        for key in keys:
            reported = said.get(key, {})
            outcome = reported.get("outcome")
            detail = f"peer: {reported.get('detail', 'no answer')}"
            if outcome == DiscrepancyOutcome.REPAIRED:
                records.record_discrepancy(conn, peer=peer, index=index,
                                           kind=DiscrepancyKind.MISSING_AT_PEER,
                                           outcome=DiscrepancyOutcome.REPAIRED, detail=detail,
                                           now_ms=now_ms, key=key)
            else:
                records.dispute(conn, peer=peer, index=index,
                                kind=DiscrepancyKind.MISSING_AT_PEER, detail=detail,
                                now_ms=now_ms, key=key)
                left.append(str(DiscrepancyKind.MISSING_AT_PEER))
        return left

    # recover ------------------------------------------------------------------------------

    def chain_head(self, conn: Connection, peer: str, direction: str) -> int:
        """The last sequence our books hold of one chain of the link, as recover asks."""
        link = store.link(conn, peer)
        return link.out_sequence if direction == "from_you" else link.in_sequence

    def replay(self, conn: Connection, peer: str, item: Any) -> Applied:
        """One answered transaction from the peer's history, verified and applied. Raises
        EvidenceError when it does not verify: recover stops rather than guess."""
        pair = verify_pair(item, directory=self.ctx.federation.require_current(),
                           me=self.ctx.node_id, peer=peer)
        applied = self.ctx.books.apply_pair(conn, pair, now_ms=self.ctx.clock.now_ms())
        if applied.changed:
            self.ctx.leaf_indexes.touch(peer)  # harmless if this write rolls back
        return applied


def _commits(pair: Pair, key: LeafKey) -> bool:
    """The pair carries the prepare (or relocation) for `key` and answers it with a receipt."""
    if pair.transaction.sender != key[0]:
        return False
    for request, answer in zip(pair.transaction.messages, pair.response.messages, strict=True):
        if isinstance(request, PrepareMessage) and request.body.transfer_id == key[1]:
            return isinstance(answer, ReceiptMessage)
        if isinstance(request, RelocationMessage) and request.body.relocation_id == key[1]:
            return isinstance(answer, RelocationReceiptMessage)
    return False
