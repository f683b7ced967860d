"""The sender: signed transactions per peer, a window of them in flight, built from the outbox
(standard §6).

`pump(peer)` does one round trip on the link; the runner's lanes (node/exchange/runner.py) run
up to the link's window of them at once (§6.5):

 1. in one database write: take the lowest transaction in flight that no other lane is sending,
    or, if the window has room, batch the ready outbox messages into the next one on the chain
    (sequence + 1 and hash of the last one built, answered or not), sign and store it;
 2. send it;
 3. in one database write: store the peer's signed response; if it answers the transaction
    after the link's head, advance the link and apply every answer (receipts settle, final
    rejects release, temporary ones wait and go again), then those of any later transaction
    whose response came first; otherwise it waits, stored, for its predecessor's.

A transaction is retried with the same id and content until it is answered; if the peer's clock
says its signing time is too old, or our clock was stepped back past it, it is re-signed with a
fresh time (its hash does not cover the time, so the chain does not change). Only the lowest
transaction in flight is ever re-signed (§6.5: a later signing time tells the receiver every
earlier transaction was answered). Each fresh signed response is also a reading of the peer's
clock (node/exchange/clockwatch.py). A final refusal of the whole transaction means the two
sides disagree about the link: it is frozen for an operator, never skipped past; the
transactions after it in the window wait with it.
"""

from __future__ import annotations

import itertools
import json
import logging
from dataclasses import dataclass, field
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
from node.exchange.transport import Reply, Transport, TransportError
from node.exchange.window import WINDOW_DEFAULT, Claims
from node.federation import FederationService
from node.keyring import Signer
from protocol.canonical import canonical_bytes
from protocol.directory import Directory
from protocol.envelope import admit_response
from protocol.errors import ProtocolError
from protocol.policy import Policy
from protocol.reasons import ReasonCode, is_final
from protocol.transaction import (
    Outcome,
    Transaction,
    build_transaction,
    decode_response,
    decode_transaction,
)
from protocol.wire import parse_object

log = logging.getLogger("hourbridge.exchange")


# Room kept in every transaction for its envelope (ids, hashes, signature), and for each
# message the most its answer can take: a reject or status answer with a 280-character detail
# is under 1.7 KB. A batch is cut so that both the transaction and the response the peer will
# sign stay under the policy's transaction_bytes_max.
ENVELOPE_BYTES = 1_024
ANSWER_BYTES_MAX = 2_048
# Transactions remembered as "its answer is fresh" (clock readings); answered ones leave.
FRESH_MAX = 10_000
# A transaction goes out beside one in flight only if at least 1/2 full (_worth_pipelining).
PIPELINE_FILL_DIVISOR = 2


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
    # A refusal of our signing time (clock_skew on the lowest): a clock to mend, not a peer
    # failing. The runner retries it after a short pause and never opens the circuit for it,
    # so the link drains within that pause once the clock is right again.
    clock: bool = False


@dataclass(frozen=True)
class _Frame:
    """A transaction framed for sending: its bytes, and whether every earlier transaction on
    the link was answered when it was framed (it is the lowest in flight)."""

    document: bytes
    transaction: Transaction
    lowest: bool
    resigned: bool = False  # re-signed for a refusal (`_resign`, `_regap`), now spent


@dataclass
class _Windows:
    """Per peer: the window it announced, and the sequence up to which the link goes one at a
    time again after a `sequence_gap` met in the window (§6.5)."""

    own: int
    announced: dict[str, int] = field(default_factory=dict)
    serial_until: dict[str, int] = field(default_factory=dict)

    def size(self, peer: str, head: int) -> int:
        if self.serial_until.get(peer, 0) > head:
            return 1
        self.serial_until.pop(peer, None)
        return max(1, min(self.own, self.announced.get(peer, 1)))


