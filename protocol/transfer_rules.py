"""The creditor node's pure decisions about a transfer (DESIGN §6 step 2 and the status query).

What needs the database (does the creditor exist, may they receive, what is the peer's current
position) is looked up by the node and passed in; the rules themselves live here.
"""

from __future__ import annotations

from enum import StrEnum

from protocol.addresses import MemberAddress
from protocol.directory import NodeEntry
from protocol.errors import ProtocolError
from protocol.messages.transfer import (
    PrepareBody,
    ReceiptBody,
    RejectBody,
    StatusAnswerBody,
    StatusBody,
    TransferState,
)
from protocol.policy import Policy
from protocol.reasons import ReasonCode


def check_prepare(
    prepare: PrepareBody, *, sender: str, receiver: str, now_ms: int, policy: Policy
) -> ReasonCode | None:
    """The stateless checks of a prepare, by the receiver's clock `now_ms`; None if it passes."""
    if MemberAddress.parse(prepare.debtor).node_id != sender:
        return ReasonCode.DEBTOR_NOT_AT_SENDER
    if MemberAddress.parse(prepare.creditor).node_id != receiver:
        return ReasonCode.CREDITOR_NOT_AT_RECEIVER
    # At the expiry instant the prepare is already expired: "unknown at or after expiry" is the
    # final answer the status query gives, so acceptance must stop strictly before it.
    if now_ms >= prepare.expires_at_ms:
        return ReasonCode.EXPIRED
    lifetime_ms = prepare.expires_at_ms - prepare.created_at_ms
    if not policy.expiry_min_ms <= lifetime_ms <= policy.expiry_max_ms:
        return ReasonCode.EXPIRY_OUT_OF_BOUNDS
    if prepare.amount_minutes > policy.amount_minutes_max:
        return ReasonCode.AMOUNT_OUT_OF_BOUNDS
    return None


def check_debit_caps(
    debtor: NodeEntry,
    *,
    owed_to_partner_minutes: int,
    owed_overall_minutes: int | None,
    amount_minutes: int,
) -> ReasonCode | None:
    """Would the debtor node's net debit exceed its caps after this transfer?

    The creditor node knows only what the debtor owes it, so it passes None for the overall
    figure; the debtor node checks both before it sends.
    """
    if owed_to_partner_minutes + amount_minutes > debtor.net_debit_cap_per_partner_minutes:
        return ReasonCode.PARTNER_CAP_EXCEEDED
    if (
        owed_overall_minutes is not None
        and owed_overall_minutes + amount_minutes > debtor.net_debit_cap_overall_minutes
    ):
        return ReasonCode.OVERALL_CAP_EXCEEDED
    return None


class Repeat(StrEnum):
    NEW = "new"
    REPEAT = "repeat"


def classify_repeat(*, stored_hash: str | None, new_hash: str, conflict: ReasonCode) -> Repeat:
    """Idempotency by id: same id and same hash is a repeat; same id, other hash a conflict.

    Used with the message id (conflict = message_id_conflict) and, for prepares, with the
    transfer id (conflict = transfer_id_conflict).
    """
    if stored_hash is None:
        return Repeat.NEW
    if stored_hash == new_hash:
        return Repeat.REPEAT
    raise ProtocolError(conflict, "same id, different content")


def answer_status(
    query: StatusBody,
    *,
    in_reply_to: str,
    stored: ReceiptBody | RejectBody | None,
    now_ms: int,
) -> StatusAnswerBody:
    """Answer a status query from what the receiver stored for the transfer id.

    An UNKNOWN_EXPIRED answer is final and binding: the receiver must record the transfer id so
    that a prepare with it arriving later is refused (it would be expired anyway).
    """
    if stored is not None and stored.prepare_hash != query.prepare_hash:
        raise ProtocolError(ReasonCode.TRANSFER_ID_CONFLICT, "stored prepare differs")
    if isinstance(stored, ReceiptBody):
        state, receipt, reject = TransferState.COMMITTED, stored, None
    elif isinstance(stored, RejectBody):
        state, receipt, reject = TransferState.REJECTED, None, stored
    elif now_ms >= query.expires_at_ms:
        state, receipt, reject = TransferState.UNKNOWN_EXPIRED, None, None
    else:
        state, receipt, reject = TransferState.UNKNOWN, None, None
    return StatusAnswerBody(
        in_reply_to=in_reply_to,
        transfer_id=query.transfer_id,
        state=state,
        as_of_ms=now_ms,
        receipt=receipt,
        reject=reject,
    )
