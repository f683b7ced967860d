"""Message models: the rules beyond field types, and decoding into the right model."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from protocol.conformance.samples import sample_answer, sample_requests
from protocol.errors import DecodeError
from protocol.messages import (
    ANSWERS_FOR,
    decode_answer,
    decode_request,
    encode_message,
    message_hash,
)
from protocol.reasons import ReasonCode

REQUESTS = {message.type: encode_message(message) for message in sample_requests()}
PREPARE = REQUESTS["transfer.prepare"]


def _answer(request_type: str, kind: str) -> dict[str, Any]:
    request = next(m for m in sample_requests() if m.type == request_type)
    return encode_message(sample_answer(request, kind=kind))


def _with(document: dict[str, Any], *path_value: Any) -> dict[str, Any]:
    edited = copy.deepcopy(document)
    *path, value = path_value
    target = edited
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return edited


def _refused(document: dict[str, Any], *, answer: bool = False) -> ReasonCode:
    with pytest.raises(DecodeError) as refused:
        (decode_answer if answer else decode_request)(document)
    return refused.value.code


def test_every_sample_decodes_to_itself() -> None:
    for request in sample_requests():
        assert decode_request(encode_message(request)) == request
        for kind in ANSWERS_FOR[request.type]:
            answer = sample_answer(request, kind=kind)
            assert decode_answer(encode_message(answer)) == answer


@pytest.mark.parametrize(
    "edit",
    [
        ("body", "expires_at_ms", PREPARE["body"]["created_at_ms"]),
        ("body", "credit_class", "group_earned"),
        ("body", "payment_request_id", "pr-0000000001"),
        ("body", "amount_minutes", 120.0),
        ("body", "amount_minutes", "120"),
        ("body", "memo", "tab\there"),
        ("body", "creditor", "nobody"),
    ],
)
def test_prepare_rules(edit: tuple[Any, ...]) -> None:
    assert _refused(_with(PREPARE, *edit)) is ReasonCode.MALFORMED


def test_group_earned_hours_may_be_donated() -> None:
    donation = _with(
        _with(PREPARE, "body", "credit_class", "group_earned"), "body", "purpose", "donation"
    )
    assert decode_request(donation).body.credit_class == "group_earned"


@pytest.mark.parametrize(
    ("request_type", "edit"),
    [
        (
            "relocation.prepare",
            (
                "body",
                "balances",
                [
                    {"credit_class": "earned", "amount_minutes": 1},
                    {"credit_class": "donated", "amount_minutes": 1},
                ],
            ),
        ),
        (
            "relocation.prepare",
            (
                "body",
                "balances",
                [
                    {"credit_class": "earned", "amount_minutes": 1},
                    {"credit_class": "earned", "amount_minutes": 1},
                ],
            ),
        ),
        ("relocation.prepare", ("body", "expires_at_ms", 0)),
        ("payment.request", ("body", "expires_at_ms", 0)),
        ("statement", ("body", "statement", "counterparty", "sh-pudong")),
        ("statement", ("body", "statement", "closing_position_minutes", 0)),
        ("checkpoint", ("body", "checkpoint", "totals", 0, "account_kind", "member")),
        ("checkpoint", ("body", "checkpoint", "totals", 0, "balance_minutes", 121)),
    ],
)
def test_other_request_rules(request_type: str, edit: tuple[Any, ...]) -> None:
    assert _refused(_with(REQUESTS[request_type], *edit)) is ReasonCode.MALFORMED


@pytest.mark.parametrize(
    ("request_type", "kind", "edit"),
    [
        ("transfer.prepare", "transfer.reject", ("body", "relocated_to", None)),
        ("transfer.prepare", "transfer.reject", ("body", "reason", "creditor_unknown")),
        ("transfer.status", "transfer.status_answer", ("body", "state", "committed")),
        ("transfer.status", "transfer.status_answer", ("body", "state", "rejected")),
    ],
)
def test_answer_rules(request_type: str, kind: str, edit: tuple[Any, ...]) -> None:
    assert _refused(_with(_answer(request_type, kind), *edit), answer=True) is ReasonCode.MALFORMED


def test_status_answer_carries_only_final_rejects() -> None:
    reject = _answer("transfer.prepare", "transfer.reject")["body"]
    answer = _answer("transfer.status", "transfer.status_answer")
    rejected = _with(_with(answer, "body", "state", "rejected"), "body", "reject", reject)
    assert decode_answer(rejected).body.state == "rejected"
    temporary = _with(
        rejected,
        "body",
        "reject",
        {**reject, "reason": "rate_limited", "relocated_to": None},
    )
    assert _refused(temporary, answer=True) is ReasonCode.MALFORMED


def test_types_are_checked_before_content() -> None:
    assert _refused({"type": "transfer.cancel"}) is ReasonCode.UNSUPPORTED_MESSAGE_TYPE
    assert _refused(REQUESTS["transfer.prepare"], answer=True) is (
        ReasonCode.UNSUPPORTED_MESSAGE_TYPE
    )
    assert _refused(_answer("statement", "message.ack")) is ReasonCode.UNSUPPORTED_MESSAGE_TYPE
    assert _refused([]) is ReasonCode.MALFORMED  # type: ignore[arg-type]
    assert _refused({"type": 7}) is ReasonCode.MALFORMED


def test_message_hash_covers_the_whole_message() -> None:
    prepare = decode_request(PREPARE)
    assert message_hash(prepare) == message_hash(decode_request(copy.deepcopy(PREPARE)))
    other = decode_request(_with(PREPARE, "message_id", "m-another-id"))
    assert message_hash(prepare) != message_hash(other)
