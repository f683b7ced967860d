"""Signed evidence of what crossed a link, and putting it back into a node's books.

The evidence for a committed transfer is the chain transaction that carried its prepare (signed
by the debtor's node) with the response that answered it (signed by the creditor's node). Each
side keeps both documents, so either can hand them to the other, and neither has to be trusted:
the receiver of evidence checks both signatures against the directory and that the response
answers that very transaction (protocol.envelope.admit_response).

`apply_pair` is the one place evidence changes the books. Reconciliation uses it to repair a
window (a late receipt, a record lost), and `hourbridge recover` to rebuild a node restored from
an old backup. It is idempotent: evidence of what the books already hold changes nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from node.db.rows import InMessageRow, InTransactionRow, RemoteTransferRow, TransferRow
from node.db.schema import (
    accounts,
    in_transactions,
    journal_entries,
    out_transactions,
    postings,
    relocations,
    remote_transfers,
    transfers,
)
from node.errors import ErrorCode, FixedCodeError
from node.exchange import store
from node.exchange.outbound import Courier
from node.ledger.journal import Ledger
from node.ledger.model import AccountKind, EntryKind, Posting, member_account
from node.reconcile.evidence_legs import (
    UPSTREAM_UNKNOWN,
    Source,
    adopt_upstream,
    reserve_again,
    upstream_digest,
)
from node.states import RemoteTransferState, TransferState
from protocol.addresses import MemberAddress
from protocol.canonical import canonical_bytes
from protocol.chain import LinkState
from protocol.directory import Directory
from protocol.envelope import admit_response, verify_evidence
from protocol.errors import ProtocolError
from protocol.merkle import LeafKey
from protocol.messages import encode_message
from protocol.messages.routed import DeliveredMessage, ForwardingMessage, LegBody, LegMessage
from protocol.messages.transfer import PrepareMessage, ReceiptMessage
from protocol.transaction import Response, Transaction, decode_transaction
from protocol.wire import parse_object

log = logging.getLogger("hourbridge.reconcile")

_TRANSIT = str(AccountKind.TRANSIT)


class EvidenceError(FixedCodeError):
    """Evidence that does not verify, or that contradicts what this node holds."""

    CODE = ErrorCode.EVIDENCE_INVALID


@dataclass(frozen=True)
class Pair:
    """A verified transaction and the response that answered it."""

    transaction: Transaction
    transaction_text: str
    response: Response
    response_text: str


def find_pairs(conn: Connection, me: str, peer: str, keys: list[LeafKey]) -> list[dict[str, Any]]:
    """For each key we hold committed, the stored transaction and response that settled it."""
    found: list[dict[str, Any]] = []
    for debtor_node, transfer_id in keys:
        if debtor_node == me:
            tid = conn.execute(select(transfers.c.answer_transaction_id).where(
                transfers.c.wire_id == transfer_id, transfers.c.peer_node_id == peer)
            ).scalar_one_or_none() or conn.execute(
                select(relocations.c.answer_transaction_id).where(
                    relocations.c.wire_id == transfer_id, relocations.c.to_node == peer)
            ).scalar_one_or_none()
            row = None if tid is None else conn.execute(
                select(out_transactions.c.document, out_transactions.c.response)
                .where(out_transactions.c.transaction_id == tid)).first()
        else:
            tid = conn.execute(select(remote_transfers.c.transaction_id).where(
                remote_transfers.c.debtor_node == peer,
                remote_transfers.c.transfer_id == transfer_id)).scalar_one_or_none()
            row = None if tid is None else conn.execute(
                select(in_transactions.c.document, in_transactions.c.response).where(
                    in_transactions.c.sender == peer,
                    in_transactions.c.transaction_id == tid)).first()
        if row is not None and row.response is not None:
            found.append({"key": [debtor_node, transfer_id], "transaction": row.document,
                          "response": row.response})
    return found


def history(conn: Connection, me: str, peer: str, *, direction: str, after: int,
            limit: int) -> list[dict[str, Any]]:
    """Answered transactions on one chain of the link after sequence `after`, in order.
    `direction` is as the asking peer sees it: "from_you" is our incoming chain."""
    if direction == "from_you":
        table, key = in_transactions, in_transactions.c.sender
    else:
        table, key = out_transactions, out_transactions.c.peer_node_id
    rows = conn.execute(
        select(table.c.sequence, table.c.document, table.c.response)
        .where(key == peer, table.c.sequence > after, table.c.response.is_not(None))
        .order_by(table.c.sequence).limit(limit)).all()
    return [{"sequence": row.sequence, "transaction": row.document, "response": row.response}
            for row in rows]


def verify_pair(item: dict[str, Any], *, directory: Directory, me: str, peer: str) -> Pair:
    """Both signatures (the transaction's by its sender, the response's by the transaction's
    receiver), the binding of response to transaction, that the response answers every
    request, and that the pair is on the link between us and `peer`. Raises EvidenceError."""
    transaction_text, response_text = item.get("transaction"), item.get("response")
    if not isinstance(transaction_text, str) or not isinstance(response_text, str):
        raise EvidenceError("evidence needs a transaction and a response")
    try:
        raw = transaction_text.encode("utf-8")
        document = parse_object(raw, bytes_max=directory.policy.transaction_bytes_max)
        verify_evidence(document, directory=directory, time_member="created_at_ms")
        transaction = decode_transaction(document)
        response = admit_response(response_text.encode("utf-8"), directory=directory,
                                  request=transaction)
    except ProtocolError as exc:
        raise EvidenceError(f"evidence does not verify: {exc.code.value}: {exc.detail}") from exc
    if list(transaction.signatures) != [transaction.sender]:
        # Signed, but by whom? Only the sender's own signature makes it the sender's word.
        raise EvidenceError("the transaction is not signed by its sender")
    if response.reason is not None:
        raise EvidenceError("the response refuses the whole transaction: it commits nothing")
    if {transaction.sender, transaction.receiver} != {me, peer}:
        raise EvidenceError("evidence is about another link")
    if canonical_bytes(document) != raw:
        raise EvidenceError("the transaction is not in canonical form")
    return Pair(transaction, transaction_text, response, response_text)


@dataclass
class Applied:
    """What applying evidence changed, for the discrepancy record and the recover report."""

    answers_applied: int = 0
    credits: list[str] = field(default_factory=list)
    debits: list[str] = field(default_factory=list)
    # Legs of ours answered only `transfer.forwarding`, put back in flight (reserved, queued).
    reserved: list[str] = field(default_factory=list)
    records_restored: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Did it change anything a window of the link holds?"""
        return bool(self.answers_applied or self.credits or self.debits
                    or self.records_restored)


