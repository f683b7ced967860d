"""Response vectors (standard §6.4): how the original sender binds a response to its request.

`positive/pins/answer_ids_free.json`: a response to a two-request transaction whose answers'
message ids are the answering node's own choice (§8: nothing derives them from the request's),
to admit as the answer to `request_wire_hex`. `negative/response/<name>.json`: responses to the
same request that must be refused with `expected_reason`.
"""

from __future__ import annotations

from typing import Any

from protocol.conformance.fixtures import HASH_A, RECEIVER, SENDER, T0_MS, vector_key
from protocol.conformance.samples import sample_answer, sample_requests
from protocol.conformance.vectors import signed_vector
from protocol.directory import Directory
from protocol.envelope import admit_response
from protocol.errors import ProtocolError
from protocol.fields import GENESIS_HASH
from protocol.messages import AnswerMessage, encode_message
from protocol.reasons import FINALITY, ReasonCode
from protocol.signing import sign_object
from protocol.transaction import (
    Transaction,
    build_response,
    build_transaction,
    decode_transaction,
)
from protocol.wire import parse_object, wire_bytes

ANSWERED_AT_MS = T0_MS + 1_000
# Ids the answering node chose: unrelated to the requests' ids and in no particular order.
FREE_ANSWER_IDS = ("zz-answer-0002", "0000-answer-1")


def request() -> Transaction:
    """sh-pudong's transaction carrying a status query and a payment decline."""
    status, decline = sample_requests()[1], sample_requests()[4]
    return build_transaction(
        transaction_id="tx-two-requests", sender=SENDER, receiver=RECEIVER, sequence=1,
        prev_hash=GENESIS_HASH, created_at_ms=T0_MS, messages=[status, decline],
        key=vector_key(SENDER))


def _answers(transaction: Transaction) -> list[AnswerMessage]:
    status, decline = transaction.messages
    kinds = ("transfer.status_answer", "message.ack")
    return [sample_answer(message, kind=kind).model_copy(update={"message_id": answer_id})
            for message, kind, answer_id in zip((status, decline), kinds, FREE_ANSWER_IDS,
                                                strict=True)]


def free_answer_ids_vector() -> dict[str, Any]:
    transaction = request()
    response = build_response(request=transaction, created_at_ms=ANSWERED_AT_MS,
                              answers=_answers(transaction), reason=None,
                              key=vector_key(RECEIVER))
    vector = signed_vector("answer_ids_free", response.to_json(), signer=RECEIVER,
                           key_name=RECEIVER, schema="response.schema.json")
    vector["request_wire_hex"] = wire_bytes(transaction.to_json()).hex()
    return vector


def _signed(transaction: Transaction, answers: list[dict[str, Any]], **changes: Any) -> bytes:
    """nj-gulou's response to `transaction` carrying `answers` as given (no model checks)."""
    document = build_response(request=transaction, created_at_ms=ANSWERED_AT_MS,
                              answers=_answers(transaction), reason=None,
                              key=vector_key(RECEIVER)).to_json()
    document = {k: v for k, v in document.items() if k != "signatures"}
    document.update(messages=answers, **changes)
    return wire_bytes(sign_object(document, signer=RECEIVER, key=vector_key(RECEIVER)))


def response_negative_vectors() -> dict[str, dict[str, Any]]:
    transaction = request()
    good = [encode_message(answer) for answer in _answers(transaction)]
    repeated = [good[0], {**good[1], "message_id": good[0]["message_id"]}]
    elsewhere = [good[0], {**good[1], "body": {"in_reply_to": good[0]["body"]["in_reply_to"]}}]

    def case(description: str, wire: bytes, expected: ReasonCode) -> dict[str, Any]:
        return {"description": description, "wire_hex": wire.hex(),
                "request_wire_hex": wire_bytes(transaction.to_json()).hex(),
                "expected_reason": expected.value, "expected_finality": FINALITY[expected].value}

    return {
        "answer_ids_repeated": case(
            "two answers with one message id (§6.4: unique within the response)",
            _signed(transaction, repeated), ReasonCode.MALFORMED),
        "answer_in_reply_to_other": case(
            "the second answer's in_reply_to names the first request",
            _signed(transaction, elsewhere), ReasonCode.RESPONSE_MISMATCH),
        "answers_out_of_order": case(
            "the two answers in the opposite order of the requests",
            _signed(transaction, good[::-1]), ReasonCode.RESPONSE_MISMATCH),
        "answers_fewer_than_requests": case(
            "one answer for two requests", _signed(transaction, good[:1]),
            ReasonCode.RESPONSE_MISMATCH),
        "answer_to_other_transaction": case(
            "a response naming another transaction hash",
            _signed(transaction, good, transaction_hash=HASH_A), ReasonCode.RESPONSE_MISMATCH),
    }


def run_response_vector(vector: dict[str, Any], directory: Directory) -> ReasonCode | None:
    """The reason the original sender refuses the response with, or None if it admits it."""
    sent = decode_transaction(parse_object(bytes.fromhex(vector["request_wire_hex"]),
                                           bytes_max=directory.policy.transaction_bytes_max))
    try:
        admit_response(bytes.fromhex(vector["wire_hex"]), directory=directory, request=sent)
    except ProtocolError as exc:
        return exc.code
    return None
