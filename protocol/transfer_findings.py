"""What an answer from the creditor node means for one outgoing transfer, before any state.

Interpreting an answer is separate from applying it, so that one interpretation serves every
state: a receipt is a receipt whether it arrives while pending, in doubt, or too late.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from protocol.messages.routed import DeliveredBody
from protocol.messages.transfer import ReceiptBody, RejectBody, StatusAnswerBody, TransferState
from protocol.reasons import ReasonCode, is_final


class TransferFacts(Protocol):
    """The parts of an outgoing transfer an answer must agree with."""

    @property
    def transfer_id(self) -> str: ...
    @property
    def prepare_hash(self) -> str: ...
    @property
    def creditor(self) -> str: ...
    @property
    def amount_minutes(self) -> int: ...
    @property
    def expires_at_ms(self) -> int: ...


@dataclass(frozen=True)
class Commit:
    """The creditor's node committed: its receipt, or for a routed transfer the delivered
    answer carrying its end receipt (protocol/routed.py checked it)."""

    receipt: ReceiptBody | DeliveredBody


@dataclass(frozen=True)
class Refuse:
    """A final refusal: `reject` is None when the peer said unknown after expiry."""

    reject: RejectBody | None


@dataclass(frozen=True)
class NotYet:
    """No final answer yet: send the prepare again (True) or ask for status again (False)."""

    resend_prepare: bool


@dataclass(frozen=True)
class Contradiction:
    detail: str


Finding = Commit | Refuse | NotYet | Contradiction


def from_receipt(facts: TransferFacts, receipt: ReceiptBody) -> Finding:
    if (
        receipt.transfer_id,
        receipt.prepare_hash,
        receipt.creditor,
        receipt.amount_minutes,
    ) != (facts.transfer_id, facts.prepare_hash, facts.creditor, facts.amount_minutes):
        return Contradiction("receipt does not match the prepare")
    return Commit(receipt)


def from_reject(facts: TransferFacts, reject: RejectBody) -> Finding:
    if (reject.transfer_id, reject.prepare_hash) != (facts.transfer_id, facts.prepare_hash):
        return Contradiction("reject does not match the prepare")
    if not is_final(reject.reason):
        return NotYet(resend_prepare=True)
    return Refuse(reject)


def from_status(facts: TransferFacts, answer: StatusAnswerBody) -> Finding:
    if answer.transfer_id != facts.transfer_id:
        return Contradiction("status answer is about another transfer")
    if answer.receipt is not None:
        return from_receipt(facts, answer.receipt)
    if answer.reject is not None:
        return from_reject(facts, answer.reject)
    if answer.state is TransferState.UNKNOWN_EXPIRED:
        if answer.as_of_ms < facts.expires_at_ms:
            return Contradiction("unknown_expired answered before the expiry")
        return Refuse(None)
    # UNKNOWN: the peer has not seen the prepare and it has not expired by the peer's clock.
    return NotYet(resend_prepare=True)


def from_status_refused(reason: ReasonCode) -> Finding:
    if is_final(reason):
        return Contradiction(f"status query refused: {reason.value}")
    return NotYet(resend_prepare=False)
