"""The creditor's side: answering each request of an admitted transaction (standard §7, §8.1,
§9.2, §9.4), inside the database transaction that stores the transaction and advances the link.

Every request gets exactly one answer. A final answer is stored by (sender, message id), so the
same message in any later transaction gets the same answer; a temporary one is not stored, and
the same message sent again is decided afresh.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from node.db.fast import FastStatement, insert_row
from node.db.rows import InMessageRow, RemoteTransferRow
from node.db.schema import members, remote_transfers
from node.errors import InvariantViolation
from node.exchange import store
from node.ledger.journal import Ledger
from node.ledger.model import EntryKind, Posting, member_account
from node.states import MemberStatus, RemoteTransferState
from protocol.addresses import MemberAddress
from protocol.directory import Directory
from protocol.errors import ProtocolError
from protocol.messages import (
    REQUEST_TYPES,
    AnswerMessage,
    RequestMessage,
    decode_answer,
    encode_message,
    message_hash,
)
from protocol.messages.other import AckBody, AckMessage, MessageRejectBody, MessageRejectMessage
from protocol.messages.routed import LegMessage
from protocol.messages.transfer import (
    PrepareBody,
    PrepareMessage,
    ReceiptBody,
    ReceiptMessage,
    RejectBody,
    RejectMessage,
    StatusAnswerMessage,
    StatusMessage,
    TransferState,
)
from protocol.reasons import ReasonCode, is_final
from protocol.transfer_rules import answer_status, check_debit_caps

log = logging.getLogger("hourbridge.exchange")

COMMITTED = RemoteTransferState.COMMITTED
REJECTED = RemoteTransferState.REJECTED
UNKNOWN_EXPIRED = RemoteTransferState.UNKNOWN_EXPIRED


def new_id() -> str:
    """A fresh id in the standard's format (128 random bits)."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Context:
    """What every request handler may use: the transaction's sender, and when and under which
    directory it is decided."""

    sender: str
    transaction_id: str
    now_ms: int
    directory: Directory
    # Message hashes by message id (unique within a transaction), each computed once.
    digests: dict[str, str] = field(default_factory=dict)

    def digest(self, request: RequestMessage) -> str:
        found = self.digests.get(request.message_id)
        if found is None:
            found = self.digests[request.message_id] = message_hash(request)
        return found


@dataclass(frozen=True)
class Answer:
    message: AnswerMessage
    final: bool


# A handler for one request type: (conn, context, request) -> answer.
Handler = Callable[[Connection, Context, Any], Answer]
# Told about every prepare this node committed, in the same database transaction (a payment
# request is paid by a prepare that names it): (conn, context, prepare body) -> None.
CommitHook = Callable[[Connection, Context, PrepareBody], None]


def ack(request: RequestMessage) -> Answer:
    return Answer(AckMessage(message_id=new_id(), body=AckBody(in_reply_to=request.message_id)),
                  final=True)


def refuse(request: RequestMessage, reason: ReasonCode, detail: str,
           relocated_to: str | None = None, *, prepare_hash: str | None = None) -> Answer:
    """The refusal of `request`: transfer.reject for a prepare, message.reject otherwise."""
    detail = detail[:280]
    message: AnswerMessage
    if isinstance(request, PrepareMessage | LegMessage):
        message = RejectMessage(message_id=new_id(), body=RejectBody(
            in_reply_to=request.message_id, transfer_id=request.body.transfer_id,
            prepare_hash=prepare_hash or message_hash(request), reason=reason, detail=detail,
            relocated_to=relocated_to,
        ))
    else:
        message = MessageRejectMessage(message_id=new_id(), body=MessageRejectBody(
            in_reply_to=request.message_id, reason=reason, detail=detail,
        ))
    return Answer(message, final=is_final(reason))


_REMOTE = FastStatement(
    select(remote_transfers.c.prepare_hash, remote_transfers.c.state, remote_transfers.c.answer)
    .where(remote_transfers.c.debtor_node == bindparam("node"),
           remote_transfers.c.transfer_id == bindparam("tid"))
)
_INSERT_REMOTE = insert_row(remote_transfers)
_MEMBER = FastStatement(
    select(members.c.status, members.c.relocated_to).where(members.c.local_id == bindparam("id"))
)


def remote(conn: Connection, sender: str, transfer_id: str) -> Any | None:
    rows = _REMOTE.rows(conn, {"node": sender, "tid": transfer_id})
    return rows[0] if rows else None


