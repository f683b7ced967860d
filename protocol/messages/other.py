"""Relocation, payment requests, and the generic acknowledgement and refusal."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StrictInt, StrictStr, model_validator

from protocol.credit import CreditClass
from protocol.fields import (
    TEXT_PATTERN,
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

# A relocation's profile (standard §10.1): every member bounded.
PROFILE_NAME_CHARS_MAX = 200
PROFILE_KIN_MAX = 50
BIRTH_YEAR_MIN = 1900
BIRTH_YEAR_MAX = 2100
ProfileName = Annotated[
    StrictStr, Field(min_length=1, max_length=PROFILE_NAME_CHARS_MAX, pattern=TEXT_PATTERN)
]
BirthYear = Annotated[StrictInt, Field(ge=BIRTH_YEAR_MIN, le=BIRTH_YEAR_MAX)]


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


class KinRelation(StrEnum):
    """How a relative or friend in a member's kin registry is related to her."""

    CHILD = "child"
    GRANDCHILD = "grandchild"
    GRANDPARENT = "grandparent"
    PARENT = "parent"
    SPOUSE = "spouse"
    SIBLING = "sibling"
    OTHER_RELATIVE = "other_relative"
    FRIEND = "friend"


class KinLink(Model):
    address: Address
    relation: KinRelation


class RelocationProfile(Model):
    """What the member agreed, at `consent_at_ms`, to share with her new home node: enough to
    serve her on her first day there (standard §10.1). Signed with the relocation, never put in
    either node's journal."""

    display_name: ProfileName
    birth_year: BirthYear | None
    kin: list[KinLink] = Field(max_length=PROFILE_KIN_MAX)
    station: LocalId | None
    consent_at_ms: TimeMs

    @model_validator(mode="after")
    def _check(self) -> RelocationProfile:
        addresses = [item.address for item in self.kin]
        if addresses != sorted(set(addresses)):
            raise ValueError("kin must list each address once, sorted by address")
        return self


class RelocationBody(Model):
    relocation_id: Id
    member: Address
    new_local_id: LocalId
    balances: list[ClassBalance] = Field(max_length=len(CreditClass))
    history: HistorySummary
    # null: the member did not agree to share her profile; the new node's staff ask her.
    profile: RelocationProfile | None
    created_at_ms: TimeMs
    expires_at_ms: TimeMs

    @model_validator(mode="after")
    def _check(self) -> RelocationBody:
        classes = [item.credit_class for item in self.balances]
        if classes != sorted(set(classes)):
            raise ValueError("balances must list each credit class once, sorted by class")
        if self.expires_at_ms <= self.created_at_ms:
            raise ValueError("expires_at_ms must be after created_at_ms")
        if self.profile is not None and self.profile.consent_at_ms > self.created_at_ms:
            raise ValueError("profile.consent_at_ms must not be after created_at_ms")
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