def _entry_exists(conn: Connection, kind: EntryKind, ref: str, account: str) -> bool:
    count = conn.execute(
        select(func.count()).select_from(journal_entries.join(
            postings, postings.c.entry_height == journal_entries.c.height))
        .where(journal_entries.c.kind == str(kind), journal_entries.c.ref == ref,
               postings.c.account_code == account)).scalar_one()
    return bool(count)


def _member_exists(conn: Connection, local_id: str) -> bool:
    return conn.execute(select(accounts.c.code).where(
        accounts.c.code == member_account(local_id))).first() is not None


def _require_follows(head: LinkState, transaction: Transaction, whose: str) -> None:
    """Evidence that would move a chain head must continue that chain (LinkState.advance)."""
    if transaction.sequence != head.last_sequence + 1:
        raise EvidenceError(f"{whose} transaction {transaction.sequence} skips ahead of the "
                            f"chain head {head.last_sequence}")
    if transaction.prev_hash != head.last_hash:
        raise EvidenceError(f"{whose} transaction {transaction.sequence} does not continue "
                            f"the chain: prev_hash {transaction.prev_hash[:12]}… is not the "
                            f"head {head.last_hash[:12]}… (a fork)")


def _require_not_forked(conn: Connection, peer: str, transaction: Transaction) -> None:
    """A transaction at a sequence we hold must be the one we hold there."""
    held = conn.execute(select(in_transactions.c.transaction_hash).where(
        in_transactions.c.sender == peer,
        in_transactions.c.sequence == transaction.sequence)).scalars().all()
    if held and transaction.transaction_hash() not in held:
        raise EvidenceError(f"{peer}'s transaction {transaction.sequence} differs from the one "
                            "we hold at that sequence (a fork)")


