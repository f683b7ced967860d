"""Every message type of the standard, and decoding a message object into its model.

A message is `{"type": ..., "message_id": ..., "body": {...}}`. Requests travel in
transactions; answers travel in responses, one answer per request, in the same order.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from protocol.canonical import canonical_bytes, sha256_hex
from protocol.errors import DecodeError
from protocol.messages.documents import CheckpointMessage, StatementMessage
from protocol.messages.other import (
    AckMessage,
    MessageRejectMessage,
    PaymentDeclineMessage,
    PaymentRequestMessage,
    RelocationMessage,
    RelocationReceiptMessage,
)
from protocol.messages.routed import DeliveredMessage, ForwardingMessage, LegMessage
from protocol.messages.transfer import (
    PrepareMessage,
    ReceiptMessage,
    RejectMessage,
    StatusAnswerMessage,
    StatusMessage,
)
from protocol.reasons import ReasonCode

RequestMessage = (
    PrepareMessage
    | StatusMessage
    | RelocationMessage
    | PaymentRequestMessage
    | PaymentDeclineMessage
    | StatementMessage
    | CheckpointMessage
    | LegMessage
)
AnswerMessage = (
    ReceiptMessage
    | RejectMessage
    | StatusAnswerMessage
    | RelocationReceiptMessage
    | AckMessage
    | MessageRejectMessage
    | ForwardingMessage
    | DeliveredMessage
)
Message = RequestMessage | AnswerMessage

# Which answer types may answer which request type.
ANSWERS_FOR: dict[str, frozenset[str]] = {
    "transfer.prepare": frozenset({"transfer.receipt", "transfer.reject"}),
    "transfer.status": frozenset({"transfer.status_answer", "message.reject"}),
    "relocation.prepare": frozenset({"relocation.receipt", "message.reject"}),
    "payment.request": frozenset({"message.ack", "message.reject"}),
    "payment.decline": frozenset({"message.ack", "message.reject"}),
    "statement": frozenset({"message.ack", "message.reject"}),
    "checkpoint": frozenset({"message.ack", "message.reject"}),
    # Revision 1.4 (§22.4): a leg of a routed transfer.
    "transfer.leg": frozenset({"transfer.delivered", "transfer.forwarding", "transfer.reject"}),
}
REQUEST_TYPES = frozenset(ANSWERS_FOR)
ANSWER_TYPES = frozenset().union(*ANSWERS_FOR.values())

_REQUEST: TypeAdapter[RequestMessage] = TypeAdapter(
    Annotated[RequestMessage, Field(discriminator="type")]
)
_ANSWER: TypeAdapter[AnswerMessage] = TypeAdapter(
    Annotated[AnswerMessage, Field(discriminator="type")]
)


def check_message_type(obj: object, allowed: frozenset[str]) -> None:
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise DecodeError(ReasonCode.MALFORMED, "a message is an object with a string type")
    if obj["type"] not in allowed:
        raise DecodeError(
            ReasonCode.UNSUPPORTED_MESSAGE_TYPE, f"message type {obj['type']!r} not allowed here"
        )


def decode_request(obj: object) -> RequestMessage:
    check_message_type(obj, REQUEST_TYPES)
    try:
        return _REQUEST.validate_python(obj)
    except ValidationError as exc:
        raise DecodeError(ReasonCode.MALFORMED, str(exc)) from exc


def decode_answer(obj: object) -> AnswerMessage:
    check_message_type(obj, ANSWER_TYPES)
    try:
        return _ANSWER.validate_python(obj)
    except ValidationError as exc:
        raise DecodeError(ReasonCode.MALFORMED, str(exc)) from exc


def encode_message(message: Message) -> dict[str, Any]:
    """The JSON value of a message: every field present, nulls explicit."""
    return message.model_dump(mode="json")


def message_hash(message: Message) -> str:
    """SHA-256 of the message's canonical bytes; a prepare's hash is its `prepare_hash`."""
    return sha256_hex(canonical_bytes(encode_message(message)))
