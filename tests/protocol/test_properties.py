"""Property tests: every message survives encode -> sign -> verify -> decode, and no single
changed byte of a signed transaction gets past verification without the right reason code."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.canonical import canonical_bytes
from protocol.conformance.fixtures import RECEIVER, SENDER, T0_MS
from protocol.directory import Directory
from protocol.envelope import admit_transaction, verify_evidence
from protocol.errors import DecodeError, ProtocolError
from protocol.fields import GENESIS_HASH
from protocol.messages import RequestMessage, decode_answer, decode_request, encode_message
from protocol.reasons import ReasonCode
from protocol.signing import SigningKey
from protocol.transaction import Transaction, build_response, build_transaction, decode_response
from protocol.version import STANDARD
from protocol.wire import parse_object, wire_bytes
from tests.protocol.hb_strategies import answers, requests

BYTES_MAX = 1024 * 1024
batches = st.lists(requests, min_size=1, max_size=3, unique_by=lambda m: m.message_id)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _transaction(messages: list[RequestMessage], key: SigningKey) -> Transaction:
    return build_transaction(
        transaction_id="tx-property",
        sender=SENDER,
        receiver=RECEIVER,
        sequence=1,
        prev_hash=GENESIS_HASH,
        created_at_ms=T0_MS,
        messages=messages,
        key=key,
    )


@SETTINGS
@given(messages=batches)
def test_every_request_round_trips_through_a_signed_transaction(
    messages: list[RequestMessage], directory: Directory, sender_key: SigningKey
) -> None:
    wire = wire_bytes(_transaction(messages, sender_key).to_json())
    admitted = admit_transaction(wire, directory=directory, receiver=RECEIVER, now_ms=T0_MS)
    assert admitted.messages == messages
    assert [decode_request(encode_message(m)) for m in messages] == messages


@SETTINGS
@given(messages=batches, replies=st.lists(answers, max_size=3, unique_by=lambda m: m.message_id))
def test_every_answer_round_trips_through_a_signed_response(
    messages: list[RequestMessage],
    replies: list[Any],
    directory: Directory,
    sender_key: SigningKey,
    receiver_key: SigningKey,
) -> None:
    request = _transaction(messages, sender_key)
    response = build_response(
        request=request, created_at_ms=T0_MS, answers=replies, reason=None, key=receiver_key
    )
    document = parse_object(wire_bytes(response.to_json()), bytes_max=BYTES_MAX)
    verify_evidence(document, directory=directory, time_member="created_at_ms")
    assert decode_response(document).messages == replies


@SETTINGS
@given(answer=answers)
def test_every_answer_round_trips(answer: Any) -> None:
    assert decode_answer(encode_message(answer)) == answer
    assert (
        decode_answer(parse_object(canonical_bytes(encode_message(answer)), bytes_max=BYTES_MAX))
        == answer
    )


def _signatures_span(wire: bytes, document: dict[str, Any]) -> tuple[int, int]:
    member = b'"signatures":' + canonical_bytes(document["signatures"])
    start = wire.index(member)
    return start, start + len(member)


def _expected_code(tampered: bytes, signatures: Any) -> ReasonCode:
    """The reason the standard's check order (docs/standard.md §5.4) must give."""
    try:
        parsed = parse_object(tampered, bytes_max=BYTES_MAX)
    except DecodeError:
        return ReasonCode.MALFORMED
    if parsed.get("standard") != STANDARD:
        return ReasonCode.UNSUPPORTED_VERSION
    assert parsed["signatures"] == signatures  # the change was outside the signatures member
    return ReasonCode.BAD_SIGNATURE


@SETTINGS
@given(messages=batches, data=st.data())
def test_any_changed_signed_byte_is_refused_with_the_right_code(
    messages: list[RequestMessage],
    data: st.DataObject,
    directory: Directory,
    sender_key: SigningKey,
) -> None:
    document = _transaction(messages, sender_key).to_json()
    wire = wire_bytes(document)
    start, end = _signatures_span(wire, document)
    position = data.draw(st.integers(0, len(wire) - (end - start) - 1))
    position = position if position < start else position + (end - start)
    value = data.draw(st.integers(0, 255).filter(lambda b: b != wire[position]))
    tampered = wire[:position] + bytes([value]) + wire[position + 1 :]
    with pytest.raises(ProtocolError) as refused:
        admit_transaction(tampered, directory=directory, receiver=RECEIVER, now_ms=T0_MS)
    assert refused.value.code is _expected_code(tampered, document["signatures"])


@SETTINGS
@given(messages=batches, data=st.data())
def test_any_changed_signature_byte_is_refused(
    messages: list[RequestMessage],
    data: st.DataObject,
    directory: Directory,
    sender_key: SigningKey,
) -> None:
    document = _transaction(messages, sender_key).to_json()
    wire = wire_bytes(document)
    signature = document["signatures"][SENDER][sender_key.key_id].encode()
    start = wire.index(signature)
    position = start + data.draw(st.integers(0, len(signature) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda b: b != wire[position]))
    tampered = wire[:position] + bytes([value]) + wire[position + 1 :]
    try:
        parse_object(tampered, bytes_max=BYTES_MAX)
        expected = ReasonCode.BAD_SIGNATURE
    except DecodeError:
        expected = ReasonCode.MALFORMED  # e.g. a quote or a non-UTF-8 byte inside the string
    with pytest.raises(ProtocolError) as refused:
        admit_transaction(tampered, directory=directory, receiver=RECEIVER, now_ms=T0_MS)
    assert refused.value.code is expected
