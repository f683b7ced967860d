"""The kit as a receiver (§5.4, §6.3, §9.2): it admits the target's transactions with protocol/
exactly as a conforming node must, and answers them, so the target can pay a member of the kit.

Its script, per transaction: the first delivery is refused `receiver_unavailable` (temporary),
to see the target send the same transaction again (§6.3); the retry is accepted. A prepare to
REFUSED_MEMBER gets a final `creditor_unknown` reject; any other prepare that passes §9.2's
stateless checks, a receipt. A status query is answered from what the kit answered.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from node.conformance.peer import Peer, new_id
from protocol.canonical import canonical_bytes
from protocol.chain import ChainVerdict, LinkState, check_chain
from protocol.envelope import admit_transaction
from protocol.errors import ProtocolError
from protocol.merkle import TransferLeaf
from protocol.messages import AnswerMessage, RequestMessage, message_hash
from protocol.messages.other import MessageRejectBody, MessageRejectMessage
from protocol.messages.transfer import (
    PrepareMessage,
    ReceiptBody,
    ReceiptMessage,
    RejectBody,
    RejectMessage,
    StatusAnswerMessage,
    StatusMessage,
)
from protocol.reasons import ReasonCode
from protocol.transaction import Transaction, build_response
from protocol.transfer_rules import answer_status, check_prepare

REFUSED_MEMBER = "no-such-member"  # the kit's member who does not exist
BODY_BYTES_MAX = 4_194_304  # the standard's largest transaction_bytes_max
Reply = tuple[int, bytes]


def problem(status: int, reason: ReasonCode, detail: str) -> Reply:
    return status, json.dumps({"status": status, "reason": reason.value, "detail": detail,
                               "title": reason.value.replace("_", " ")}).encode()


class KitReceiver:
    """The kit's incoming chain from the target, held in memory; thread-safe."""

    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        self.link = LinkState()
        self.lock = threading.Lock()
        self.stored: dict[str, tuple[str, bytes]] = {}  # transaction id -> (hash, response)
        self.answers: dict[str, ReceiptBody | RejectBody] = {}  # by transfer id
        self.deliveries: list[tuple[str, str]] = []  # (transaction id, hash), as they came
        self.refused_once: set[str] = set()
        self.errors: list[str] = []  # what the target sent that a conforming node would not
        self.leaves: list[TransferLeaf] = []  # the transfers the kit committed

    def receive(self, raw: bytes) -> Reply:
        with self.lock:
            try:
                transaction = admit_transaction(raw, directory=self.peer.directory,
                                                receiver=self.peer.kit_id,
                                                now_ms=self.peer.now_ms())
            except ProtocolError as exc:
                self.errors.append(f"refused {exc.code}: {exc.detail}")
                return problem(422, exc.code, exc.detail)
            return self._chained(transaction)

    def _chained(self, transaction: Transaction) -> Reply:
        tx_hash = transaction.transaction_hash()
        self.deliveries.append((transaction.transaction_id, tx_hash))
        stored = self.stored.get(transaction.transaction_id)
        try:
            verdict = check_chain(self.link, transaction,
                                  stored_hash=None if stored is None else stored[0])
        except ProtocolError as exc:
            self.errors.append(f"refused {exc.code}: {exc.detail}")
            return 200, self._respond(transaction, [], exc.code)
        if verdict is ChainVerdict.REPEAT and stored is not None:
            return 200, stored[1]
        if transaction.transaction_id not in self.refused_once:
            self.refused_once.add(transaction.transaction_id)
            return problem(503, ReasonCode.RECEIVER_UNAVAILABLE, "the kit asks for a retry")
        body = self._respond(transaction, [self._answer(transaction, m)
                                           for m in transaction.messages], None)
        self.stored[transaction.transaction_id] = (tx_hash, body)
        self.link = self.link.advance(transaction)
        return 200, body

    def _respond(self, transaction: Transaction, answers: list[AnswerMessage],
                 reason: ReasonCode | None) -> bytes:
        response = build_response(request=transaction, created_at_ms=self.peer.now_ms(),
                                  answers=answers, reason=reason, key=self.peer.key)
        return canonical_bytes(response.to_json())

    def _answer(self, transaction: Transaction, message: RequestMessage) -> AnswerMessage:
        if isinstance(message, StatusMessage):
            return StatusAnswerMessage(message_id=new_id(), body=answer_status(
                message.body, in_reply_to=message.message_id,
                stored=self.answers.get(message.body.transfer_id), now_ms=self.peer.now_ms()))
        if not isinstance(message, PrepareMessage):
            return MessageRejectMessage(message_id=new_id(), body=MessageRejectBody(
                in_reply_to=message.message_id, reason=ReasonCode.UNSUPPORTED_MESSAGE_TYPE,
                detail="the conformance kit only receives transfers"))
        return self._prepare(transaction, message)

    def _prepare(self, transaction: Transaction, message: PrepareMessage) -> AnswerMessage:
        body, prepare_hash = message.body, message_hash(message)
        reason = check_prepare(body, sender=transaction.sender, receiver=self.peer.kit_id,
                               now_ms=self.peer.now_ms(), policy=self.peer.policy)
        if reason is None and body.creditor.split("@")[0] == REFUSED_MEMBER:
            reason = ReasonCode.CREDITOR_UNKNOWN
        if reason is not None:
            reject = RejectBody(in_reply_to=message.message_id, transfer_id=body.transfer_id,
                                prepare_hash=prepare_hash, reason=reason,
                                detail="conformance kit", relocated_to=None)
            self.answers[body.transfer_id] = reject
            return RejectMessage(message_id=new_id(), body=reject)
        receipt = ReceiptBody(in_reply_to=message.message_id, transfer_id=body.transfer_id,
                              prepare_hash=prepare_hash, creditor=body.creditor,
                              amount_minutes=body.amount_minutes,
                              committed_at_ms=self.peer.now_ms())
        self.answers[body.transfer_id] = receipt
        self.leaves.append(TransferLeaf(transaction.sender, body.transfer_id,
                                        body.amount_minutes, prepare_hash))
        return ReceiptMessage(message_id=new_id(), body=receipt)


def _handler(receiver: KitReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return  # the kit's table reports what matters

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if self.path.rstrip("/").endswith("/federation/v1/transactions") \
                    and 0 < length <= BODY_BYTES_MAX:
                status, body = receiver.receive(self.rfile.read(length))
            else:  # the kit does not close windows for the target, nor take other requests
                status, body = problem(503, ReasonCode.RECEIVER_UNAVAILABLE,
                                       "the conformance kit answers transactions only")
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def listening(receiver: KitReceiver, host: str, port: int) -> Iterator[None]:
    """Serve the kit's federation API on (host, port) in a thread while the block runs."""
    server = ThreadingHTTPServer((host, port), _handler(receiver))
    thread = threading.Thread(target=server.serve_forever, name="conformance-kit",
                              daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