def record_remote(conn: Connection, ctx: Context,
                  request: PrepareMessage | LegMessage | StatusMessage, *,
                  state: RemoteTransferState, answer: dict[str, Any] | None,
                  entry_height: int | None) -> None:
    prepare = request.body if isinstance(request, PrepareMessage | LegMessage) else None
    prepare_hash = (ctx.digest(request) if isinstance(request, PrepareMessage | LegMessage)
                    else request.body.prepare_hash)
    _INSERT_REMOTE.run(conn, RemoteTransferRow(
        debtor_node=ctx.sender, transfer_id=request.body.transfer_id,
        prepare_hash=prepare_hash, state=state,
        debtor=prepare.debtor if prepare else None,
        creditor=prepare.creditor if prepare else None,
        amount_minutes=prepare.amount_minutes if prepare else None,
        answer=None if answer is None else json.dumps(answer, separators=(",", ":")),
        entry_height=entry_height, transaction_id=ctx.transaction_id,
        received_at_ms=ctx.now_ms,
    ).values())


def check_creditor(conn: Connection, ctx: Context,
                   request: PrepareMessage | LegMessage) -> Answer | None:
    """The refusal of a transfer to a member here, or None: the creditor exists, may receive,
    and the sender's net debit toward this node stays within its cap."""
    body = request.body
    local_id = MemberAddress.parse(body.creditor).local_id
    rows = _MEMBER.rows(conn, {"id": local_id})
    if not rows:
        return refuse(request, ReasonCode.CREDITOR_UNKNOWN, f"no member {body.creditor}")
    member = rows[0]
    if member.relocated_to is not None:
        return refuse(request, ReasonCode.CREDITOR_RELOCATED,
                      f"{body.creditor} moved to {member.relocated_to}",
                      relocated_to=member.relocated_to)
    if member.status != MemberStatus.ACTIVE:
        return refuse(request, ReasonCode.CREDITOR_CANNOT_RECEIVE,
                      f"{body.creditor} is {member.status}")
    debtor_node = ctx.directory.node(ctx.sender)
    assert debtor_node is not None  # admission found the sender in the directory
    owed = -store.clearing_balance(conn, ctx.sender)
    reason = check_debit_caps(debtor_node, owed_to_partner_minutes=owed,
                              owed_overall_minutes=None, amount_minutes=body.amount_minutes)
    if reason is not None:
        return refuse(request, reason,
                      f"{ctx.sender} owes {owed} minutes here; its cap toward this node is "
                      f"{debtor_node.net_debit_cap_per_partner_minutes}")
    return None


# Request types of v1 that are reserved (standard §8.2): a statement travels in the
# reconciliation exchange and a checkpoint in the node report, never in a transaction, so a
# node answers these with a final refusal: the sender learns once and stops sending them.
RESERVED_TYPES = frozenset({"statement", "checkpoint"})


def reserved(conn: Connection, ctx: Context, request: RequestMessage) -> Answer:
    """A final refusal, stored like any final answer and repeated for the same message id."""
    return refuse(request, ReasonCode.UNSUPPORTED_MESSAGE_TYPE,
                  f"{request.type} is reserved in hourbridge/1: statements are exchanged by "
                  "reconciliation (§20), checkpoints in reports (§19)")


