"""One node's side of reconciling a link: every step that reads or writes its database.

Each method taking `conn` runs inside one write of the node's WriteBatcher, so a step and the
records of what it found commit together. Used by the closer (`Reconciler`) and by the peer's
side (`Responder`) alike.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from node.clock import Clock
from node.db.batch import WriteBatcher
from node.db.engine import Database
from node.db.schema import in_transactions, links, relocations, remote_transfers, transfers
from node.exchange import store
from node.keyring import Signer
from node.reconcile import leaves as q
from node.reconcile import records
from node.reconcile.evidence import (
    Applied,
    EvidenceBooks,
    EvidenceError,
    find_pairs,
    verify_pair,
)
from node.reconcile.peer import PeerFailed
from node.reconcile.window import Computed, compute
from node.services.federation import FederationService
from protocol.envelope import verify_evidence
from protocol.errors import ProtocolError
from protocol.merkle import LeafKey
from protocol.merkle_diff import Difference, LeafIndex
from protocol.messages.documents import Statement
from protocol.messages.other import RelocationMessage, RelocationReceiptMessage
from protocol.messages.transfer import PrepareMessage, ReceiptMessage
from protocol.signing import sign_object
from protocol.statements import Disagreement, statement_document

log = logging.getLogger("hourbridge.reconcile")

OPEN_STATES = ("pending", "in_doubt")


@dataclass(frozen=True)
class Proposed:
    index: int
    statement: dict[str, Any]
    late_response: dict[str, Any] | None


class Sides:
    def __init__(self, *, node_id: str, db: Database, writer: WriteBatcher,
                 federation: FederationService, signer: Signer, clock: Clock,
                 books: EvidenceBooks) -> None:
        self.node_id = node_id
        self.db = db
        self.writer = writer
        self.federation = federation
        self.signer = signer
        self.clock = clock
        self.books = books
        self._indexes: dict[tuple[str, int], LeafIndex] = {}

    def linked_peers(self) -> list[str]:
        with self.db.read() as conn:
            return list(conn.execute(select(links.c.peer_node_id).where(
                or_(links.c.out_sequence > 0, links.c.in_sequence > 0))
                .order_by(links.c.peer_node_id)).scalars())

    def chain_head(self, peer: str, direction: str, conn: Connection) -> int:
        """The last sequence our books hold of one chain of the link, as recover asks."""
        link = store.link(conn, peer)
        return link.out_sequence if direction == "from_you" else link.in_sequence

    def replay(self, peer: str, item: Any, conn: Connection) -> Applied:
        """One answered transaction from the peer's history, verified and applied. Raises
        EvidenceError when it does not verify: recover stops rather than guess."""
        pair = verify_pair(item, directory=self.federation.require_current(),
                           me=self.node_id, peer=peer)
        return self.books.apply_pair(conn, pair, now_ms=self.clock.now_ms())

    # our statement -----------------------------------------------------------------------

    def sign(self, computed: Computed) -> dict[str, Any]:
        document = statement_document(computed.facts, issued_at_ms=self.clock.now_ms())
        return sign_object(document, signer=self.node_id, key=self.signer.key())

    def cut_and_sign(self, peer: str, conn: Connection) -> Proposed:
        """Close the next window of the link at our chain heads. A window the peer never
        answered (still open, or disputed on our side alone) is proposed again as it was: the
        same statement, so a peer that did co-sign it recognises the repeat."""
        link = store.link(conn, peer)
        last = records.last_window(conn, peer)
        if last is not None and (last.state == records.OPEN or last.peer_statement is None):
            return Proposed(last.index, last.statement,
                            self._late_response(conn, peer, last.incoming_cut))
        index = 1 if last is None else last.index + 1
        return self.save(conn, peer, index, link.out_sequence, link.in_sequence, first=True)

    def recut(self, peer: str, index: int, conn: Connection) -> Proposed:
        """Cut an unanswered window again at our chain heads, and sign it afresh."""
        link = store.link(conn, peer)
        return self.save(conn, peer, index, link.out_sequence, link.in_sequence, first=True)

    def recompute(self, peer: str, index: int, conn: Connection) -> Proposed:
        window = records.window(conn, peer, index)
        assert window is not None
        return self.save(conn, peer, index, window.outgoing_cut, window.incoming_cut,
                         first=False)

    def save(self, conn: Connection, peer: str, index: int, outgoing_cut: int,
             incoming_cut: int, *, first: bool) -> Proposed:
        now_ms = self.clock.now_ms()
        computed = compute(conn, me=self.node_id, peer=peer, index=index,
                           outgoing_cut=outgoing_cut, incoming_cut=incoming_cut)
        statement = self.sign(computed)
        records.save_window(conn, peer=peer, index=index, outgoing_cut=outgoing_cut,
                            incoming_cut=incoming_cut, statement=statement, now_ms=now_ms)
        self._indexes.pop((peer, index), None)
        if first:
            self._check_books(conn, peer, index, now_ms)
        return Proposed(index, statement, self._late_response(conn, peer, incoming_cut))

    @staticmethod
    def _late_response(conn: Connection, peer: str, incoming_cut: int) -> dict[str, Any] | None:
        """The peer's transaction at our incoming cut with the response we signed for it."""
        if incoming_cut == 0:
            return None
        row = conn.execute(select(in_transactions.c.document, in_transactions.c.response)
                           .where(in_transactions.c.sender == peer,
                                  in_transactions.c.sequence == incoming_cut)).first()
        return None if row is None else {"transaction": row.document, "response": row.response}

    def _check_books(self, conn: Connection, peer: str, index: int, now_ms: int) -> None:
        """What our own books say before any comparison: reservations carried past the cut,
        and entries counted twice (no evidence can repair those)."""
        for wire_id in q.open_transfers(conn, peer):
            records.record_discrepancy(
                conn, peer=peer, index=index, kind="pending_across_cut", outcome=records.CARRIED,
                detail="reserved, no final answer at the cut: settles in a later window",
                now_ms=now_ms, key=(self.node_id, wire_id))
        for ref in records.counted_twice(conn, peer):
            records.dispute(conn, peer=peer, index=index, kind="duplicate", now_ms=now_ms,
                            detail=f"{ref} moved the clearing account with {peer} twice")

    def books_agree(self, conn: Connection, peer: str, index: int, *, dispute: bool) -> bool:
        """Does our ledger's clearing position at the cut equal the window's closing position
        from our transfer records? Checked after any repair: a record lost and restored from
        evidence disagrees only until it is restored."""
        window = records.window(conn, peer, index)
        assert window is not None
        computed = compute(conn, me=self.node_id, peer=peer, index=index,
                           outgoing_cut=window.outgoing_cut, incoming_cut=window.incoming_cut)
        if computed.ledger_at_cut == window.closing:
            return True
        if dispute:
            records.dispute(conn, peer=peer, index=index, kind="totals_differ",
                            now_ms=self.clock.now_ms(),
                            detail=f"our ledger says {computed.ledger_at_cut} minutes at the "
                                   f"cut, our transfer records {window.closing}")
            self._mark(conn, peer, index, records.DISPUTED)
        return False

    # the peer's statement ----------------------------------------------------------------

    def verify_statement(self, document: Any, peer: str) -> Statement:
        if not isinstance(document, dict):
            raise PeerFailed("signature_break", "the peer sent no statement")
        try:
            verify_evidence(document, directory=self.federation.require_current(),
                            time_member="issued_at_ms", signer=peer)
            statement = Statement.model_validate(document)
        except (ProtocolError, ValidationError) as exc:
            raise PeerFailed("signature_break", f"the peer's statement: {exc}") from exc
        if statement.issuer != peer or statement.counterparty != self.node_id:
            raise PeerFailed("signature_break", "the statement is about another link")
        return statement

    def verify_record(self, record: Any, mine: dict[str, Any], peer: str) -> bool:
        """The co-signed record is our statement, unchanged, with the peer's signature too."""
        if not isinstance(record, dict):
            return False
        unsigned = {k: v for k, v in record.items() if k != "signatures"}
        if unsigned != {k: v for k, v in mine.items() if k != "signatures"}:
            return False
        try:
            directory = self.federation.require_current()
            for signer in (self.node_id, peer):
                verify_evidence(record, directory=directory, time_member="issued_at_ms",
                                signer=signer)
        except ProtocolError:
            return False
        return True

    def matched(self, peer: str, index: int, theirs: Statement, record: dict[str, Any],
                conn: Connection) -> None:
        window = records.window(conn, peer, index)
        assert window is not None
        signed = Statement.model_validate(record)
        # The per-link invariant, asserted where it is recorded: our position is minus theirs,
        # and the co-signed record is one of the two statements.
        assert window.closing == -theirs.closing_position_minutes
        assert signed.closing_position_minutes == (
            window.closing if signed.issuer == self.node_id else -window.closing)
        records.settle_window(conn, peer=peer, index=index, state=records.MATCHED,
                              peer_statement=theirs.model_dump(mode="json"), record=record,
                              now_ms=self.clock.now_ms())

    def remember_peer(self, peer: str, index: int, theirs: Statement,
                      found: list[Disagreement], conn: Connection) -> None:
        now_ms = self.clock.now_ms()
        records.settle_window(conn, peer=peer, index=index, state=records.OPEN,
                              peer_statement=theirs.model_dump(mode="json"), record=None,
                              now_ms=now_ms)
        if Disagreement.CHAIN in found or Disagreement.WINDOW in found:
            self.chain_break(conn, peer, index, theirs, now_ms)

    def chain_break(self, conn: Connection, peer: str, index: int, theirs: Statement,
                    now_ms: int) -> None:
        records.dispute(conn, peer=peer, index=index, kind="chain_break", now_ms=now_ms,
                        detail="the two sides hold different transactions at the cut "
                               f"(peer's heads {theirs.outgoing_head_hash[:12]}…, "
                               f"{theirs.incoming_head_hash[:12]}…)",
                        evidence={"peer_statement": theirs.model_dump(mode="json")})
        self._mark(conn, peer, index, records.DISPUTED)

    def peer_failed(self, peer: str, index: int, failure: PeerFailed, conn: Connection) -> None:
        if failure.code == "signature_break":
            records.dispute(conn, peer=peer, index=index, kind="signature_break",
                            detail=failure.detail, now_ms=self.clock.now_ms())
            self._mark(conn, peer, index, records.DISPUTED)
        else:
            log.warning("window %s with %s stays open: %s", index, peer, failure)

    def _mark(self, conn: Connection, peer: str, index: int, state: str) -> None:
        records.mark_window(conn, peer=peer, index=index, state=state,
                            now_ms=self.clock.now_ms())

    # descent and repair --------------------------------------------------------------------

    def leaf_index(self, peer: str, index: int, conn: Connection) -> LeafIndex:
        cached = self._indexes.get((peer, index))
        if cached is None:
            window = records.window(conn, peer, index)
            if window is None:
                raise KeyError(f"no window {index} with {peer}")
            computed = compute(conn, me=self.node_id, peer=peer, index=index,
                               outgoing_cut=window.outgoing_cut, incoming_cut=window.incoming_cut)
            cached = LeafIndex(computed.leaves)
            if len(self._indexes) >= 8:
                self._indexes.pop(next(iter(self._indexes)))
            self._indexes[(peer, index)] = cached
        return cached

    def count_digests(self, peer: str, index: int, digests: int, conn: Connection) -> None:
        records.mark_window(conn, peer=peer, index=index, digests=digests,
                            now_ms=self.clock.now_ms())

    def field_mismatch(self, peer: str, index: int, difference: Difference,
                       conn: Connection) -> None:
        records.dispute(conn, peer=peer, index=index, kind="field_mismatch",
                        now_ms=self.clock.now_ms(), key=difference.key,
                        detail=f"{difference.key[1]}: ours {difference.local}, "
                               f"theirs {difference.peer}")

    def evidence_for(self, peer: str, keys: list[LeafKey], conn: Connection) -> list[Any]:
        return find_pairs(conn, self.node_id, peer, keys)

    def repair_locally(self, peer: str, index: int, keys: list[LeafKey], items: list[Any],
                       conn: Connection) -> list[str]:
        """Transfers the peer holds committed and we do not: classify each and apply the
        peer's evidence where it verifies. Returns the kinds left disputed."""
        outcomes = self.repair(conn, peer, index, keys, items)
        return [o["kind"] for o in outcomes if o["outcome"] == records.DISPUTED]

    def repair(self, conn: Connection, peer: str, index: int, keys: list[LeafKey],
               items: list[Any]) -> list[dict[str, Any]]:
        now_ms = self.clock.now_ms()
        by_key = {}
        for item in items:
            key = item.get("key") if isinstance(item, dict) else None
            if isinstance(key, list) and len(key) == 2:
                by_key[(str(key[0]), str(key[1]))] = item
        outcomes = []
        for key in keys:
            kind, outcome, detail = self._repair_one(conn, peer, key, by_key.get(key), now_ms)
            if outcome == records.DISPUTED:
                records.dispute(conn, peer=peer, index=index, kind=kind, detail=detail,
                                now_ms=now_ms, key=key)
            else:
                records.record_discrepancy(conn, peer=peer, index=index, kind=kind,
                                           outcome=outcome, detail=detail, now_ms=now_ms, key=key)
            outcomes.append({"key": list(key), "kind": kind, "outcome": outcome,
                             "detail": detail})
        self._indexes.pop((peer, index), None)
        return outcomes

    def _local_state(self, conn: Connection, peer: str, key: LeafKey) -> str | None:
        debtor_node, transfer_id = key
        if debtor_node == self.node_id:
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
                    now_ms: int) -> tuple[str, str, str]:
        state = self._local_state(conn, peer, key)
        if state in OPEN_STATES:
            kind = "state_mismatch"  # we still wait for the answer the peer gave: late receipt
        elif state is None:
            kind = "missing_locally"
        elif state == "committed":
            return "missing_locally", records.REPAIRED, "already settled here"
        else:
            return "state_mismatch", records.DISPUTED, (
                f"we hold {key[1]} {state}; the peer holds it committed")
        if item is None:
            return kind, records.DISPUTED, "the peer gave no evidence"
        try:
            pair = verify_pair(item, directory=self.federation.require_current(),
                               me=self.node_id, peer=peer)
            if not _commits(pair, key):
                raise EvidenceError(f"the evidence does not show {key[1]} committed")
            if key[0] != self.node_id and any(
                    isinstance(m, RelocationMessage) and m.body.relocation_id == key[1]
                    for m in pair.transaction.messages):
                raise EvidenceError("a lost relocation is restored by an operator")
            with conn.begin_nested():
                applied = self.books.apply_pair(conn, pair, now_ms=now_ms)
        except EvidenceError as exc:
            return kind, records.DISPUTED, str(exc)
        except Exception as exc:  # a ledger rule (a floor) refusing the replay
            log.error("evidence for %s from %s not applied: %s", key, peer, exc)
            return kind, records.DISPUTED, f"evidence verified but not applied: {exc}"[:500]
        if self._local_state(conn, peer, key) != "committed":
            return kind, records.DISPUTED, f"evidence applied but {key[1]} is still not settled"
        what = "late receipt applied" if kind == "state_mismatch" else "restored from evidence"
        return kind, records.REPAIRED, (
            f"{what}: transaction {pair.transaction.sequence} "
            f"({len(applied.credits)} credited, {len(applied.debits)} debited, "
            f"{len(applied.records_restored)} records restored)")

    def peer_repaired(self, peer: str, index: int, keys: list[LeafKey], outcomes: list[Any],
                      conn: Connection) -> list[str]:
        """What the peer reports of repairing its side from our evidence. Its claim is checked
        by the final proposal: the statements match only if it really holds the transfers."""
        now_ms = self.clock.now_ms()
        said = {tuple(o.get("key", ())): o for o in outcomes if isinstance(o, dict)}
        left = []
        for key in keys:
            reported = said.get(key, {})
            outcome = reported.get("outcome")
            detail = f"peer: {reported.get('detail', 'no answer')}"
            if outcome == records.REPAIRED:
                records.record_discrepancy(conn, peer=peer, index=index, kind="missing_at_peer",
                                           outcome=records.REPAIRED, detail=detail,
                                           now_ms=now_ms, key=key)
            else:
                records.dispute(conn, peer=peer, index=index, kind="missing_at_peer",
                                detail=detail, now_ms=now_ms, key=key)
                left.append("missing_at_peer")
        return left

    def dispute_mismatch(self, peer: str, index: int, left: list[str],
                         conn: Connection) -> None:
        """The final proposal still differs: a dispute, unless one is open for it already."""
        window = records.window(conn, peer, index)
        assert window is not None
        if not records.open_disputes(conn, peer=peer, index=index):
            theirs = window.peer_statement or {}
            mine = window.statement
            entries_agree = (theirs.get("merkle_root") == mine["merkle_root"])
            kind = "totals_differ" if entries_agree else "entries_differ"
            records.dispute(conn, peer=peer, index=index, kind=kind, now_ms=self.clock.now_ms(),
                            detail=f"statements still differ after repair ({', '.join(left)})"
                            if left else "statements still differ after repair")
        self._mark(conn, peer, index, records.DISPUTED)

    def finish(self, peer: str, index: int, calls: int, conn: Connection) -> dict[str, Any]:
        window = records.window(conn, peer, index)
        assert window is not None
        if window.state != records.DISPUTED:
            self.books_agree(conn, peer, index, dispute=True)
        found = records.window_discrepancies(conn, peer, index)
        if window.state == records.OPEN and any(d["status"] == "open" for d in found):
            self._mark(conn, peer, index, records.DISPUTED)
            window = records.window(conn, peer, index)
            assert window is not None
        view = window.view()
        view["round_trips"] = calls
        view["discrepancies"] = [{k: d[k] for k in ("id", "kind", "outcome", "status",
                                                    "transfer_id", "detail")} for d in found]
        return view


def _commits(pair: Any, key: LeafKey) -> bool:
    """The pair carries the prepare (or relocation) for `key` and answers it with a receipt."""
    if pair.transaction.sender != key[0]:
        return False
    for request, answer in zip(pair.transaction.messages, pair.response.messages, strict=True):
        if isinstance(request, PrepareMessage) and request.body.transfer_id == key[1]:
            return isinstance(answer, ReceiptMessage)
        if isinstance(request, RelocationMessage) and request.body.relocation_id == key[1]:
            return isinstance(answer, RelocationReceiptMessage)
    return False
