from __future__ import annotations

import pytest

from protocol.conformance.fixtures import RECEIVER, SENDER, T0_MS, vector_directory
from protocol.conformance.samples import sample_answer, sample_prepare, sample_requests
from protocol.errors import ProtocolError
from protocol.messages import message_hash
from protocol.messages.transfer import StatusBody, TransferState
from protocol.policy import DAY_MS, DEFAULT_POLICY, HOUR_MS, MINUTE_MS
from protocol.reasons import ReasonCode
from protocol.transfer_rules import (
    Repeat,
    answer_status,
    check_debit_caps,
    check_prepare,
    classify_repeat,
)

PREPARE = sample_prepare()


def _check(prepare=PREPARE, *, sender=SENDER, receiver=RECEIVER, now_ms=T0_MS):  # type: ignore[no-untyped-def]
    return check_prepare(
        prepare.body, sender=sender, receiver=receiver, now_ms=now_ms, policy=DEFAULT_POLICY
    )


def test_a_good_prepare_passes() -> None:
    assert _check() is None


def test_prepare_refusals() -> None:
    expires = PREPARE.body.expires_at_ms
    big = PREPARE.model_copy(
        update={
            "body": PREPARE.body.model_copy(
                update={"amount_minutes": DEFAULT_POLICY.amount_minutes_max + 1}
            )
        }
    )
    assert _check(sender="hz-xihu") is ReasonCode.DEBTOR_NOT_AT_SENDER
    assert _check(receiver="hz-xihu") is ReasonCode.CREDITOR_NOT_AT_RECEIVER
    assert _check(now_ms=expires - 1) is None
    assert _check(now_ms=expires) is ReasonCode.EXPIRED
    assert _check(sample_prepare(lifetime_ms=2 * DAY_MS)) is ReasonCode.EXPIRY_OUT_OF_BOUNDS
    assert _check(sample_prepare(lifetime_ms=MINUTE_MS)) is ReasonCode.EXPIRY_OUT_OF_BOUNDS
    assert _check(big) is ReasonCode.AMOUNT_OUT_OF_BOUNDS


def test_debit_caps() -> None:
    debtor = vector_directory().node(SENDER)
    assert debtor is not None
    partner_cap = debtor.net_debit_cap_per_partner_minutes
    overall_cap = debtor.net_debit_cap_overall_minutes

    def check(owed: int, overall: int | None, amount: int) -> ReasonCode | None:
        return check_debit_caps(
            debtor,
            owed_to_partner_minutes=owed,
            owed_overall_minutes=overall,
            amount_minutes=amount,
        )

    assert check(partner_cap - 10, None, 10) is None
    assert check(partner_cap - 10, None, 11) is ReasonCode.PARTNER_CAP_EXCEEDED
    assert check(0, overall_cap - 10, 10) is None
    assert check(0, overall_cap - 10, 11) is ReasonCode.OVERALL_CAP_EXCEEDED


def test_classify_repeat() -> None:
    assert (
        classify_repeat(stored_hash=None, new_hash="a", conflict=ReasonCode.MESSAGE_ID_CONFLICT)
        is Repeat.NEW
    )
    assert (
        classify_repeat(stored_hash="a", new_hash="a", conflict=ReasonCode.MESSAGE_ID_CONFLICT)
        is Repeat.REPEAT
    )
    with pytest.raises(ProtocolError) as refused:
        classify_repeat(stored_hash="a", new_hash="b", conflict=ReasonCode.TRANSFER_ID_CONFLICT)
    assert refused.value.code is ReasonCode.TRANSFER_ID_CONFLICT


QUERY = StatusBody(
    transfer_id=PREPARE.body.transfer_id,
    prepare_hash=message_hash(PREPARE),
    expires_at_ms=PREPARE.body.expires_at_ms,
)


def test_status_answers() -> None:
    receipt = sample_answer(PREPARE, kind="transfer.receipt").body
    reject = sample_answer(PREPARE, kind="transfer.reject").body
    expires = QUERY.expires_at_ms

    def state(stored, now_ms):  # type: ignore[no-untyped-def]
        answer = answer_status(QUERY, in_reply_to="m-status-0001", stored=stored, now_ms=now_ms)
        assert (answer.as_of_ms, answer.transfer_id) == (now_ms, QUERY.transfer_id)
        return answer.state

    assert state(receipt, expires + HOUR_MS) is TransferState.COMMITTED
    assert state(reject, T0_MS) is TransferState.REJECTED
    assert state(None, expires - 1) is TransferState.UNKNOWN
    # From the instant of expiry the receiver would refuse the prepare, so unknown is final.
    assert state(None, expires) is TransferState.UNKNOWN_EXPIRED


def test_status_query_about_different_content_is_a_conflict() -> None:
    receipt = sample_answer(sample_requests()[0], kind="transfer.receipt").body
    other = QUERY.model_copy(update={"prepare_hash": "0" * 64})
    with pytest.raises(ProtocolError) as refused:
        answer_status(other, in_reply_to="m-status-0001", stored=receipt, now_ms=T0_MS)
    assert refused.value.code is ReasonCode.TRANSFER_ID_CONFLICT
