"""Transactions (a signed batch of requests on one directed link) and their signed responses.

The transaction hash identifies a transaction in the link's hash chain and in its response. It
is SHA-256 over the RFC 8785 bytes of the transaction without `signatures`, `unsigned` and
`created_at_ms`. Leaving the signing time out lets a sender re-sign an unanswered transaction
with a fresh time (after the skew bound passed) without changing its identity or the chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, model_validator

from protocol.canonical import canonical_bytes, sha256_hex
from protocol.errors import DecodeError
from protocol.fields import Hash, Id, Model, NodeId, Signatures, TimeMs
from protocol.fields import Sequence as SequenceInt
from protocol.messages import (
    ANSWER_TYPES,
    REQUEST_TYPES,
    AnswerMessage,
    RequestMessage,
    check_message_type,
    encode_message,
)
from protocol.reasons import ReasonCode
from protocol.signing import UNSIGNED_MEMBERS, SigningKey, sign_object
from protocol.version import STANDARD

# The standard's hard ceiling; a federation's policy.batch_size_max sits at or below it.
BATCH_SIZE_LIMIT = 1_000
HASH_EXCLUDED_MEMBERS = (*UNSIGNED_MEMBERS, "created_at_ms")

_Request = Annotated[RequestMessage, Field(discriminator="type")]
_Answer = Annotated[AnswerMessage, Field(discriminator="type")]


def _unique_ids(ids: Sequence[str]) -> None:
    if len(set(ids)) != len(ids):
        raise ValueError("message ids must be unique within a batch")


class Transaction(Model):
    # The hash is asked for at every step (chain, storage, response binding); compute it once.
    _hash: str | None = PrivateAttr(default=None)

    standard: Literal["hourbridge/1"]
    kind: Literal["transaction"]
    transaction_id: Id
    sender: NodeId
    receiver: NodeId
    sequence: SequenceInt
    prev_hash: Hash
    created_at_ms: TimeMs
    messages: list[_Request] = Field(min_length=1, max_length=BATCH_SIZE_LIMIT)
    signatures: Signatures

    @model_validator(mode="after")
    def _check(self) -> Transaction:
        if self.sender == self.receiver:
            raise ValueError("sender and receiver must differ")
        _unique_ids([message.message_id for message in self.messages])
        return self

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def transaction_hash(self) -> str:
        if self._hash is None:
            self._hash = transaction_hash(self.to_json())
        return self._hash


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"


class Response(Model):
    standard: Literal["hourbridge/1"]
    kind: Literal["response"]
    transaction_id: Id
    transaction_hash: Hash
    sender: NodeId
    receiver: NodeId
    created_at_ms: TimeMs
    outcome: Outcome
    reason: ReasonCode | None
    messages: list[_Answer] = Field(max_length=BATCH_SIZE_LIMIT)
    signatures: Signatures

    @model_validator(mode="after")
    def _check(self) -> Response:
        if self.sender == self.receiver:
            raise ValueError("sender and receiver must differ")
        if (self.outcome is Outcome.REFUSED) != (self.reason is not None):
            raise ValueError("reason is set exactly when the outcome is refused")
        if self.outcome is Outcome.REFUSED and self.messages:
            raise ValueError("a refused transaction has no answers")
        _unique_ids([message.message_id for message in self.messages])
        return self

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def transaction_hash(document: dict[str, Any]) -> str:
    content = {k: v for k, v in document.items() if k not in HASH_EXCLUDED_MEMBERS}
    return sha256_hex(canonical_bytes(content))


def _check_types(obj: object, allowed: frozenset[str]) -> None:
    messages = obj.get("messages") if isinstance(obj, dict) else None
    if isinstance(messages, list):
        for message in messages:
            check_message_type(message, allowed)


def decode_transaction(obj: object) -> Transaction:
    _check_types(obj, REQUEST_TYPES)
    try:
        return Transaction.model_validate(obj)
    except ValidationError as exc:
        raise DecodeError(ReasonCode.MALFORMED, str(exc)) from exc


def decode_response(obj: object) -> Response:
    _check_types(obj, ANSWER_TYPES)
    try:
        return Response.model_validate(obj)
    except ValidationError as exc:
        raise DecodeError(ReasonCode.MALFORMED, str(exc)) from exc


def build_transaction(
    *,
    transaction_id: str,
    sender: str,
    receiver: str,
    sequence: int,
    prev_hash: str,
    created_at_ms: int,
    messages: Sequence[RequestMessage | dict[str, Any]],
    key: SigningKey,
) -> Transaction:
    """Sign a batch of requests as the sender's next transaction on the link.

    A message may be given as its model or as its JSON value (as a sender stored it in its
    outbox); either way the signed transaction is decoded, so every message is validated."""
    unsigned = {
        "standard": STANDARD,
        "kind": "transaction",
        "transaction_id": transaction_id,
        "sender": sender,
        "receiver": receiver,
        "sequence": sequence,
        "prev_hash": prev_hash,
        "created_at_ms": created_at_ms,
        "messages": [m if isinstance(m, dict) else encode_message(m) for m in messages],
    }
    return decode_transaction(sign_object(unsigned, signer=sender, key=key))


def build_response(
    *,
    request: Transaction,
    created_at_ms: int,
    answers: Sequence[AnswerMessage],
    reason: ReasonCode | None,
    key: SigningKey,
) -> Response:
    """Sign the answer to `request`: its answers in order, or a refusal with `reason`."""
    unsigned = {
        "standard": STANDARD,
        "kind": "response",
        "transaction_id": request.transaction_id,
        "transaction_hash": request.transaction_hash(),
        "sender": request.receiver,
        "receiver": request.sender,
        "created_at_ms": created_at_ms,
        "outcome": (Outcome.ACCEPTED if reason is None else Outcome.REFUSED).value,
        "reason": None if reason is None else reason.value,
        "messages": [encode_message(answer) for answer in answers],
    }
    return decode_response(sign_object(unsigned, signer=request.receiver, key=key))