class RequestHandlers:
    """Answers requests by type. Relocation and payment requests register their own handlers;
    `require_complete` at start-up checks every request type of the standard has one."""

    def __init__(self, *, node_id: str, ledger: Ledger) -> None:
        self.node_id = node_id
        self.ledger = ledger
        self.handlers: dict[str, Handler] = {}
        self.commit_hooks: list[CommitHook] = []
        self.register("transfer.prepare", self._prepare)
        self.register("transfer.status", self._status)
        for message_type in sorted(RESERVED_TYPES):
            self.register(message_type, reserved)

    def register(self, message_type: str, handler: Handler) -> None:
        """One handler per request type of the standard; a second one is a wiring bug."""
        if message_type not in REQUEST_TYPES:
            raise InvariantViolation(f"{message_type} is not a request type of the standard")
        if message_type in self.handlers:
            raise InvariantViolation(f"a handler for {message_type} is registered already")
        self.handlers[message_type] = handler

    def require_complete(self) -> None:
        """Fail at start-up, naming them, if request types of the standard have no handler."""
        missing = sorted(REQUEST_TYPES - self.handlers.keys())
        if missing:
            raise InvariantViolation(f"no handler for request type(s) {', '.join(missing)}")

    def on_prepare_committed(self, hook: CommitHook) -> None:
        self.commit_hooks.append(hook)

    def answer_all(
        self, conn: Connection, ctx: Context, requests: list[RequestMessage],
        stateless: tuple[ReasonCode | None, ...],
    ) -> list[AnswerMessage]:
        stored = store.stored_answers(conn, ctx.sender, [m.message_id for m in requests])
        answers: list[AnswerMessage] = []
        to_store: list[InMessageRow] = []
        for request, reason in zip(requests, stateless, strict=True):
            digest = ctx.digest(request)
            previous = stored.get(request.message_id)
            if previous is not None:
                if previous.message_hash == digest:
                    answers.append(decode_answer(json.loads(previous.answer)))
                    continue
                answer = refuse(request, ReasonCode.MESSAGE_ID_CONFLICT,
                                f"message id {request.message_id} was used for other content")
                answers.append(answer.message)  # never stored: the first answer stays
                continue
            answer = self._answer_one(conn, ctx, request, reason)
            answers.append(answer.message)
            if answer.final:
                to_store.append(InMessageRow(
                    sender=ctx.sender, message_id=request.message_id, message_hash=digest,
                    answer=json.dumps(encode_message(answer.message), separators=(",", ":")),
                ))
        store.store_answers(conn, to_store)
        return answers

    def _answer_one(self, conn: Connection, ctx: Context, request: RequestMessage,
                    reason: ReasonCode | None) -> Answer:
        if reason is not None:
            answer = refuse(request, reason, f"refused: {reason.value}")
            if isinstance(request, PrepareMessage | LegMessage) and answer.final:
                self._remember_reject(conn, ctx, request, answer)
            return answer
        # require_complete ran at start-up: every request type decoded here has a handler.
        return self.handlers[request.type](conn, ctx, request)

    def _remember_reject(self, conn: Connection, ctx: Context,
                         request: PrepareMessage | LegMessage,
                         answer: Answer) -> None:
        """A final reject of a prepare also answers later status queries about the transfer."""
        if remote(conn, ctx.sender, request.body.transfer_id) is None:
            record_remote(conn, ctx, request, state=REJECTED,
                           answer=encode_message(answer.message)["body"], entry_height=None)

    # transfer.prepare ----------------------------------------------------------------------

    def _prepare(self, conn: Connection, ctx: Context, request: PrepareMessage) -> Answer:
        body = request.body
        held = remote(conn, ctx.sender, body.transfer_id)
        if held is not None:
            if held.state == UNKNOWN_EXPIRED:
                return refuse(request, ReasonCode.EXPIRED,
                              "this transfer was answered unknown_expired before")
            return refuse(request, ReasonCode.TRANSFER_ID_CONFLICT,
                          f"transfer id {body.transfer_id} is held with other content")
        answer = check_creditor(conn, ctx, request)
        if answer is not None:
            if answer.final:
                self._remember_reject(conn, ctx, request, answer)
            return answer
        entry = self.credit(conn, ctx, body)
        receipt = ReceiptBody(
            in_reply_to=request.message_id, transfer_id=body.transfer_id,
            prepare_hash=ctx.digest(request), creditor=body.creditor,
            amount_minutes=body.amount_minutes, committed_at_ms=ctx.now_ms,
        )
        record_remote(conn, ctx, request, state=COMMITTED,
                       answer=receipt.model_dump(mode="json"), entry_height=entry.height)
        for hook in self.commit_hooks:
            hook(conn, ctx, body)
        return Answer(ReceiptMessage(message_id=new_id(), body=receipt), final=True)

    def credit(self, conn: Connection, ctx: Context, body: PrepareBody) -> Any:
        """clearing -> member: the creditor's node takes the transfer (its commit point)."""
        clearing = store.ensure_clearing(conn, ctx.sender, ctx.now_ms)
        creditor = MemberAddress.parse(body.creditor)
        return self.ledger.post(
            conn, kind=EntryKind.TRANSFER_IN, ref=body.transfer_id, actor=body.debtor,
            memo=body.memo, now_ms=ctx.now_ms,
            legs=(Posting(clearing, body.credit_class, -body.amount_minutes),
                  Posting(member_account(creditor.local_id), body.credit_class,
                          body.amount_minutes)),
        )

    # transfer.status -----------------------------------------------------------------------

    def _status(self, conn: Connection, ctx: Context, request: StatusMessage) -> Answer:
        query = request.body
        held = remote(conn, ctx.sender, query.transfer_id)
        stored: ReceiptBody | RejectBody | None = None
        if held is not None and held.state == UNKNOWN_EXPIRED:
            if held.prepare_hash != query.prepare_hash:
                return refuse(request, ReasonCode.TRANSFER_ID_CONFLICT,
                              "the transfer id was answered for another prepare")
        elif held is not None:
            document = json.loads(held.answer)
            stored = (ReceiptBody.model_validate(document) if held.state == COMMITTED
                      else RejectBody.model_validate(document))
        try:
            body = answer_status(query, in_reply_to=request.message_id, stored=stored,
                                 now_ms=ctx.now_ms)
        except ProtocolError as exc:
            return refuse(request, exc.code, exc.detail)
        if body.state is TransferState.UNKNOWN_EXPIRED and held is None:
            # Binding: from now on a prepare with this transfer id is refused as expired.
            record_remote(conn, ctx, request, state=UNKNOWN_EXPIRED, answer=None,
                           entry_height=None)
        final = body.state is not TransferState.UNKNOWN
        return Answer(StatusAnswerMessage(message_id=new_id(), body=body), final=final)
