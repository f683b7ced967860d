"""Authentication: evidence checks that last forever, admission checks that decide now."""

from __future__ import annotations

from typing import Any

import pytest

from protocol.conformance.fixtures import OLD_KEY_UNTIL_MS, RECEIVER, SENDER, T0_MS, vector_key
from protocol.conformance.samples import sample_answer, sample_requests
from protocol.conformance.vectors import request_transaction
from protocol.directory import Directory
from protocol.envelope import admit_response, admit_transaction, verify_evidence
from protocol.errors import ProtocolError
from protocol.messages import encode_message
from protocol.reasons import ReasonCode
from protocol.signing import sign_object
from protocol.transaction import Transaction, build_response
from protocol.wire import wire_bytes

PREPARE, STATUS = sample_requests()[:2]


def _code(call: Any) -> ReasonCode:
    with pytest.raises(ProtocolError) as refused:
        call()
    return refused.value.code


def _evidence(document: dict[str, Any], directory: Directory, **kwargs: Any) -> Any:
    return lambda: verify_evidence(
        document, directory=directory, time_member="created_at_ms", **kwargs
    )


def _unsigned(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "signatures"}


def test_signature_shapes(directory: Directory) -> None:
    document = request_transaction(STATUS).to_json()
    signature = document["signatures"][SENDER]
    cases = {
        ReasonCode.MISSING_SIGNATURE: [
            {**document, "signatures": {}},
            {**document, "signatures": "none"},
        ],
        ReasonCode.MALFORMED: [
            # The signer's entry is there but names no key id: a shape error (§5.4 step 3).
            {**document, "signatures": {SENDER: {}}},
            {**document, "signatures": {SENDER: "x" * 86}},
            {**document, "signatures": {SENDER: signature, "hz-xihu": signature}},
            {**document, "signatures": {SENDER: {**signature, "ed25519:AAAAAAAA": "x"}}},
            # Signed, so the signature passes and the time member itself is what is wrong.
            sign_object(
                {**_unsigned(document), "created_at_ms": "now"},
                signer=SENDER,
                key=vector_key(SENDER),
            ),
        ],
    }
    for code, documents in cases.items():
        for bad in documents:
            assert _code(_evidence(bad, directory)) is code
    assert _code(_evidence(document, directory, signer="hz-xihu")) is ReasonCode.MISSING_SIGNATURE


def test_a_malformed_signature_is_a_bad_signature(directory: Directory) -> None:
    document = request_transaction(STATUS).to_json()
    key_id = vector_key(SENDER).key_id
    document["signatures"] = {SENDER: {key_id: "not-base64!"}}
    assert _code(_evidence(document, directory)) is ReasonCode.BAD_SIGNATURE


def test_old_messages_verify_after_rotation(directory: Directory) -> None:
    signed_at_ms = OLD_KEY_UNTIL_MS - 1
    old = request_transaction(STATUS, key=vector_key("sh-pudong-old"), created_at_ms=signed_at_ms)
    record = verify_evidence(old.to_json(), directory=directory, time_member="created_at_ms")
    assert record.key_id == vector_key("sh-pudong-old").key_id
    wire = wire_bytes(old.to_json())
    admitted = admit_transaction(wire, directory=directory, receiver=RECEIVER, now_ms=signed_at_ms)
    assert admitted == old
    # The same key used after its window closed is refused, even as evidence.
    late = request_transaction(
        STATUS, key=vector_key("sh-pudong-old"), created_at_ms=OLD_KEY_UNTIL_MS
    )
    assert _code(_evidence(late.to_json(), directory)) is ReasonCode.KEY_NOT_VALID


def test_a_lagging_clock_before_the_new_keys_start_is_temporary(directory: Directory) -> None:
    # sh-pudong's new key is valid from OLD_KEY_UNTIL_MS - 7 days; a sender whose clock lags
    # signs with it an hour before that. As evidence the key was not valid then (final); for
    # admission the signing time is also outside the skew bound, so the clock is at fault and
    # the refusal is clock_skew, which the sender cures by re-signing (§5.4 step 6).
    starts_ms = OLD_KEY_UNTIL_MS - 7 * 24 * 3_600_000
    early = request_transaction(STATUS, created_at_ms=starts_ms - 3_600_000).to_json()
    assert _code(_evidence(early, directory)) is ReasonCode.KEY_NOT_VALID
    wire = wire_bytes(early)
    admit = lambda now_ms: lambda: admit_transaction(  # noqa: E731
        wire, directory=directory, receiver=RECEIVER, now_ms=now_ms
    )
    assert _code(admit(starts_ms)) is ReasonCode.CLOCK_SKEW
    # Within the skew bound the key's window is what is wrong: final, as before.
    assert _code(admit(starts_ms - 3_600_000)) is ReasonCode.KEY_NOT_VALID


