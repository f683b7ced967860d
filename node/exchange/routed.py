"""Legs of transfers routed through hubs (standard §22.4), at the hub and at the end.

    a leg arrives, this node the creditor's    credit the creditor (clearing -> member), answer
                                               `transfer.delivered` with our signed end receipt
    a leg arrives, this node a hub             reserve the next leg from our hours in passage
                                               (transit -> pending), queue it to the next hop,
                                               answer `transfer.forwarding` (not final)
    the next leg is answered                   answers.py settles it like any transfer of ours
                                               (pending -> clearing, or pending -> transit)
    the same leg arrives again                 answered from what we hold: still forwarding,
                                               or now final: delivered (clearing -> transit,
                                               with the end receipt unchanged) or refused

The previous hop's leg settles here only when it is asked again, in a transaction on its own
link: the transaction that brings our final answer is the one both sides record (window
membership, docs/reconciliation.md), and nothing settles on a link outside its chain.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from node.db.fast import FastStatement, insert_row
from node.db.rows import TransferRow
from node.db.schema import transfers
from node.exchange import store
from node.exchange.answers import AnswerContext, AnswerHandlers, Applied
from node.exchange.capabilities import PeerCapabilities
from node.exchange.requests import (
    Answer,
    Context,
    RequestHandlers,
    check_creditor,
    new_id,
    record_remote,
    refuse,
    remote,
)
from node.keyring import Signer
from node.ledger.journal import Ledger
from node.ledger.model import AccountKind, EntryKind, Posting
from node.linkmap import LinkMapService
from node.states import RemoteTransferState, TransferState
from protocol.canonical import canonical_bytes, sha256_hex
from protocol.capabilities import TRANSFER_HUBS
from protocol.messages import AnswerMessage, encode_message, message_hash
from protocol.messages.routed import (
    DeliveredBody,
    DeliveredMessage,
    ForwardingBody,
    ForwardingMessage,
    LegBody,
    LegMessage,
)
from protocol.messages.transfer import RejectBody, RejectMessage
from protocol.reasons import ReasonCode
from protocol.routed import (
    end_receipt,
    leg_expired,
    link_cap,
    links_on_path,
    next_leg,
    read_delivered,
)
from protocol.transfer_findings import NotYet
from protocol.transfer_machine import Event, LegAnswered, RejectArrived
from protocol.transfer_rules import check_debit_caps

log = logging.getLogger("hourbridge.exchange")

_TRANSIT = str(AccountKind.TRANSIT)
_INSERT_TRANSFER = insert_row(transfers)
_FORWARD = FastStatement(select(transfers).where(transfers.c.wire_id == bindparam("w")))


class RoutedHandlers:
    """`transfer.leg` in (a hub's or the creditor node's answer) and the answers to our legs."""

    def __init__(self, *, node_id: str, ledger: Ledger, signer: Signer,
                 link_maps: LinkMapService, capabilities: PeerCapabilities) -> None:
        self.node_id = node_id
        self.capabilities = capabilities
        self.ledger = ledger
        self.signer = signer
        self.link_maps = link_maps
        self.requests: RequestHandlers | None = None
        self.answers: AnswerHandlers | None = None

    def install(self, requests: RequestHandlers, answers: AnswerHandlers) -> None:
        self.requests, self.answers = requests, answers
        requests.register("transfer.leg", self._leg)
        answers.register("transfer.leg", self._on_answer)

    # a leg arrives ------------------------------------------------------------------------

    def _leg(self, conn: Connection, ctx: Context, request: LegMessage) -> Answer:
        body, digest = request.body, ctx.digest(request)
        held = remote(conn, ctx.sender, body.transfer_id)
        if held is not None:
            return self._answered_before(request, digest, held)
        rows = _FORWARD.rows(conn, {"w": body.transfer_id})
        if not rows and leg_expired(body, now_ms=ctx.now_ms):
            return self._remembered(conn, ctx, request, refuse(
                request, ReasonCode.EXPIRED, "the leg expired before it arrived"))
        if body.last:
            return self._end(conn, ctx, request)
        if not rows:
            return self._forward(conn, ctx, request)
        row = rows[0]
        if row.forwarded_from != ctx.sender or row.request_hash != digest:
            return refuse(request, ReasonCode.TRANSFER_ID_CONFLICT,
                          f"transfer id {body.transfer_id} is held with other content")
        if row.state in (TransferState.PENDING, TransferState.IN_DOUBT):
            return _forwarding(request, digest, row.peer_node_id, ctx.now_ms)
        return self._settle_upstream(conn, ctx, request, row)

    @staticmethod
    def _answered_before(request: LegMessage, digest: str, held: Any) -> Answer:
        """A leg we settled before, asked again (another message id, or after a restart)."""
        if held.prepare_hash != digest:
            return refuse(request, ReasonCode.TRANSFER_ID_CONFLICT,
                          f"transfer id {request.body.transfer_id} is held with other content")
        if held.state == RemoteTransferState.COMMITTED:
            stored = DeliveredBody.model_validate(json.loads(held.answer))
            return _delivered(request, digest, stored.end)
        if held.state == RemoteTransferState.REJECTED:
            stored_reject = RejectBody.model_validate(json.loads(held.answer))
            return refuse(request, stored_reject.reason, stored_reject.detail,
                          stored_reject.relocated_to, prepare_hash=digest)
        return refuse(request, ReasonCode.EXPIRED, "this transfer was answered unknown_expired")

    def _end(self, conn: Connection, ctx: Context, request: LegMessage) -> Answer:
        """We are the creditor's node: the whole transfer's commit point."""
        assert self.requests is not None  # installed at start-up
        refused = check_creditor(conn, ctx, request) or self._over_link_cap(conn, ctx, request)
        if refused is not None:
            return self._remembered(conn, ctx, request, refused)
        entry = self.requests.credit(conn, ctx, request.body)
        end = end_receipt(request.body, node_id=self.node_id, key=self.signer.key(),
                          committed_at_ms=ctx.now_ms)
        answer = _delivered(request, ctx.digest(request), end)
        record_remote(conn, ctx, request, state=RemoteTransferState.COMMITTED,
                      answer=encode_message(answer.message)["body"], entry_height=entry.height)
        for hook in self.requests.commit_hooks:
            hook(conn, ctx, request.body)
        return answer

    def _forward(self, conn: Connection, ctx: Context, request: LegMessage) -> Answer:
        """We are a hub on the path: reserve and queue the next leg, or refuse this one."""
        body = request.body
        link_map = self.link_maps.current()
        if not links_on_path(link_map, body.path):
            # Temporary: our map may be older than the debtor's; its next serial may have it.
            return refuse(request, ReasonCode.RECEIVER_UNAVAILABLE,
                          f"the link map this hub holds has no route {'-'.join(body.path)}")
        refused = self._over_link_cap(conn, ctx, request)
        if refused is not None:
            return refused
        leg = next_leg(body, now_ms=ctx.now_ms, policy=ctx.directory.policy)
        if leg is None:
            return self._remembered(conn, ctx, request, refuse(
                request, ReasonCode.EXPIRED, "too little time left to send the next leg"))
        onward = leg.receiver
        assert link_map is not None  # links_on_path is False without one
        over = self._own_caps(conn, ctx, onward, body.amount_minutes)
        if over is not None:
            return refuse(request, over[0], over[1])
        if store.link(conn, onward).frozen_reason is not None:
            return refuse(request, ReasonCode.RECEIVER_UNAVAILABLE,
                          f"this hub's link with {onward} is frozen")
        if not self.capabilities.announces(onward, TRANSFER_HUBS):
            # Temporary, like a missing route: nothing is reserved, the sender asks again, and
            # the leg goes on once the next hop is read to announce it (§16.2, §22.4).
            return refuse(request, ReasonCode.RECEIVER_UNAVAILABLE,
                          f"{onward}, the next hop, has not announced {TRANSFER_HUBS} to this hub")
        self._reserve(conn, ctx, request, leg)
        return _forwarding(request, ctx.digest(request), onward, ctx.now_ms)

    def _reserve(self, conn: Connection, ctx: Context, request: LegMessage,
                 leg: LegBody) -> None:
        body = request.body
        entry = self.ledger.post(
            conn, kind=EntryKind.TRANSFER_OUT, ref=body.transfer_id, actor=body.debtor,
            memo=body.memo, now_ms=ctx.now_ms,
            legs=(Posting(_TRANSIT, body.credit_class, -body.amount_minutes),
                  Posting(str(AccountKind.PENDING), body.credit_class, body.amount_minutes)))
        message = LegMessage(message_id=new_id(), body=leg)
        wire = encode_message(message)
        _INSERT_TRANSFER.run(conn, TransferRow(
            id=new_id(), debtor=body.debtor, creditor=body.creditor,
            amount_minutes=body.amount_minutes, memo=body.memo, state=TransferState.PENDING,
            reason_code=None, request_hash=ctx.digest(request), entry_height=entry.height,
            actor=body.debtor, created_at_ms=ctx.now_ms, updated_at_ms=ctx.now_ms,
            peer_node_id=leg.receiver, wire_id=body.transfer_id, message_id=message.message_id,
            prepare_hash=sha256_hex(canonical_bytes(wire)), credit_class=body.credit_class.value,
            purpose=body.purpose.value, payment_request_id=body.payment_request_id,
            expires_at_ms=leg.expires_at_ms, route=json.dumps(body.path),
            forwarded_from=ctx.sender,
        ).values())
        store.add_reserved(conn, leg.receiver, body.amount_minutes)
        store.enqueue(conn, peer=leg.receiver, message=wire, now_ms=ctx.now_ms)

    def _settle_upstream(self, conn: Connection, ctx: Context, request: LegMessage,
                         row: Any) -> Answer:
        """The next leg is final: so is this one, now, on this link's chain."""
        body, digest = request.body, ctx.digest(request)
        if row.state == TransferState.COMMITTED:
            clearing = store.ensure_clearing(conn, ctx.sender, ctx.now_ms)
            entry = self.ledger.post(
                conn, kind=EntryKind.TRANSFER_IN, ref=body.transfer_id, actor=body.debtor,
                memo=body.memo, now_ms=ctx.now_ms,
                legs=(Posting(clearing, body.credit_class, -body.amount_minutes),
                      Posting(_TRANSIT, body.credit_class, body.amount_minutes)))
            end = DeliveredBody.model_validate(json.loads(row.final_answer)).end
            answer = _delivered(request, digest, end)
            record_remote(conn, ctx, request, state=RemoteTransferState.COMMITTED,
                          answer=encode_message(answer.message)["body"],
                          entry_height=entry.height)
            return answer
        if row.state == TransferState.REJECTED:
            onward = RejectBody.model_validate(json.loads(row.final_answer))
            refused = refuse(request, onward.reason, f"{row.peer_node_id}: {onward.detail}",
                             onward.relocated_to, prepare_hash=digest)
        else:  # expired: the next hop never took the next leg
            refused = refuse(request, ReasonCode.EXPIRED,
                             f"{row.peer_node_id} never took the next leg before it expired",
                             prepare_hash=digest)
        return self._remembered(conn, ctx, request, refused)

    def _own_caps(self, conn: Connection, ctx: Context, onward: str,
                  amount: int) -> tuple[ReasonCode, str] | None:
        """What this hub may owe `onward`: its cap on their link in the map, and its caps in
        the directory toward that partner and the whole federation, as for its own transfers."""
        link_map = self.link_maps.current()
        assert link_map is not None  # only a hub holding a map forwards
        cap = link_cap(link_map, debtor=self.node_id, creditor=onward)
        owed = store.owed_to(conn, onward)
        if cap is None or owed + amount > cap:
            return (ReasonCode.PARTNER_CAP_EXCEEDED,
                    f"this hub owes {owed} minutes to {onward}; its link cap is {cap}")
        me = ctx.directory.node(self.node_id)
        assert me is not None  # a node answers only while the directory it holds lists it
        reason = check_debit_caps(me, owed_to_partner_minutes=owed,
                                  owed_overall_minutes=store.owed_to(conn, None),
                                  amount_minutes=amount)
        if reason is not None:
            return reason, f"this hub's net debit is at its {reason.value.replace('_', ' ')}"
        return None

    def _over_link_cap(self, conn: Connection, ctx: Context,
                       request: LegMessage) -> Answer | None:
        """What the sender may owe us: the link map's cap, when we hold a map, and its
        directory cap toward us (check_creditor applies that one at the creditor's node)."""
        link_map = self.link_maps.current()
        if link_map is None:
            return None
        cap = link_cap(link_map, debtor=ctx.sender, creditor=self.node_id)
        owed = -store.clearing_balance(conn, ctx.sender)
        sender = ctx.directory.node(ctx.sender)
        assert sender is not None  # admission found the sender in the directory
        if check_debit_caps(sender, owed_to_partner_minutes=owed, owed_overall_minutes=None,
                            amount_minutes=request.body.amount_minutes) is not None:
            return refuse(request, ReasonCode.PARTNER_CAP_EXCEEDED,
                          f"{ctx.sender} owes {owed} minutes here; its cap toward this node is "
                          f"{sender.net_debit_cap_per_partner_minutes}")
        if cap is not None and owed + request.body.amount_minutes <= cap:
            return None
        return refuse(request, ReasonCode.PARTNER_CAP_EXCEEDED,
                      f"{ctx.sender} owes {owed} minutes here; its link cap is {cap}")

    @staticmethod
    def _remembered(conn: Connection, ctx: Context, request: LegMessage,
                    answer: Answer) -> Answer:
        """A final refusal also answers the same transfer asked again later."""
        if answer.final:
            record_remote(conn, ctx, request, state=RemoteTransferState.REJECTED,
                          answer=encode_message(answer.message)["body"], entry_height=None)
        return answer

    # the answer to one of our legs ----------------------------------------------------------

    def _on_answer(self, conn: Connection, ctx: AnswerContext, request: LegMessage,
                   answer: AnswerMessage) -> Applied:
        assert self.answers is not None  # installed at start-up
        event: Event
        if isinstance(answer, DeliveredMessage):
            directory = self.link_maps.federation.require_current()
            # Our leg's hash is the hash of the message we sent (the row stores the same).
            event = LegAnswered(read_delivered(request.body, message_hash(request),
                                               answer.body, directory=directory))
        elif isinstance(answer, ForwardingMessage):
            event = LegAnswered(NotYet(resend_prepare=True))
        else:
            assert isinstance(answer, RejectMessage)  # admit_response checked the answer type
            event = RejectArrived(answer.body)
        return self.answers.feed(conn, ctx, request.body.transfer_id, event,
                                 request.message_id)


def _forwarding(request: LegMessage, digest: str, onward: str, now_ms: int) -> Answer:
    return Answer(ForwardingMessage(message_id=new_id(), body=ForwardingBody(
        in_reply_to=request.message_id, transfer_id=request.body.transfer_id,
        prepare_hash=digest, next_hop=onward, as_of_ms=now_ms)), final=False)


def _delivered(request: LegMessage, digest: str, end: Any) -> Answer:
    return Answer(DeliveredMessage(message_id=new_id(), body=DeliveredBody(
        in_reply_to=request.message_id, transfer_id=request.body.transfer_id,
        prepare_hash=digest, end=end)), final=True)
