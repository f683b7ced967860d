"""The debtor's side: what each answer in a peer's signed response does here (standard §9.1,
§9.5). The decisions are protocol.transfer_machine's; this module loads the transfer, feeds it
the event and carries out the effects, in the database transaction that stores the response.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from node.db.fast import FastStatement
from node.db.schema import OPEN_TRANSFER, outbox, transfers
from node.errors import InvariantViolation
from node.exchange import store
from node.ledger.journal import Ledger
from node.ledger.model import AccountKind, EntryKind, Posting, member_account
from protocol.addresses import MemberAddress
from protocol.credit import CreditClass
from protocol.messages import AnswerMessage, RequestMessage, encode_message
from protocol.messages.other import MessageRejectMessage
from protocol.messages.routed import DeliveredBody
from protocol.messages.transfer import (
    PrepareMessage,
    ReceiptBody,
    ReceiptMessage,
    RejectBody,
    RejectMessage,
    StatusAnswerMessage,
    StatusBody,
    StatusMessage,
)
from protocol.transfer_machine import (
    CommitToClearing,
    Event,
    Outgoing,
    RaiseDispute,
    ReceiptArrived,
    RejectArrived,
    ReleaseReservation,
    SenderState,
    SendPrepare,
    SendStatusQuery,
    StatusAnswered,
    StatusRefused,
    Tick,
    step,
)

log = logging.getLogger("hourbridge.exchange")


@dataclass(frozen=True)
class Retry:
    """How long the debtor's node waits before asking again."""

    prepare_ms: int = 2_000  # after a temporary reject of a prepare
    leg_ms: int = 1_000  # a routed transfer's leg, while a hub answers "forwarding" (§22.4)
    status_ms: int = 5_000  # between status queries while in doubt
    disputed_ms: int = 3_600_000  # between status queries about a disputed transfer


@dataclass(frozen=True)
class Applied:
    """Where an answer leaves its request: sent again later, or done."""

    resend_at_ms: int | None = None


@dataclass(frozen=True)
class AnswerContext:
    peer: str
    transaction_id: str
    now_ms: int


# What to do with an answer to one request type: (conn, ctx, request, answer) -> Applied.
AnswerHandler = Callable[[Connection, AnswerContext, Any, Any], Applied]

_BY_WIRE_ID = FastStatement(select(transfers).where(transfers.c.wire_id == bindparam("w")))
_SETTLED = FastStatement(
    update(transfers).where(transfers.c.wire_id == bindparam("w")).values(
        state=bindparam("state"), reason_code=bindparam("reason"),
        relocated_to=bindparam("relocated_to"), settled_entry_height=bindparam("height"),
        answer_transaction_id=bindparam("tid"), final_answer=bindparam("answer"),
        updated_at_ms=bindparam("now"),
    )
)
_SET_STATE = FastStatement(
    update(transfers).where(transfers.c.wire_id == bindparam("w"))
    .values(state=bindparam("state"), updated_at_ms=bindparam("now"))
)
_DROP_UNSENT = FastStatement(
    outbox.delete().where(outbox.c.message_id.in_([bindparam("m1"), bindparam("m2")]),
                          outbox.c.transaction_id.is_(None))
)


def status_message_id(wire_id: str) -> str:
    """One status query per transfer, resent with the same id while the answer is unknown."""
    return f"q{wire_id}"


def _outgoing(row: Any) -> Outgoing:
    answer = json.loads(row.final_answer) if row.final_answer else None
    receipt: ReceiptBody | DeliveredBody | None = None
    reject = None
    routed = row.route is not None
    if answer is not None and row.state == SenderState.COMMITTED:
        receipt = (DeliveredBody.model_validate(answer) if routed
                   else ReceiptBody.model_validate(answer))
    elif answer is not None and row.state == SenderState.REJECTED:
        reject = RejectBody.model_validate(answer)
    return Outgoing(
        state=SenderState(row.state), transfer_id=row.wire_id, prepare_hash=row.prepare_hash,
        creditor=row.creditor, amount_minutes=row.amount_minutes,
        expires_at_ms=row.expires_at_ms, receipt=receipt, reject=reject, routed=routed,
    )