class Courier:
    def __init__(self, *, node_id: str, federation: FederationService, signer: Signer,
                 clock: Clock, writer: WriteBatcher, transport: Transport,
                 answers: AnswerHandlers, window: int = WINDOW_DEFAULT) -> None:
        self.node_id = node_id
        self.federation = federation
        self.signer = signer
        self.clock = clock
        self.writer = writer
        self.transport = transport
        self.answers = answers
        self.windows = _Windows(own=window)
        self.lanes = window  # the runner's loops per link (node/exchange/runner.py)
        self.claims = Claims()
        self._pumps = itertools.count(1)
        # Peers whose lowest transaction in flight is to be signed again: its signing time was
        # refused (`_resign`), or it met a gap with every earlier one answered (`_regap`: the
        # new signing time must be later than the refused one's, §6.5).
        self._resign: set[str] = set()
        self._regap: set[str] = set()
        self.clocks = ClockWatch()
        # The transactions the peer cannot have answered before (built, or re-signed after a
        # refusal that stores nothing, in this process): their answers' times are fresh.
        self._fresh: set[str] = set()

    def _fresh_add(self, transaction_id: str) -> None:
        if len(self._fresh) >= FRESH_MAX:
            self._fresh.clear()  # a bound on memory: at worst a few readings of clocks missed
        self._fresh.add(transaction_id)

    def window(self, peer: str) -> int:
        """How many transactions may be in flight to `peer` now (the runner's lanes)."""
        if peer in self.windows.serial_until:
            return 1
        return max(1, min(self.windows.own, self.windows.announced.get(peer, 1)))

    async def pump(self, peer: str) -> Round:
        directory = self.federation.require_current()
        entry = directory.node(peer)
        if entry is None:
            return Round(Pumped.RETRY, f"{peer} is not in the directory")
        pump = next(self._pumps)
        try:
            now_ms = self.clock.now_ms()
            frame = await self.writer.submit(partial(self._frame, peer, directory, now_ms, pump))
            if isinstance(frame, Round):
                return frame
            if frame.resigned:  # only now: the command may have run twice (node/db/batch.py)
                self._resign.discard(peer)
                self._regap.discard(peer)
            faults.point("sender_after_commit")
            sent_ms = self.clock.now_ms()
            tid = frame.transaction.transaction_id
            try:
                reply = await self.transport.post(entry.base_url, frame.document)
            except TransportError as exc:
                self._fresh.discard(tid)  # it may have arrived: a resend may get a stored answer
                return Round(Pumped.RETRY, str(exc))
            faults.point("sender_after_reply")
            if reply.status == 200:
                self.windows.announced[peer] = reply.window
            sent = (sent_ms, self.clock.now_ms())
            return await self._on_reply(peer, directory, frame, reply, sent)
        finally:
            self.claims.release(peer, pump)

    # building -------------------------------------------------------------------------------

    def _frame(self, peer: str, directory: Directory, now_ms: int, pump: int,
               conn: Connection) -> _Frame | Round:
        link = store.link(conn, peer)
        if link.frozen_reason is not None:
            return Round(Pumped.FROZEN, f"{link.frozen_reason}: {link.frozen_detail}")
        self.claims.release(peer, pump)  # a rerun of this command (node/db/batch.py)
        head = link.out_sequence
        window = self.windows.size(peer, head)
        ahead = store.ahead_of_head(conn, peer, head)
        taken = self.claims.taken(peer)
        flying = [row for row in ahead if row.response is None]
        for row in flying:
            if row.sequence - head > window:
                break  # back to one at a time after a gap: the earlier ones first
            lowest = row is flying[0]
            if row.sequence in taken or (not lowest and _stale(row.document, now_ms,
                                                                  directory.policy.skew_ms)):
                continue  # a stale later one waits to be the lowest, then is re-signed
            self.claims.take(peer, row.sequence, pump)
            return self._again(peer, directory, now_ms, row.document, lowest=lowest,
                               conn=conn)
        tip_sequence = ahead[-1].sequence if ahead else head
        if tip_sequence - head >= window:
            return Round(Pumped.IDLE, "window full")
        queued = store.ready_messages(conn, peer, now_ms=now_ms,
                                      limit=directory.policy.batch_size_max)
        ready = fitting(queued, directory.policy.transaction_bytes_max)
        if not ready:
            return Round(Pumped.IDLE)
        if ahead and not _worth_pipelining(len(ready), len(queued), directory.policy):
            # A small batch behind one in flight waits for it and goes out with what has
            # queued meanwhile: one transaction instead of several small ones, each paying
            # its signature, write and round trip. Only full ones are pipelined.
            return Round(Pumped.IDLE, "a small batch waits for the transaction in flight")
        sequence = tip_sequence + 1
        prev_hash = ahead[-1].transaction_hash if ahead else link.out_hash
        transaction = self._sign(new_id(), peer, sequence, prev_hash, now_ms,
                                 [json.loads(row.document) for row in ready])
        store.store_out(conn, peer=peer, sequence=sequence,
                        transaction_id=transaction.transaction_id,
                        transaction_hash=transaction.transaction_hash(),
                        document=_text(transaction), now_ms=now_ms)
        store.place(conn, [row.message_id for row in ready], transaction.transaction_id)
        self.claims.take(peer, sequence, pump)
        self._fresh_add(transaction.transaction_id)
        return _Frame(_encoded(transaction), transaction, lowest=not flying)

    def _again(self, peer: str, directory: Directory, now_ms: int, document: str, *,
               lowest: bool, conn: Connection) -> _Frame:
        """A transaction in flight, sent again: the same bytes, or re-signed if it is the
        lowest in flight and its signing time was refused, is old or lies ahead of our clock,
        or it met a gap (§21.3)."""
        transaction = decode_transaction(json.loads(document))
        age_ms = now_ms - transaction.created_at_ms
        # A negative age: signed by a clock that has since been stepped back.
        refused = peer in self._resign or peer in self._regap
        if lowest and (refused or age_ms < 0 or age_ms > directory.policy.skew_ms // 2):
            signed_ms = now_ms
            if peer in self._regap:  # later than the copy the peer refused, whatever the clock
                signed_ms = max(now_ms, transaction.created_at_ms + 1)
            transaction = self._sign(transaction.transaction_id, peer, transaction.sequence,
                                     transaction.prev_hash, signed_ms,
                                     [m.model_dump(mode="json") for m in transaction.messages])
            store.resign_out(conn, transaction.transaction_id, _text(transaction))
            if refused:  # nothing stored: its answer is fresh
                self._fresh_add(transaction.transaction_id)
            return _Frame(_encoded(transaction), transaction, lowest=lowest, resigned=refused)
        return _Frame(_encoded(transaction), transaction, lowest=lowest)

    def _sign(self, transaction_id: str, peer: str, sequence: int, prev_hash: str, now_ms: int,
              messages: list[dict[str, Any]]) -> Transaction:
        return build_transaction(
            transaction_id=transaction_id, sender=self.node_id, receiver=peer,
            sequence=sequence, prev_hash=prev_hash, created_at_ms=now_ms,
            messages=messages, key=self.signer.key(),
        )

    # answers ----------------------------------------------------------------------------------

    async def _on_reply(self, peer: str, directory: Directory, frame: _Frame, reply: Reply,
                        sent: tuple[int, int]) -> Round:
        transaction, status, body = frame.transaction, reply.status, reply.body
        if status != 200:
            reason = _problem_reason(body)
            if reason is ReasonCode.CLOCK_SKEW and frame.lowest:
                # Only the lowest is ever re-signed (§6.5): a later one's old time says
                # nothing about our clock.
                self.clocks.refused(peer, skew_ms=directory.policy.skew_ms)
            return await self._refused(peer, frame, reason, f"HTTP {status}: "
                                       f"{body[:300].decode('utf-8', 'replace')}")
        try:
            response = admit_response(body, directory=directory, request=transaction)
        except ProtocolError as exc:
            # Not a valid answer to our transaction: as if no answer came (retry the same one).
            log.error("bad response from %s: %s %s", peer, exc.code.value, exc.detail)
            return Round(Pumped.RETRY, f"bad response: {exc.code.value}")
        if transaction.transaction_id in self._fresh:
            self._fresh.discard(transaction.transaction_id)
            self.clocks.observe(peer, midpoint_offset(
                sent_ms=sent[0], received_ms=sent[1], peer_ms=response.created_at_ms),
                skew_ms=directory.policy.skew_ms)
        if response.outcome is Outcome.REFUSED:
            assert response.reason is not None
            if response.reason is ReasonCode.SEQUENCE_REPLAYED:
                return await self._ahead(peer, transaction)
            return await self._refused(peer, frame, response.reason, "signed refusal")
        if self.windows.serial_until.get(peer, 0) <= transaction.sequence:
            self.windows.serial_until.pop(peer, None)  # the peer holds the gap's transaction
        now_ms = self.clock.now_ms()
        await self.writer.submit(partial(self._answered, peer, transaction, response, body,
                                         now_ms))
        return Round(Pumped.DELIVERED, messages=len(transaction.messages))

    def _answered(self, peer: str, transaction: Transaction, response: Any, body: bytes,
                  now_ms: int, conn: Connection) -> None:
        head = store.link(conn, peer).out_sequence
        if transaction.sequence > head + 1:
            # Answered before a predecessor (§6.5): stored now, applied after it.
            store.answer_out(conn, transaction.transaction_id, body.decode("utf-8"), now_ms)
            return
        self.apply(peer, transaction, response, body, now_ms, conn)

    def apply(self, peer: str, transaction: Transaction, response: Any, body: bytes,
              now_ms: int, conn: Connection) -> None:
        """Store the response to the transaction after the link's head, advance the link and
        apply its answers, then those of every later transaction already answered."""
        if not store.answer_out(conn, transaction.transaction_id, body.decode("utf-8"), now_ms):
            return  # answered already (reconciliation handed the response over)
        self._apply_answers(conn, peer, transaction, response, now_ms)
        head = transaction.sequence
        for row in store.ahead_of_head(conn, peer, head):
            if row.response is None or row.sequence != head + 1:
                break
            self._apply_answers(conn, peer, decode_transaction(json.loads(row.document)),
                                decode_response(json.loads(row.response)), now_ms)
            head = row.sequence

    def _apply_answers(self, conn: Connection, peer: str, transaction: Transaction,
                       response: Any, now_ms: int) -> None:
        # Built on the head, answered in order: it follows it (checked).
        store.advance(conn, peer, store.Chain.OUT, store.head(store.link(conn, peer),
                                                              store.Chain.OUT), transaction)
        ctx = AnswerContext(peer=peer, transaction_id=transaction.transaction_id, now_ms=now_ms)
        self.answers.apply_all(conn, ctx, list(transaction.messages), list(response.messages))

    async def _refused(self, peer: str, frame: _Frame, reason: ReasonCode | None,
                       detail: str) -> Round:
        if reason is None or not is_final(reason):
            if reason is ReasonCode.CLOCK_SKEW and not frame.lowest:
                return Round(Pumped.IDLE, f"clock_skew on {frame.transaction.sequence} in the "
                             "window: it waits to be the lowest, then is re-signed")
            if reason is ReasonCode.CLOCK_SKEW:
                self._resign.add(peer)
            if reason is ReasonCode.SEQUENCE_GAP and not frame.lowest:
                # Sent in a window before an earlier one was answered: it overtook it, or the
                # earlier one was lost. One at a time until it is answered (§6.5); no rest.
                sequence = frame.transaction.sequence
                self.windows.serial_until[peer] = max(
                    self.windows.serial_until.get(peer, 0), sequence)
                return Round(Pumped.IDLE, f"sequence_gap in the window at {sequence}: "
                             "one at a time until it is answered")
            behind = reason is ReasonCode.SEQUENCE_GAP
            if behind:
                self._regap.add(peer)
                # One at a time until it is answered: no other lane resends it during the rest.
                sequence = frame.transaction.sequence
                self.windows.serial_until[peer] = max(
                    self.windows.serial_until.get(peer, 0), sequence)
                detail += (f" ({peer} lacks our earlier transactions: restored from a backup "
                           "without `hourbridge recover`?)")
            return Round(Pumped.RETRY, f"{reason.value if reason else 'no reason'}: {detail}",
                         rest=behind, clock=reason is ReasonCode.CLOCK_SKEW)
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


def _worth_pipelining(ready: int, queued: int, policy: Policy) -> bool:
    """A transaction is sent while another is in flight only if it is at least half full
    (by count, or cut short by the byte limit): see docs/performance.md, "A window"."""
    return ready * PIPELINE_FILL_DIVISOR >= policy.batch_size_max or ready < queued


def _stale(document: str, now_ms: int, skew_ms: int) -> bool:
    """A stored transaction signed more than half the skew bound ago: sent as it is, a peer
    may refuse its time (`clock_skew`)."""
    return now_ms - int(json.loads(document)["created_at_ms"]) > skew_ms // 2


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
