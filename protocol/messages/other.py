"""Relocation, payment requests, and the generic acknowledgement and refusal."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from protocol.credit import CreditClass
from protocol.fields import (
    Address,
    AmountMinutes,
    BalanceMinutes,
    Count,
    Detail,
    Hash,
    Id,
    LocalId,
    Memo,
    Model,
    TimeMs,
)
from protocol.reasons import ReasonCode


class ClassBalance(Model):
    credit_class: CreditClass
    amount_minutes: BalanceMinutes


class HistorySummary(Model):
    """What the old home node vouches for about the member's past, signed with the relocation."""

    entries_count: Count
    earned_minutes_total: BalanceMinutes
    spent_minutes_total: BalanceMinutes
    first_entry_at_ms: TimeMs | None
    last_entry_at_ms: TimeMs | None
    journal_head_hash: Hash


class RelocationBody(Model):
    relocation_id: Id
    member: Address
    new_local_id: LocalId
    balances: list[ClassBalance] = Field(max_length=len(CreditClass))
    history: HistorySummary
    created_at_ms: TimeMs
    expires_at_ms: TimeMs

    @model_validator(mode="after")
    def _check(self) -> RelocationBody:
        classes = [item.credit_class for item in self.balances]
        if classes != sorted(set(classes)):
            raise ValueError("balances must list each credit class once, sorted by class")
        if self.expires_at_ms <= self.created_at_ms:
            raise ValueError("expires_at_ms must be after created_at_ms")
        return self


class RelocationReceiptBody(Model):
    in_reply_to: Id
    relocation_id: Id
    prepare_hash: Hash
    new_address: Address
    committed_at_ms: TimeMs


class ServiceCategory(StrEnum):
    DAILY_LIVING = "daily_living"
    HEALTH = "health"
    HOME_SAFETY = "home_safety"
    EDUCATION_RECREATION = "education_recreation"
    PROFESSIONAL = "professional"


class PaymentRequestBody(Model):
    request_id: Id
    payee: Address
    payer: Address
    amount_minutes: AmountMinutes
    category: ServiceCategory
    description: Memo
    created_at_ms: TimeMs
    expires_at_ms: TimeMs

    @model_validator(mode="after")
    def _check(self) -> PaymentRequestBody:
        if self.expires_at_ms <= self.created_at_ms:
            raise ValueError("expires_at_ms must be after created_at_ms")
        return self


class PaymentDeclineBody(Model):
    request_id: Id
    declined_at_ms: TimeMs


class AckBody(Model):
    in_reply_to: Id


class MessageRejectBody(Model):
    in_reply_to: Id
    reason: ReasonCode
    detail: Detail


class RelocationMessage(Model):
    type: Literal["relocation.prepare"] = "relocation.prepare"
    message_id: Id
    body: RelocationBody


class RelocationReceiptMessage(Model):
    type: Literal["relocation.receipt"] = "relocation.receipt"
    message_id: Id
    body: RelocationReceiptBody


class PaymentRequestMessage(Model):
    type: Literal["payment.request"] = "payment.request"
    message_id: Id
    body: PaymentRequestBody


class PaymentDeclineMessage(Model):
    type: Literal["payment.decline"] = "payment.decline"
    message_id: Id
    body: PaymentDeclineBody


class AckMessage(Model):
    type: Literal["message.ack"] = "message.ack"
    message_id: Id
    body: AckBody


class MessageRejectMessage(Model):
    type: Literal["message.reject"] = "message.reject"
    message_id: Id
    body: MessageRejectBody
