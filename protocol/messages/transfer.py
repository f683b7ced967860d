"""Transfer messages: prepare (the debtor node's signed promise), receipt (the creditor node's
signed commit), reject, and the status query with its answer (DESIGN §6)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import model_validator

from protocol.credit import CreditClass
from protocol.fields import (
    Address,
    AmountMinutes,
    Detail,
    Hash,
    Id,
    Memo,
    Model,
    TimeMs,
)
from protocol.reasons import ReasonCode, is_final


class Purpose(StrEnum):
    GIFT = "gift"
    SERVICE_PAYMENT = "service_payment"
    DONATION = "donation"


class PrepareBody(Model):
    transfer_id: Id
    debtor: Address
    creditor: Address
    amount_minutes: AmountMinutes
    credit_class: CreditClass
    purpose: Purpose
    payment_request_id: Id | None
    created_at_ms: TimeMs
    expires_at_ms: TimeMs
    memo: Memo

    @model_validator(mode="after")
    def _check(self) -> PrepareBody:
        if self.expires_at_ms <= self.created_at_ms:
            raise ValueError("expires_at_ms must be after created_at_ms")
        if self.credit_class is CreditClass.GROUP_EARNED and self.purpose is not Purpose.DONATION:
            raise ValueError("group_earned hours may only be donated")
        if self.payment_request_id is not None and self.purpose is not Purpose.SERVICE_PAYMENT:
            raise ValueError("payment_request_id is only for purpose service_payment")
        return self


class ReceiptBody(Model):
    in_reply_to: Id
    transfer_id: Id
    prepare_hash: Hash
    creditor: Address
    amount_minutes: AmountMinutes
    committed_at_ms: TimeMs


class RejectBody(Model):
    in_reply_to: Id
    transfer_id: Id
    prepare_hash: Hash
    reason: ReasonCode
    detail: Detail
    relocated_to: Address | None

    @model_validator(mode="after")
    def _check(self) -> RejectBody:
        if (self.reason is ReasonCode.CREDITOR_RELOCATED) != (self.relocated_to is not None):
            raise ValueError("relocated_to is set exactly when reason is creditor_relocated")
        return self


class StatusBody(Model):
    transfer_id: Id
    prepare_hash: Hash
    # The receiver may never have seen the prepare, so the query repeats its expiry: that is
    # what lets the receiver answer "unknown" as final once its own clock has passed it.
    expires_at_ms: TimeMs


class TransferState(StrEnum):
    COMMITTED = "committed"
    REJECTED = "rejected"
    UNKNOWN_EXPIRED = "unknown_expired"  # final: never seen, and expired by the receiver's clock
    UNKNOWN = "unknown"  # not final: never seen, not yet expired by the receiver's clock


class StatusAnswerBody(Model):
    in_reply_to: Id
    transfer_id: Id
    state: TransferState
    as_of_ms: TimeMs
    receipt: ReceiptBody | None
    reject: RejectBody | None

    @model_validator(mode="after")
    def _check(self) -> StatusAnswerBody:
        if (self.state is TransferState.COMMITTED) != (self.receipt is not None):
            raise ValueError("receipt is set exactly when state is committed")
        if (self.state is TransferState.REJECTED) != (self.reject is not None):
            raise ValueError("reject is set exactly when state is rejected")
        if self.reject is not None and not is_final(self.reject.reason):
            raise ValueError("a stored reject always carries a final reason")
        return self


class PrepareMessage(Model):
    type: Literal["transfer.prepare"] = "transfer.prepare"
    message_id: Id
    body: PrepareBody


class ReceiptMessage(Model):
    type: Literal["transfer.receipt"] = "transfer.receipt"
    message_id: Id
    body: ReceiptBody


class RejectMessage(Model):
    type: Literal["transfer.reject"] = "transfer.reject"
    message_id: Id
    body: RejectBody


class StatusMessage(Model):
    type: Literal["transfer.status"] = "transfer.status"
    message_id: Id
    body: StatusBody


class StatusAnswerMessage(Model):
    type: Literal["transfer.status_answer"] = "transfer.status_answer"
    message_id: Id
    body: StatusAnswerBody