class AnswerHandlers:
    def __init__(self, *, ledger: Ledger, retry: Retry | None = None) -> None:
        self.ledger = ledger
        self.retry = retry or Retry()
        self.handlers: dict[str, AnswerHandler] = {
            "transfer.prepare": self._on_prepare_answer,
            "transfer.status": self._on_status_answer,
        }

    def register(self, request_type: str, handler: AnswerHandler) -> None:
        """One handler per request type; a second one is a wiring bug. A type without one
        (statement, checkpoint: this node sends neither) is only marked done."""
        if request_type in self.handlers:
            raise InvariantViolation(f"an answer handler for {request_type} is registered already")
        self.handlers[request_type] = handler

    def apply_all(self, conn: Connection, ctx: AnswerContext,
                  requests: list[RequestMessage], answers: list[AnswerMessage]) -> None:
        for request, answer in zip(requests, answers, strict=True):
            handler = self.handlers.get(request.type)
            applied = Applied() if handler is None else handler(conn, ctx, request, answer)
            if applied.resend_at_ms is None:
                store.done(conn, request.message_id)
            else:
                store.requeue(conn, request.message_id, at_ms=applied.resend_at_ms)

    # transfers -------------------------------------------------------------------------------

    def _on_prepare_answer(self, conn: Connection, ctx: AnswerContext,
                           request: PrepareMessage, answer: AnswerMessage) -> Applied:
        if isinstance(answer, ReceiptMessage):
            event: Event = ReceiptArrived(answer.body)
        else:
            assert isinstance(answer, RejectMessage)  # admit_response checked the answer type
            event = RejectArrived(answer.body)
        return self.feed(conn, ctx, request.body.transfer_id, event, request.message_id)

    def _on_status_answer(self, conn: Connection, ctx: AnswerContext,
                          request: StatusMessage, answer: AnswerMessage) -> Applied:
        if isinstance(answer, StatusAnswerMessage):
            event: Event = StatusAnswered(answer.body)
        else:
            assert isinstance(answer, MessageRejectMessage)
            event = StatusRefused(answer.body.reason)
        return self.feed(conn, ctx, request.body.transfer_id, event, request.message_id)

    def feed(self, conn: Connection, ctx: AnswerContext, wire_id: str, event: Event,
              message_id: str) -> Applied:
        rows = _BY_WIRE_ID.rows(conn, {"w": wire_id})
        if not rows:
            log.error("answer about unknown transfer %s from %s", wire_id, ctx.peer)
            return Applied()
        row = rows[0]
        before = _outgoing(row)
        after, effects = step(before, event)
        resend: int | None = None
        for effect in effects:
            if isinstance(effect, SendPrepare):
                if message_id == row.message_id:
                    resend = ctx.now_ms + self._resend_ms(row)
            elif isinstance(effect, SendStatusQuery):
                if message_id == status_message_id(wire_id):
                    resend = ctx.now_ms + self.retry.status_ms
                else:
                    self.queue_status(conn, row, at_ms=ctx.now_ms + self.retry.status_ms,
                                      now_ms=ctx.now_ms)
            elif isinstance(effect, CommitToClearing | ReleaseReservation):
                self._settle(conn, ctx, row, after, effect)
            else:
                assert isinstance(effect, RaiseDispute)
                log.error("dispute on transfer %s with %s: %s", wire_id, ctx.peer, effect.detail)
                conn.execute(update(transfers).where(transfers.c.wire_id == wire_id)
                             .values(dispute=effect.detail[:500], updated_at_ms=ctx.now_ms))
        if after.state is not before.state and after.state is SenderState.IN_DOUBT:
            self._set_state(conn, wire_id, after.state, ctx.now_ms)
        return Applied(resend)

    def _resend_ms(self, row: Any) -> int:
        if row.route is None:
            return self.retry.prepare_ms
        # A disputed leg waits for an operator: asked again hourly, as a disputed status.
        return self.retry.disputed_ms if row.dispute else self.retry.leg_ms

    def _settle(self, conn: Connection, ctx: AnswerContext, row: Any, after: Outgoing,
                effect: CommitToClearing | ReleaseReservation) -> None:
        credit_class = CreditClass(row.credit_class)
        if isinstance(effect, CommitToClearing):
            target = store.ensure_clearing(conn, ctx.peer, ctx.now_ms)
            kind = EntryKind.TRANSFER_SETTLE
            answer: Any = after.receipt
        elif row.forwarded_from is not None:
            # A hub's leg was reserved from its hours in passage, never from a member.
            target = str(AccountKind.TRANSIT)
            kind = EntryKind.TRANSFER_RELEASE
            answer = after.reject
        else:
            target = member_account(MemberAddress.parse(row.debtor).local_id)
            kind = EntryKind.TRANSFER_RELEASE
            answer = after.reject
        entry = self.ledger.post(
            conn, kind=kind, ref=row.id, actor=row.actor, memo=row.memo, now_ms=ctx.now_ms,
            legs=(Posting("pending", credit_class, -effect.amount_minutes),
                  Posting(target, credit_class, effect.amount_minutes)),
        )
        reject = after.reject
        _SETTLED.run(conn, {
            "w": row.wire_id, "state": after.state.value,
            "reason": None if reject is None else reject.reason.value,
            "relocated_to": None if reject is None else reject.relocated_to,
            "height": entry.height, "tid": ctx.transaction_id,
            "answer": None if answer is None else json.dumps(
                answer.model_dump(mode="json"), separators=(",", ":")),
            "now": ctx.now_ms,
        })
        store.add_reserved(conn, ctx.peer, -effect.amount_minutes)
        # Nothing more to say about a settled transfer: drop its queued prepare and query.
        _DROP_UNSENT.run(conn, {"m1": row.message_id, "m2": status_message_id(row.wire_id)})

    @staticmethod
    def _set_state(conn: Connection, wire_id: str, state: SenderState, now_ms: int) -> None:
        _SET_STATE.run(conn, {"w": wire_id, "state": state.value, "now": now_ms})

    def queue_status(self, conn: Connection, row: Any, *, at_ms: int, now_ms: int) -> None:
        message_id = status_message_id(row.wire_id)
        exists = conn.execute(select(outbox.c.message_id)
                              .where(outbox.c.message_id == message_id)).first()
        if exists is not None:
            return
        query = StatusMessage(message_id=message_id, body=StatusBody(
            transfer_id=row.wire_id, prepare_hash=row.prepare_hash,
            expires_at_ms=row.expires_at_ms,
        ))
        store.enqueue(conn, peer=row.peer_node_id, message=encode_message(query), now_ms=now_ms,
                      not_before_ms=at_ms)

    def tick(self, conn: Connection, *, now_ms: int) -> list[str]:
        """Put transfers whose expiry passed without a final answer in doubt, and make sure each
        open one past its expiry has a status query queued. Returns the peers to wake."""
        # OPEN_TRANSFER is written out literally so the planner uses the partial index on it.
        rows = conn.execute(select(transfers).where(
            OPEN_TRANSFER, transfers.c.expires_at_ms <= now_ms,
            transfers.c.peer_node_id.is_not(None),
        )).all()
        peers: set[str] = set()
        for row in rows:
            after, effects = step(_outgoing(row), Tick(now_ms))
            if after.routed:
                # The leg stays queued and is sent again until final (§22.4): no status query.
                if after.state.value != row.state:
                    self._set_state(conn, row.wire_id, after.state, now_ms)
                continue
            if after.state.value != row.state:
                self._set_state(conn, row.wire_id, after.state, now_ms)
                # Past the expiry a prepare can only be refused as expired; the status query
                # asks instead. A prepare already in a transaction is answered first anyway.
                _DROP_UNSENT.run(conn, {"m1": row.message_id, "m2": row.message_id})
            if any(isinstance(effect, SendStatusQuery) for effect in effects):
                # A disputed transfer waits for an operator: ask again hourly, not every tick.
                at_ms = now_ms + (self.retry.disputed_ms if row.dispute else 0)
                self.queue_status(conn, row, at_ms=at_ms, now_ms=now_ms)
                peers.add(row.peer_node_id)
        return sorted(peers)
