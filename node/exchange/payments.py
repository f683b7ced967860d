"""Payment requests over the exchange (standard §8, §10): both nodes' halves.

Payer's node, answering requests: payment.request for a member we do not have (or who moved
away: forwarding is not in v1, §18) -> message.reject `member_unknown`; otherwise the request is
stored `awaiting` and acknowledged. The same request id again with the same content is
acknowledged again; with other content it is refused `malformed`.

Payee's node: the answer to payment.request moves it sent -> acknowledged, or refused on a final
reject (a temporary one is sent again later); payment.decline from the payer's node marks it
declined; a committed service_payment prepare naming it marks it paid (a commit hook of
RequestHandlers, run in the prepare's database transaction).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from node.db.rows import PaymentRequestInRow, PaymentRequestRow
from node.db.schema import members, payment_requests, payment_requests_in
from node.exchange.answers import AnswerContext, Applied
from node.exchange.requests import Answer, Context, ack, refuse
from node.notify import events as notify
from node.states import PAYMENT_ACKNOWLEDGED as ACKNOWLEDGED
from node.states import PAYMENT_AWAITING as AWAITING
from node.states import PAYMENT_DECLINED as DECLINED
from node.states import PAYMENT_PAID as PAID
from node.states import PAYMENT_REFUSED as REFUSED
from node.states import PAYMENT_SENT as SENT
from protocol.addresses import MemberAddress
from protocol.canonical import canonical_bytes, sha256_hex
from protocol.messages import AnswerMessage
from protocol.messages.other import (
    AckMessage,
    MessageRejectMessage,
    PaymentDeclineMessage,
    PaymentRequestMessage,
)
from protocol.messages.transfer import PrepareBody, Purpose
from protocol.reasons import ReasonCode, is_final

if TYPE_CHECKING:
    from node.exchange.service import Exchange

log = logging.getLogger("hourbridge.exchange")


class PaymentHandlers:
    def __init__(self, *, node_id: str, retry_ms: int) -> None:
        self.node_id = node_id
        self.retry_ms = retry_ms

    def install(self, exchange: Exchange) -> None:
        exchange.requests.register("payment.request", self.on_request)
        exchange.requests.register("payment.decline", self.on_decline)
        exchange.requests.on_prepare_committed(self.on_paid)
        exchange.answers.register("payment.request", self.on_request_answer)
        exchange.answers.register("payment.decline", self.on_decline_answer)

    # the payer's node -----------------------------------------------------------------------

    def on_request(self, conn: Connection, ctx: Context, request: PaymentRequestMessage) -> Answer:
        body = request.body
        local_id = MemberAddress.parse(body.payer).local_id
        member = conn.execute(select(members.c.relocated_to)
                              .where(members.c.local_id == local_id)).one_or_none()
        if member is None:
            return refuse(request, ReasonCode.MEMBER_UNKNOWN, f"no member {body.payer}")
        if member.relocated_to is not None:
            return refuse(request, ReasonCode.MEMBER_UNKNOWN,
                          f"{body.payer} moved to {member.relocated_to}")
        digest = sha256_hex(canonical_bytes(body.model_dump(mode="json")))
        held = conn.execute(select(payment_requests_in.c.body_hash).where(
            payment_requests_in.c.payee_node == ctx.sender,
            payment_requests_in.c.request_id == body.request_id)).scalar_one_or_none()
        if held is not None:
            if held != digest:
                return refuse(request, ReasonCode.MALFORMED,
                              f"request id {body.request_id} was used for other content")
            return ack(request)
        conn.execute(insert(payment_requests_in).values(PaymentRequestInRow(
            payee_node=ctx.sender, request_id=body.request_id, body_hash=digest,
            payee=body.payee, payer_local_id=local_id, amount_minutes=body.amount_minutes,
            category=body.category.value, description=body.description,
            created_at_ms=body.created_at_ms, expires_at_ms=body.expires_at_ms,
            state=AWAITING, transfer_id=None, decline_message_id=None, decided_by=None,
            decided_at_ms=None, received_at_ms=ctx.now_ms,
        ).values()))
        notify.payment_request_waiting(conn, payer_local_id=local_id, payee=body.payee,
                                       payee_node=ctx.sender, request_id=body.request_id,
                                       amount_minutes=body.amount_minutes, now_ms=ctx.now_ms)
        return ack(request)

    def on_decline_answer(self, conn: Connection, ctx: AnswerContext,
                          request: PaymentDeclineMessage, answer: AnswerMessage) -> Applied:
        if isinstance(answer, MessageRejectMessage):
            if not is_final(answer.body.reason):
                return Applied(resend_at_ms=ctx.now_ms + self.retry_ms)
            log.error("%s refused our decline of payment request %s: %s %s", ctx.peer,
                      request.body.request_id, answer.body.reason.value, answer.body.detail)
        return Applied()

    # the payee's node -----------------------------------------------------------------------

    def on_request_answer(self, conn: Connection, ctx: AnswerContext,
                          request: PaymentRequestMessage, answer: AnswerMessage) -> Applied:
        wire_id = request.body.request_id
        if isinstance(answer, AckMessage):
            self._advance(conn, wire_id, ctx.now_ms, from_states=(SENT,), state=ACKNOWLEDGED)
            return Applied()
        assert isinstance(answer, MessageRejectMessage)  # admit_response checked the type
        reason = answer.body.reason
        if not is_final(reason):
            return Applied(resend_at_ms=ctx.now_ms + self.retry_ms)
        self._advance(conn, wire_id, ctx.now_ms, from_states=(SENT,), state=REFUSED,
                      reason_code=reason.value, detail=answer.body.detail)
        return Applied()

    def on_decline(self, conn: Connection, ctx: Context, request: PaymentDeclineMessage) -> Answer:
        wire_id = request.body.request_id
        row = conn.execute(select(payment_requests.c.payer, payment_requests.c.state)
                           .where(payment_requests.c.wire_id == wire_id)).one_or_none()
        if row is None or MemberAddress.parse(row.payer).node_id != ctx.sender:
            return refuse(request, ReasonCode.MALFORMED,
                          f"this node sent {ctx.sender} no payment request {wire_id}")
        if row.state == PAID:
            log.warning("%s declined payment request %s, which was paid", ctx.sender, wire_id)
        self._advance(conn, wire_id, ctx.now_ms, from_states=(SENT, ACKNOWLEDGED),
                      state=DECLINED)
        return ack(request)

    def on_paid(self, conn: Connection, ctx: Context, prepare: PrepareBody) -> None:
        if prepare.purpose is not Purpose.SERVICE_PAYMENT or prepare.payment_request_id is None:
            return
        found = conn.execute(select(payment_requests).where(
            payment_requests.c.wire_id == prepare.payment_request_id)).one_or_none()
        if found is None:
            return
        row = PaymentRequestRow.from_row(found)
        if ((row.payer, row.payee, row.amount_minutes)
                != (prepare.debtor, prepare.creditor, prepare.amount_minutes)):
            log.warning("transfer %s from %s names payment request %s but does not match it",
                        prepare.transfer_id, ctx.sender, row.id)
            return
        self._advance(conn, row.wire_id, ctx.now_ms,
                      from_states=(SENT, ACKNOWLEDGED, REFUSED, DECLINED), state=PAID,
                      paid_by_transfer=prepare.transfer_id)

    @staticmethod
    def _advance(conn: Connection, wire_id: str, now_ms: int, *, from_states: tuple[str, ...],
                 state: str, **values: object) -> None:
        """Move the request to `state` if it is in one of `from_states`: a late answer never
        undoes what happened after it (a payment that arrived before the acknowledgement)."""
        conn.execute(update(payment_requests).where(
            payment_requests.c.wire_id == wire_id, payment_requests.c.state.in_(from_states),
        ).values(state=state, updated_at_ms=now_ms, **values))