class EvidenceBooks:
    """Applies verified pairs to this node's books through the same code the exchange uses."""

    def __init__(self, *, node_id: str, ledger: Ledger, courier: Courier) -> None:
        self.node_id = node_id
        self.ledger = ledger
        self.courier = courier

    def apply_pair(self, conn: Connection, pair: Pair, *, now_ms: int) -> Applied:
        if pair.transaction.sender == self.node_id:
            return self._ours(conn, pair, now_ms)
        return self._theirs(conn, pair, now_ms)

    # our transaction: we are the debtor ---------------------------------------------------

    def _ours(self, conn: Connection, pair: Pair, now_ms: int) -> Applied:
        transaction, peer = pair.transaction, pair.transaction.receiver
        done = Applied()
        row = conn.execute(select(out_transactions.c.response, out_transactions.c.transaction_id)
                           .where(out_transactions.c.peer_node_id == peer,
                                  out_transactions.c.sequence == transaction.sequence)).first()
        if row is not None and row.transaction_id != transaction.transaction_id:
            if row.response is not None:
                raise EvidenceError(f"our transaction {transaction.sequence} to {peer} differs")
            # Ours at this sequence went unanswered and the peer holds this one there: we sent
            # it restored from a backup, before recovering (node/exchange/ahead.py). The peer
            # never accepted it, so its messages simply go again after the recovered chain.
            if not store.withdraw_out(conn, row.transaction_id):
                raise EvidenceError(f"our transactions to {peer} after {transaction.sequence} "
                                    "were answered: the peer accepted ours there")
            row = None
        if row is not None and row.response is not None:
            # Answered before: applied, or stored ahead of an unanswered predecessor and
            # applied with it (standard §6.5), not necessarily yet.
            return done
        link = store.link(conn, peer)
        if transaction.sequence > link.out_sequence:
            _require_follows(store.head(link, store.Chain.OUT), transaction, "our")
        if row is None:
            # Restored from a backup older than this transaction: take it back as ours.
            store.store_out(conn, peer=peer, sequence=transaction.sequence,
                            transaction_id=transaction.transaction_id,
                            transaction_hash=transaction.transaction_hash(),
                            document=pair.transaction_text, now_ms=transaction.created_at_ms)
            self._replay_unknown_debits(conn, pair, now_ms, done)
        if transaction.sequence > link.out_sequence:
            # The normal path for an answer: store it, advance the chain, apply every answer.
            self.courier.apply(peer, transaction, pair.response,
                                pair.response_text.encode("utf-8"), now_ms, conn)
        else:
            store.answer_out(conn, transaction.transaction_id, pair.response_text, now_ms)
        done.answers_applied += len(transaction.messages)
        return done

    def _replay_unknown_debits(self, conn: Connection, pair: Pair, now_ms: int,
                               done: Applied) -> None:
        """Prepares and legs of ours the restored books never saw. Those the peer committed (a
        receipt, or a leg delivered): take the hours from where they came (the member, or a
        hub's hours in passage), settle them to clearing, and record the transfer committed.
        A leg answered only forwarding: put it back in flight (`reserve_again`), so that it is
        asked again and settles as if the books had never lost it."""
        peer = pair.transaction.receiver
        for request, answer in zip(pair.transaction.messages, pair.response.messages,
                                   strict=True):
            if isinstance(request, LegMessage) and isinstance(
                    answer, DeliveredMessage | ForwardingMessage):
                _require_on_path(request.body, sender=self.node_id, receiver=peer)
            elif not (isinstance(request, PrepareMessage) and isinstance(answer, ReceiptMessage)):
                continue
            known = conn.execute(select(transfers.c.id).where(
                transfers.c.wire_id == request.body.transfer_id)).first()
            if known is not None:
                continue
            source = _source(conn, request, answer.body.prepare_hash)
            if source is None:
                done.skipped.append(f"{request.body.transfer_id}: no member "
                                    f"{request.body.debtor} here")
            elif isinstance(answer, ForwardingMessage):
                assert isinstance(request, LegMessage)  # a prepare is never answered forwarding
                reserve_again(conn, self.ledger, peer=peer, request=request, answer=answer,
                              source=source, now_ms=now_ms)
                done.reserved.append(request.body.transfer_id)
            else:
                self._debit(conn, pair, request, answer, source, now_ms, done)

    def _debit(self, conn: Connection, pair: Pair, request: PrepareMessage | LegMessage,
               answer: ReceiptMessage | DeliveredMessage, source: Source, now_ms: int,
               done: Applied) -> None:
        body, peer = request.body, pair.transaction.receiver
        leg = body if isinstance(body, LegBody) else None
        clearing = store.ensure_clearing(conn, peer, now_ms)
        entry = self.ledger.post(
            conn, kind=EntryKind.TRANSFER_SETTLE, ref=body.transfer_id, actor=body.debtor,
            memo=f"recovered from {peer}'s evidence"[:500], now_ms=now_ms,
            legs=(Posting(source.account, body.credit_class, -body.amount_minutes),
                  Posting(clearing, body.credit_class, body.amount_minutes)))
        conn.execute(insert(transfers).values(TransferRow(
            id=body.transfer_id, debtor=body.debtor, creditor=body.creditor,
            amount_minutes=body.amount_minutes, memo=body.memo, state=TransferState.COMMITTED,
            reason_code=None, request_hash=source.request_hash,
            entry_height=entry.height, actor=body.debtor, created_at_ms=body.created_at_ms,
            updated_at_ms=now_ms, peer_node_id=peer, wire_id=body.transfer_id,
            message_id=request.message_id, prepare_hash=answer.body.prepare_hash,
            credit_class=body.credit_class.value, purpose=body.purpose.value,
            payment_request_id=body.payment_request_id, expires_at_ms=body.expires_at_ms,
            settled_entry_height=entry.height,
            answer_transaction_id=pair.transaction.transaction_id,
            final_answer=json.dumps(answer.body.model_dump(mode="json"),
                                    separators=(",", ":")),
            route=None if leg is None else json.dumps(leg.path),
            forwarded_from=source.forwarded_from,
        ).values()))
        done.debits.append(body.transfer_id)

    # the peer's transaction: we are the creditor ------------------------------------------

    def _theirs(self, conn: Connection, pair: Pair, now_ms: int) -> Applied:
        transaction, peer = pair.transaction, pair.transaction.sender
        done = Applied()
        stored = store.stored_in(conn, peer, transaction.transaction_id)
        if stored is None:
            head = store.head(store.link(conn, peer), store.Chain.IN)
            follows = transaction.sequence == head.last_sequence + 1
            if follows:
                # Checked before any write: a fork the peer signed is its word against our
                # chain, refused as evidence (store.advance would stop the node on it).
                _require_follows(head, transaction, f"{peer}'s")
            elif transaction.sequence <= head.last_sequence:
                _require_not_forked(conn, peer, transaction)
            store.store_in(conn, InTransactionRow(
                sender=peer, transaction_id=transaction.transaction_id,
                sequence=transaction.sequence, transaction_hash=transaction.transaction_hash(),
                document=pair.transaction_text, response=pair.response_text,
                received_at_ms=now_ms))
            if follows:
                store.advance(conn, peer, store.Chain.IN, head, transaction)
        for request, answer in zip(transaction.messages, pair.response.messages, strict=True):
            if isinstance(request, PrepareMessage) and isinstance(answer, ReceiptMessage):
                self._credit(conn, pair, request, answer, now_ms, done)
            elif isinstance(request, LegMessage) and isinstance(
                    answer, DeliveredMessage | ForwardingMessage):
                _require_on_path(request.body, sender=peer, receiver=self.node_id)
                if not request.body.last:
                    adopt_upstream(conn, peer, request)
                if isinstance(answer, DeliveredMessage):
                    self._credit(conn, pair, request, answer, now_ms, done)
        return done

    def _credit(self, conn: Connection, pair: Pair, request: PrepareMessage | LegMessage,
                answer: ReceiptMessage | DeliveredMessage, now_ms: int, done: Applied) -> None:
        """clearing -> the creditor, or at a hub clearing -> its hours in passage (a leg we
        answered delivered, the next one having been delivered: routed.py's settle upstream)."""
        body, peer = request.body, pair.transaction.sender
        held = conn.execute(select(remote_transfers.c.state).where(
            remote_transfers.c.debtor_node == peer,
            remote_transfers.c.transfer_id == body.transfer_id)).first()
        if held is not None:
            if held.state != RemoteTransferState.COMMITTED:
                raise EvidenceError(f"{body.transfer_id}: we hold it {held.state}, but our "
                                    "signed receipt says committed")
            return
        target: str | None = _TRANSIT
        if not (isinstance(body, LegBody) and not body.last):
            creditor = MemberAddress.parse(body.creditor).local_id
            target = member_account(creditor) if _member_exists(conn, creditor) else None
        clearing = store.ensure_clearing(conn, peer, now_ms)
        height: int | None = None
        if _entry_exists(conn, EntryKind.TRANSFER_IN, body.transfer_id, clearing):
            done.records_restored.append(body.transfer_id)
        elif target is None:
            done.skipped.append(f"{body.transfer_id}: no member {body.creditor} here")
            return
        else:
            height = self.ledger.post(
                conn, kind=EntryKind.TRANSFER_IN, ref=body.transfer_id, actor=body.debtor,
                memo=body.memo, now_ms=now_ms,
                legs=(Posting(clearing, body.credit_class, -body.amount_minutes),
                      Posting(target, body.credit_class, body.amount_minutes))).height
            done.credits.append(body.transfer_id)
        conn.execute(insert(remote_transfers).values(RemoteTransferRow(
            debtor_node=peer, transfer_id=body.transfer_id,
            prepare_hash=answer.body.prepare_hash, state=RemoteTransferState.COMMITTED,
            debtor=body.debtor,
            creditor=body.creditor, amount_minutes=body.amount_minutes,
            answer=json.dumps(answer.body.model_dump(mode="json"), separators=(",", ":")),
            entry_height=height, transaction_id=pair.transaction.transaction_id,
            received_at_ms=now_ms,
        ).values()))
        if not store.stored_answers(conn, peer, [request.message_id]):
            # The same prepare (or leg) sent again gets this answer, as if we had never lost it.
            store.store_answers(conn, [InMessageRow(
                sender=peer, message_id=request.message_id,
                message_hash=answer.body.prepare_hash,
                answer=json.dumps(encode_message(answer), separators=(",", ":")),
            )])


def _require_on_path(leg: LegBody, *, sender: str, receiver: str) -> None:
    """A leg's evidence is about this link only if its hop names the link's two ends."""
    if (leg.sender, leg.receiver) != (sender, receiver):
        raise EvidenceError(f"{leg.transfer_id}: hop {leg.hop} of the path "
                            f"{'-'.join(leg.path)} is not the link {sender}-{receiver}")


def _source(conn: Connection, request: PrepareMessage | LegMessage,
            prepare_hash: str) -> Source | None:
    """Where our prepare or leg took its hours: at a hub (hop > 0) its hours in passage, the
    row answering the previous hop's leg asked again (`upstream_digest`, or UPSTREAM_UNKNOWN
    until that chain is replayed); at the debtor's node the member, None if not here."""
    body = request.body
    if isinstance(body, LegBody) and body.hop > 0:
        previous = body.path[body.hop - 1]
        return Source(_TRANSIT, upstream_digest(conn, previous, body) or UPSTREAM_UNKNOWN,
                      forwarded_from=previous)
    debtor = MemberAddress.parse(body.debtor).local_id
    if not _member_exists(conn, debtor):
        return None
    return Source(member_account(debtor), prepare_hash)