def test_a_co_signed_statement_verifies_per_signer(directory: Directory) -> None:
    statement = encode_message(sample_requests()[5])["body"]["statement"]
    cosigned = sign_object(statement, signer=RECEIVER, key=vector_key(RECEIVER))
    for signer in (SENDER, RECEIVER):
        verify_evidence(cosigned, directory=directory, time_member="issued_at_ms", signer=signer)
    assert (
        _code(lambda: verify_evidence(cosigned, directory=directory, time_member="issued_at_ms"))
        is ReasonCode.MALFORMED
    )


def test_skew_bound_is_inclusive(directory: Directory) -> None:
    wire = wire_bytes(request_transaction(STATUS).to_json())
    skew_ms = directory.policy.skew_ms
    for now_ms in (T0_MS - skew_ms, T0_MS + skew_ms):
        admit_transaction(wire, directory=directory, receiver=RECEIVER, now_ms=now_ms)
    assert (
        _code(
            lambda: admit_transaction(
                wire, directory=directory, receiver=RECEIVER, now_ms=T0_MS - skew_ms - 1
            )
        )
        is ReasonCode.CLOCK_SKEW
    )


# Responses ---------------------------------------------------------------------------------------


def _respond(request: Transaction, answers: list[Any], **document_changes: Any) -> bytes:
    response = build_response(
        request=request,
        created_at_ms=T0_MS + 5,
        answers=answers,
        reason=None,
        key=vector_key(RECEIVER),
    ).to_json()
    if document_changes:
        unsigned = {k: v for k, v in response.items() if k != "signatures"}
        signer = document_changes.pop("signer", RECEIVER)
        response = sign_object(
            {**unsigned, **document_changes}, signer=signer, key=vector_key(signer)
        )
    return wire_bytes(response)


def test_response_is_admitted_long_after_it_was_signed(directory: Directory) -> None:
    request = request_transaction(PREPARE)
    receipt = sample_answer(PREPARE, kind="transfer.receipt")
    response = admit_response(_respond(request, [receipt]), directory=directory, request=request)
    assert response.messages == [receipt]


def test_a_refusal_needs_no_answers(directory: Directory) -> None:
    request = request_transaction(PREPARE)
    refusal = build_response(
        request=request,
        created_at_ms=T0_MS,
        answers=[],
        reason=ReasonCode.RATE_LIMITED,
        key=vector_key(RECEIVER),
    )
    admitted = admit_response(wire_bytes(refusal.to_json()), directory=directory, request=request)
    assert admitted.reason is ReasonCode.RATE_LIMITED


def test_response_binding_errors(directory: Directory) -> None:
    request = request_transaction(PREPARE)
    receipt = sample_answer(PREPARE, kind="transfer.receipt")
    other_prepare = request_transaction(sample_requests()[1])

    def admit(raw: bytes, req: Transaction = request) -> Any:
        return lambda: admit_response(raw, directory=directory, request=req)

    assert _code(admit(_respond(request, [receipt], signer="hz-xihu"))) is (
        ReasonCode.SENDER_MISMATCH
    )
    assert _code(admit(_respond(request, [receipt], receiver="hz-xihu"))) is (
        ReasonCode.WRONG_RECEIVER
    )
    assert _code(admit(_respond(request, [receipt], transaction_hash="0" * 64))) is (
        ReasonCode.RESPONSE_MISMATCH
    )
    assert _code(admit(_respond(request, [receipt]), other_prepare)) is (
        ReasonCode.RESPONSE_MISMATCH
    )


@pytest.mark.parametrize(
    "answers",
    [
        [],
        [sample_answer(STATUS, kind="transfer.status_answer")],  # wrong type for a prepare
        [
            sample_answer(PREPARE, kind="transfer.receipt").model_copy(
                update={
                    "body": sample_answer(PREPARE, kind="transfer.receipt").body.model_copy(
                        update={"in_reply_to": "m-someone-else"}
                    )
                }
            )
        ],
        [
            sample_answer(PREPARE, kind="transfer.receipt").model_copy(
                update={
                    "body": sample_answer(PREPARE, kind="transfer.receipt").body.model_copy(
                        update={"prepare_hash": "0" * 64}
                    )
                }
            )
        ],
    ],
)
def test_answers_must_match_requests(answers: list[Any], directory: Directory) -> None:
    request = request_transaction(PREPARE)
    raw = _respond(request, answers)
    assert _code(lambda: admit_response(raw, directory=directory, request=request)) is (
        ReasonCode.RESPONSE_MISMATCH
    )


def test_non_transfer_answers_match_by_reply_id(directory: Directory) -> None:
    request = request_transaction(STATUS)
    answer = sample_answer(STATUS, kind="transfer.status_answer")
    assert admit_response(
        _respond(request, [answer]), directory=directory, request=request
    ).messages == [answer]
