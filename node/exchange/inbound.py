"""The receiving endpoint's logic: one incoming transaction in, one signed response out.

    admit (standard §5.4 steps 1-11)           refused -> problem+json with the reason code
    place on the link's chain (§6.3)           repeat  -> the stored response, byte for byte
                                               broken  -> a signed refused response
                                               early   -> held until its predecessor commits
                                                          (§6.5), then placed again
    answer every request (§7, §8.1, §9.2)      in one database transaction with storing the
    store transaction + response, advance      transaction, its response and the link head
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from sqlalchemy.engine import Connection

from node.clock import Clock
from node.db.batch import WriteBatcher
from node.db.rows import InTransactionRow
from node.errors import FederationRefusal
from node.exchange import faults, store
from node.exchange.ahead import GapWatch, advice, freeze_ahead
from node.exchange.clockwatch import ClockWatch
from node.exchange.requests import Context, RequestHandlers
from node.exchange.window import HOLD_WAITS_MAX, WINDOW_DEFAULT, WINDOW_MAX, Arrivals
from node.federation import FederationService
from node.keyring import Signer
from protocol.canonical import canonical_bytes
from protocol.chain import ChainVerdict, check_chain
from protocol.directory import Directory
from protocol.errors import ChainError
from protocol.message_rules import check_request
from protocol.reasons import ReasonCode
from protocol.transaction import Transaction, build_response
from protocol.wire import parse_object

log = logging.getLogger("hourbridge.exchange")


@dataclass(frozen=True)
class Delivered:
    """The response bytes to send back, and whether they are a replay of a stored one."""

    body: bytes
    repeat: bool
    gap_at: int | None = None  # refused for a sequence gap: our incoming head then
    held: bool = False  # arrived before its predecessor, within the window: nothing answered
    advanced: bool = False  # accepted as the next: the link's head moved


class Inbox:
    def __init__(self, *, node_id: str, federation: FederationService, signer: Signer,
                 clock: Clock, writer: WriteBatcher, handlers: RequestHandlers,
                 clocks: ClockWatch | None = None, window: int = WINDOW_DEFAULT,
                 arrivals: Arrivals | None = None) -> None:
        self.node_id = node_id
        # How far past our head a peer's transaction may arrive and be held (§6.5); the
        # `HourBridge-Window` header of our answers announces it (node/api/routes).
        self.window = window
        self.arrivals = arrivals or Arrivals()
        self.clocks = clocks or ClockWatch()
        self.federation = federation
        self.signer = signer
        self.clock = clock
        self.writer = writer
        self.handlers = handlers
        self.gaps = GapWatch()

    async def receive(self, raw: bytes) -> Delivered:
        """Raises FederationRefusal when the transaction is refused before its chain check."""
        now_ms = self.clock.now_ms()
        try:
            transaction = self.federation.admit(raw, now_ms=now_ms)
        except FederationRefusal as exc:
            if exc.reason == ReasonCode.CLOCK_SKEW.value:
                self._skewed(raw, now_ms)
            raise
        directory = self.federation.require_current()
        skew_ms = directory.policy.skew_ms
        if self.clocks.skewed(transaction.sender) and not self.clocks.too_far(
                now_ms - transaction.created_at_ms, skew_ms=skew_ms):
            # Only to clear: a resend carries its first signing time, so it never raises one.
            self.clocks.observe(transaction.sender, now_ms - transaction.created_at_ms,
                                skew_ms=skew_ms)
        delivered = await self._place(transaction, raw, directory, now_ms)
        faults.point("receiver_after_commit")
        if delivered.advanced:
            self.arrivals.moved(transaction.sender)
        if delivered.gap_at is not None:
            await self._gap(transaction, delivered.gap_at, now_ms)
        return delivered

    async def _place(self, transaction: Transaction, raw: bytes, directory: Directory,
                     now_ms: int) -> Delivered:
        """Place it on the chain; an early arrival (§6.5) waits for the head to move, each
        wait bounded (window.HOLD_S), and is refused for its gap once the head stops moving
        or the window's length of waits (at most HOLD_WAITS_MAX) is spent. At most the
        window's length of them are held per sender at once; a copy beyond is refused at
        once. After a wait it is judged at the time it is placed (a prepare's expiry is
        checked by our clock then, §9.3)."""
        sender, holding = transaction.sender, False
        waits = min(self.window, WINDOW_MAX, HOLD_WAITS_MAX)
        try:
            for attempt in range(waits + 1):
                moved = self.arrivals.event(sender)  # taken before the head is read
                delivered = await self.writer.submit(partial(
                    self._apply, transaction, raw, directory, now_ms, attempt < waits))
                if not delivered.held:
                    return delivered
                holding = holding or self.arrivals.hold(sender, self.window)
                if not holding:
                    break  # as many are held for this sender as its window: refused at once
                if not await self.arrivals.wait(moved):
                    break
                now_ms = self.clock.now_ms()
            return await self.writer.submit(partial(
                self._apply, transaction, raw, directory, self.clock.now_ms(), False))
        finally:
            if holding:
                self.arrivals.unhold(sender)

    def _apply(self, transaction: Transaction, raw: bytes, directory: Directory, now_ms: int,
               may_hold: bool, conn: Connection) -> Delivered:
        sender = transaction.sender
        head = store.head(store.link(conn, sender), store.Chain.IN)
        stored = store.stored_in(conn, sender, transaction.transaction_id)
        try:
            verdict = check_chain(
                head, transaction,
                stored_hash=None if stored is None else stored.transaction_hash,
            )
        except ChainError as exc:
            gap = exc.code is ReasonCode.SEQUENCE_GAP
            if gap and may_hold and transaction.sequence <= head.last_sequence + self.window:
                return Delivered(b"", repeat=False, held=True)
            if not gap:
                log.error("link from %s: %s (%s)", sender, exc.code.value, exc.detail)
            refused = build_response(request=transaction, created_at_ms=now_ms, answers=[],
                                     reason=exc.code, key=self.signer.key())
            return Delivered(canonical_bytes(refused.to_json()), repeat=False,
                             gap_at=head.last_sequence if gap else None)
        if verdict is ChainVerdict.REPEAT:
            assert stored is not None  # check_chain says REPEAT only of a stored transaction
            return Delivered(stored.response.encode(), repeat=True)
        ctx = Context(sender=sender, transaction_id=transaction.transaction_id, now_ms=now_ms,
                      directory=directory)
        stateless = tuple(
            check_request(m, sender=sender, receiver=self.node_id, now_ms=now_ms,
                          directory=directory)
            for m in transaction.messages
        )
        answers = self.handlers.answer_all(conn, ctx, list(transaction.messages), stateless)
        response = build_response(request=transaction, created_at_ms=now_ms, answers=answers,
                                  reason=None, key=self.signer.key())
        body = canonical_bytes(response.to_json())
        tx_hash = transaction.transaction_hash()
        store.store_in(conn, InTransactionRow(
            sender=sender, transaction_id=transaction.transaction_id,
            sequence=transaction.sequence, transaction_hash=tx_hash,
            document=raw.decode("utf-8"), response=body.decode("utf-8"), received_at_ms=now_ms,
        ))
        store.advance(conn, sender, store.Chain.IN, head, transaction)
        return Delivered(body, repeat=False, advanced=True)

    def _skewed(self, raw: bytes, now_ms: int) -> None:
        """A transaction refused for `clock_skew` was signed by its signer at `created_at_ms`
        (the signature is checked before the time, §5.4): a one-way reading of the offset."""
        skew_ms = self.federation.require_current().policy.skew_ms
        document = parse_object(raw, bytes_max=len(raw))
        (signer,) = document["signatures"]
        self.clocks.observe(str(signer), now_ms - int(document["created_at_ms"]),
                            skew_ms=skew_ms)

    async def _gap(self, transaction: Transaction, ours: int, now_ms: int) -> None:
        """The peer sends past our head: once, a refusal; the same transaction again, the peer
        is ahead of our chain (node/exchange/ahead.py) and the link freezes, logged once.
        Counted here, once per delivery, after the write command: the batch writer may run a
        command twice, which must not count as a second sighting."""
        sender = transaction.sender
        # The window's rule whatever our own window: a 1.3 sender may still pipeline to us on
        # a window we announced before, and a delayed copy of the same signing proves nothing.
        if not self.gaps.persistent(sender, transaction.transaction_id,
                                    transaction.created_at_ms):
            log.info("link from %s: sequence_gap (sequence %s, our head %s)", sender,
                     transaction.sequence, ours)
            return
        detail = advice(sender, chain="incoming", ours=ours, theirs=transaction.sequence - 1)
        await self.writer.submit(
            lambda conn: freeze_ahead(conn, sender, now_ms=now_ms, detail=detail))
