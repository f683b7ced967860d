from __future__ import annotations

import pytest

from protocol.conformance.fixtures import RECEIVER, SENDER, T0_MS, vector_key
from protocol.conformance.samples import sample_answer, sample_requests
from protocol.errors import DecodeError
from protocol.fields import GENESIS_HASH
from protocol.reasons import ReasonCode
from protocol.signing import sign_object
from protocol.transaction import (
    Outcome,
    build_response,
    build_transaction,
    decode_response,
    decode_transaction,
    transaction_hash,
)

PREPARE = sample_requests()[0]


def _transaction(created_at_ms: int = T0_MS, messages=None):  # type: ignore[no-untyped-def]
    return build_transaction(
        transaction_id="tx-0000000001",
        sender=SENDER,
        receiver=RECEIVER,
        sequence=1,
        prev_hash=GENESIS_HASH,
        created_at_ms=created_at_ms,
        messages=messages or [PREPARE],
        key=vector_key(SENDER),
    )


def test_hash_ignores_signing_time_and_signatures_but_not_content() -> None:
    first, resigned = _transaction(), _transaction(created_at_ms=T0_MS + 60_000)
    assert first.transaction_hash() == resigned.transaction_hash()
    assert first.signatures != resigned.signatures
    other = _transaction(messages=[sample_requests()[1]])
    assert first.transaction_hash() != other.transaction_hash()
    assert transaction_hash(first.to_json()) == first.transaction_hash()


def test_transaction_rules() -> None:
    document = _transaction().to_json()
    for edit in (
        {"receiver": SENDER},
        {"messages": [document["messages"][0], document["messages"][0]]},
        {"messages": []},
        {"sequence": 0},
    ):
        with pytest.raises(DecodeError) as refused:
            decode_transaction({**document, **edit})
        assert refused.value.code is ReasonCode.MALFORMED


def test_response_binds_to_the_request_and_swaps_routing() -> None:
    request = _transaction()
    receipt = sample_answer(PREPARE, kind="transfer.receipt")
    response = build_response(
        request=request,
        created_at_ms=T0_MS,
        answers=[receipt],
        reason=None,
        key=vector_key(RECEIVER),
    )
    assert (response.sender, response.receiver) == (RECEIVER, SENDER)
    assert response.transaction_hash == request.transaction_hash()
    assert (response.outcome, response.reason, response.messages) == (
        Outcome.ACCEPTED,
        None,
        [receipt],
    )
    refusal = build_response(
        request=request,
        created_at_ms=T0_MS,
        answers=[],
        reason=ReasonCode.SEQUENCE_GAP,
        key=vector_key(RECEIVER),
    )
    assert (refusal.outcome, refusal.reason) == (Outcome.REFUSED, ReasonCode.SEQUENCE_GAP)


def test_response_rules() -> None:
    request = _transaction()
    ack = sample_answer(sample_requests()[3], kind="message.ack")
    document = build_response(
        request=request, created_at_ms=T0_MS, answers=[ack], reason=None, key=vector_key(RECEIVER)
    ).to_json()
    for edit in (
        {"sender": SENDER},
        {"outcome": "refused"},
        {"outcome": "refused", "reason": "rate_limited"},
        {"messages": [document["messages"][0]] * 2},
    ):
        with pytest.raises(DecodeError) as refused:
            decode_response({**document, **edit})
        assert refused.value.code is ReasonCode.MALFORMED
    with pytest.raises(DecodeError) as refused:
        decode_response({**document, "messages": [PREPARE.model_dump(mode="json")]})
    assert refused.value.code is ReasonCode.UNSUPPORTED_MESSAGE_TYPE


def test_decode_tolerates_documents_without_a_message_list() -> None:
    unsigned = _transaction().to_json()
    del unsigned["messages"]
    with pytest.raises(DecodeError):
        decode_transaction(sign_object(unsigned, signer=SENDER, key=vector_key(SENDER)))
    with pytest.raises(DecodeError):
        decode_transaction("not an object")


def test_messages_may_be_given_as_their_json_values() -> None:
    as_models = _transaction(messages=list(sample_requests()))
    as_values = _transaction(messages=[m.model_dump(mode="json") for m in sample_requests()])
    assert as_values == as_models
    with pytest.raises(DecodeError):  # a stored value is validated like any other
        _transaction(messages=[{**PREPARE.model_dump(mode="json"), "type": "transfer.nope"}])
