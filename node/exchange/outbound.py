"""The sender: one signed transaction per peer at a time, built from the outbox (standard §6).

`pump(peer)` does one round trip on the link:

 1. in one database write: take the transaction in flight, or batch the ready outbox messages
    into the next one on the chain (sequence + 1, previous hash), sign and store it;
 2. send it;
 3. in one database write: store the peer's signed response, advance the link, and apply every
    answer (receipts settle, final rejects release, temporary ones wait and go again).

A transaction is retried with the same id and content until it is answered; if the peer's clock
says its signing time is too old, or our clock was stepped back past it, it is re-signed with a
fresh time (its hash does not cover the time, so the chain does not change). Each fresh signed
response is also a reading of the peer's clock (node/exchange/clockwatch.py). A final refusal
of the whole transaction means the two sides disagree about the link: it is frozen for an
operator, never skipped past.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any

from sqlalchemy.engine import Connection

from node.clock import Clock
from node.db.batch import WriteBatcher
from node.exchange import faults, store
from node.exchange.ahead import advice, freeze_ahead
from node.exchange.answers import AnswerContext, AnswerHandlers
from node.exchange.clockwatch import ClockWatch, midpoint_offset
from node.exchange.requests import new_id
from node.exchange.transport import Transport, TransportError
from node.federation import FederationService
from node.keyring import Signer
from protocol.canonical import canonical_bytes
from protocol.directory import Directory
from protocol.envelope import admit_response
from protocol.errors import ProtocolError
from protocol.reasons import ReasonCode, is_final
from protocol.transaction import Outcome, Transaction, build_transaction, decode_transaction
from protocol.wire import parse_object

log = logging.getLogger("hourbridge.exchange")


# Room kept in every transaction for its envelope (ids, hashes, signature), and for each
# message the most its answer can take: a reject or status answer with a 280-character detail
# is under 1.7 KB. A batch is cut so that both the transaction and the response the peer will
# sign stay under the policy's transaction_bytes_max.
ENVELOPE_BYTES = 1_024
ANSWER_BYTES_MAX = 2_048


def fitting(rows: list[Any], bytes_max: int) -> list[Any]:
    """The longest prefix of outbox rows whose transaction and response fit in `bytes_max`
    (at least one row: a message alone over the limit is sent and refused for what it is)."""
    room = bytes_max - ENVELOPE_BYTES
    taken: list[Any] = []
    request = response = 0
    for row in rows:
        size = len(row.document.encode("utf-8")) + 1  # stored compact, as long as canonical
        if taken and (request + size > room or response + ANSWER_BYTES_MAX > room):
            break
        taken.append(row)
        request += size
        response += ANSWER_BYTES_MAX
    return taken


class Pumped(StrEnum):
    IDLE = "idle"  # nothing to send
    DELIVERED = "delivered"  # a transaction was answered and its answers applied
    RETRY = "retry"  # not answered (unreachable, or a temporary refusal): try again later
    FROZEN = "frozen"  # the link is frozen


@dataclass(frozen=True)
class Round:
    outcome: Pumped
    detail: str = ""
    messages: int = 0
    # A refusal only the peer's operator can mend (it lost part of our chain): the runner
    # rests for its circuit breaker's time at once instead of retrying fast.
    rest: bool = False


class Courier:
    def __init__(self, *, node_id: str, federation: FederationService, signer: Signer,
                 clock: Clock, writer: WriteBatcher, transport: Transport,
                 answers: AnswerHandlers) -> None:
        self.node_id = node_id
        self.federation = federation
        self.signer = signer
        self.clock = clock
        self.writer = writer
        self.transport = transport
        self.answers = answers
        self._resign: set[str] = set()  # peers whose clock refused our signing time
        self.clocks = ClockWatch()
        # Per peer, the transaction the peer cannot have answered before (built, or re-signed
        # after a refusal that stores nothing, in this process): its answer's time is fresh.
        self._fresh: dict[str, str] = {}

    async def pump(self, peer: str) -> Round:
        directory = self.federation.require_current()
        entry = directory.node(peer)
        if entry is None:
            return Round(Pumped.RETRY, f"{peer} is not in the directory")
        now_ms = self.clock.now_ms()
        frame = await self.writer.submit(partial(self._frame, peer, directory, now_ms))
        if isinstance(frame, Round):
            return frame
        document, transaction = frame
        faults.point("sender_after_commit")
        sent_ms = self.clock.now_ms()
        try:
            reply = await self.transport.post(entry.base_url, document)
        except TransportError as exc:
            self._fresh.pop(peer, None)  # it may have arrived: a resend may get a stored answer
            return Round(Pumped.RETRY, str(exc))
        faults.point("sender_after_reply")
        sent = (sent_ms, self.clock.now_ms())
        return await self._on_reply(peer, directory, transaction, reply.status, reply.body, sent)

    # building -------------------------------------------------------------------------------

    def _frame(self, peer: str, directory: Directory, now_ms: int,
               conn: Connection) -> tuple[bytes, Transaction] | Round:
        link = store.link(conn, peer)
        if link.frozen_reason is not None:
            return Round(Pumped.FROZEN, f"{link.frozen_reason}: {link.frozen_detail}")
        flying = store.in_flight(conn, peer)
        if flying is not None:
            transaction = decode_transaction(json.loads(flying.document))
            age_ms = now_ms - transaction.created_at_ms
            # A negative age: signed by a clock that has since been stepped back.
            if peer in self._resign or age_ms < 0 or age_ms > directory.policy.skew_ms // 2:
                transaction = self._sign(transaction.transaction_id, peer, transaction.sequence,
                                         transaction.prev_hash, now_ms,
                                         [m.model_dump(mode="json") for m in
                                          transaction.messages])
                store.resign_out(conn, transaction.transaction_id, _text(transaction))
                if peer in self._resign:  # refused, so nothing stored: its answer is fresh
                    self._fresh[peer] = transaction.transaction_id
                self._resign.discard(peer)
            return _encoded(transaction), transaction
        ready = fitting(store.ready_messages(conn, peer, now_ms=now_ms,
                                             limit=directory.policy.batch_size_max),
                        directory.policy.transaction_bytes_max)
        if not ready:
            return Round(Pumped.IDLE)
        sequence, prev_hash = link.out_sequence + 1, link.out_hash
        transaction = self._sign(new_id(), peer, sequence, prev_hash, now_ms,
                                 [json.loads(row.document) for row in ready])
        store.store_out(conn, peer=peer, sequence=sequence,
                        transaction_id=transaction.transaction_id,
                        transaction_hash=transaction.transaction_hash(),
                        document=_text(transaction), now_ms=now_ms)
        store.place(conn, [row.message_id for row in ready], transaction.transaction_id)
        self._fresh[peer] = transaction.transaction_id
        return _encoded(transaction), transaction

    def _sign(self, transaction_id: str, peer: str, sequence: int, prev_hash: str, now_ms: int,
              messages: list[dict[str, Any]]) -> Transaction:
        return build_transaction(
            transaction_id=transaction_id, sender=self.node_id, receiver=peer,
            sequence=sequence, prev_hash=prev_hash, created_at_ms=now_ms,
            messages=messages, key=self.signer.key(),
        )

    # answers ----------------------------------------------------------------------------------

    async def _on_reply(self, peer: str, directory: Directory, transaction: Transaction,
                        status: int, body: bytes, sent: tuple[int, int]) -> Round:
        if status != 200:
            reason = _problem_reason(body)
            if reason is ReasonCode.CLOCK_SKEW:
                self.clocks.refused(peer, skew_ms=directory.policy.skew_ms)
            return await self._refused(peer, reason, f"HTTP {status}: "
                                       f"{body[:300].decode('utf-8', 'replace')}")
        try:
            response = admit_response(body, directory=directory, request=transaction)
        except ProtocolError as exc:
            # Not a valid answer to our transaction: as if no answer came (retry the same one).
            log.error("bad response from %s: %s %s", peer, exc.code.value, exc.detail)
            return Round(Pumped.RETRY, f"bad response: {exc.code.value}")
        if self._fresh.pop(peer, None) == transaction.transaction_id:
            self.clocks.observe(peer, midpoint_offset(
                sent_ms=sent[0], received_ms=sent[1], peer_ms=response.created_at_ms),
                skew_ms=directory.policy.skew_ms)
        if response.outcome is Outcome.REFUSED:
            assert response.reason is not None
            if response.reason is ReasonCode.SEQUENCE_REPLAYED:
                return await self._ahead(peer, transaction)
            return await self._refused(peer, response.reason, "signed refusal")
        now_ms = self.clock.now_ms()
        await self.writer.submit(partial(self.apply, peer, transaction, response, body, now_ms))
        return Round(Pumped.DELIVERED, messages=len(transaction.messages))

    def apply(self, peer: str, transaction: Transaction, response: Any, body: bytes,
              now_ms: int, conn: Connection) -> None:
        if not store.answer_out(conn, transaction.transaction_id, body.decode("utf-8"), now_ms):
            return  # answered already (reconciliation handed the response over)
        # One transaction in flight per link, built on the head: it follows it (checked).
        store.advance(conn, peer, store.Chain.OUT, store.head(store.link(conn, peer),
                                                              store.Chain.OUT), transaction)
        ctx = AnswerContext(peer=peer, transaction_id=transaction.transaction_id, now_ms=now_ms)
        self.answers.apply_all(conn, ctx, list(transaction.messages), list(response.messages))

    async def _refused(self, peer: str, reason: ReasonCode | None, detail: str) -> Round:
        if reason is None or not is_final(reason):
            if reason is ReasonCode.CLOCK_SKEW:
                self._resign.add(peer)
            behind = reason is ReasonCode.SEQUENCE_GAP
            if behind:
                detail += (f" ({peer} lacks our earlier transactions: restored from a backup "
                           "without `hourbridge recover`?)")
            return Round(Pumped.RETRY, f"{reason.value if reason else 'no reason'}: {detail}",
                         rest=behind)
        now_ms = self.clock.now_ms()
        log.error("link to %s frozen: %s (%s)", peer, reason.value, detail)
        await self.writer.submit(
            lambda conn: store.freeze(conn, peer, reason=reason.value, detail=detail,
                                      now_ms=now_ms)
        )
        return Round(Pumped.FROZEN, f"{reason.value}: {detail}")

    async def _ahead(self, peer: str, transaction: Transaction) -> Round:
        """The peer accepted another transaction of ours at this sequence: it is ahead of our
        outgoing chain (node/exchange/ahead.py)."""
        now_ms = self.clock.now_ms()
        detail = advice(peer, chain="outgoing", ours=transaction.sequence - 1,
                        theirs=transaction.sequence)
        await self.writer.submit(
            lambda conn: freeze_ahead(conn, peer, detail=detail, now_ms=now_ms))
        return Round(Pumped.FROZEN, f"peer_ahead: {detail}")


def _text(transaction: Transaction) -> str:
    return _encoded(transaction).decode("utf-8")


def _encoded(transaction: Transaction) -> bytes:
    return canonical_bytes(transaction.to_json())


def _problem_reason(body: bytes) -> ReasonCode | None:
    """The standard's reason code in a peer's problem+json refusal, if it carries one."""
    try:
        problem = parse_object(body, bytes_max=64 * 1024)
        return ReasonCode(str(problem.get("reason")))
    except (ProtocolError, ValueError):
        return None
