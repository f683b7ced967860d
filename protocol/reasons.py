"""Reason codes: the stable vocabulary of every refusal in the standard.

Each code is either FINAL or TEMPORARY, and the class tells the sender what to do:

* FINAL: sending the identical bytes again can never succeed. For a message answered with a
  final code the receiver has stored that answer and repeats it for the same message id forever;
  for a transfer, a final reject is the final answer that lets the sender release its reservation.
* TEMPORARY: the receiver stored nothing; the sender may send the same message again later
  (re-signing the transaction if needed). A temporary refusal is never a final answer, so a
  transfer's reservation is kept.
"""

from __future__ import annotations

from enum import StrEnum


class Finality(StrEnum):
    FINAL = "final"
    TEMPORARY = "temporary"


class ReasonCode(StrEnum):
    # Parsing and format.
    MALFORMED = "malformed"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNSUPPORTED_MESSAGE_TYPE = "unsupported_message_type"
    TOO_LARGE = "too_large"
    # Authentication and routing.
    MISSING_SIGNATURE = "missing_signature"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_SENDER = "unknown_sender"
    SENDER_MISMATCH = "sender_mismatch"
    SENDER_SUSPENDED = "sender_suspended"
    SENDER_RETIRED = "sender_retired"
    UNKNOWN_KEY = "unknown_key"
    KEY_NOT_VALID = "key_not_valid"
    WRONG_RECEIVER = "wrong_receiver"
    CLOCK_SKEW = "clock_skew"
    # Transaction chain and idempotency.
    SEQUENCE_GAP = "sequence_gap"
    SEQUENCE_REPLAYED = "sequence_replayed"
    PREV_HASH_MISMATCH = "prev_hash_mismatch"
    TRANSACTION_ID_CONFLICT = "transaction_id_conflict"
    MESSAGE_ID_CONFLICT = "message_id_conflict"
    RESPONSE_MISMATCH = "response_mismatch"
    # Capacity.
    RATE_LIMITED = "rate_limited"
    RECEIVER_UNAVAILABLE = "receiver_unavailable"
    # Transfers.
    EXPIRED = "expired"
    EXPIRY_OUT_OF_BOUNDS = "expiry_out_of_bounds"
    AMOUNT_OUT_OF_BOUNDS = "amount_out_of_bounds"
    TRANSFER_ID_CONFLICT = "transfer_id_conflict"
    DEBTOR_NOT_AT_SENDER = "debtor_not_at_sender"
    CREDITOR_NOT_AT_RECEIVER = "creditor_not_at_receiver"
    CREDITOR_UNKNOWN = "creditor_unknown"
    CREDITOR_RELOCATED = "creditor_relocated"
    CREDITOR_CANNOT_RECEIVE = "creditor_cannot_receive"
    CREDIT_CLASS_NOT_TRANSFERABLE = "credit_class_not_transferable"
    BALANCE_CAP_EXCEEDED = "balance_cap_exceeded"
    PARTNER_CAP_EXCEEDED = "partner_cap_exceeded"
    OVERALL_CAP_EXCEEDED = "overall_cap_exceeded"
    # Relocation and payment requests.
    MEMBER_UNKNOWN = "member_unknown"
    MEMBER_EXISTS = "member_exists"
    # Directory.
    DIRECTORY_STALE = "directory_stale"
    DIRECTORY_CONFLICT = "directory_conflict"
    POLICY_OUT_OF_BOUNDS = "policy_out_of_bounds"
    # Units.
    UNIT_RATIO_INVALID = "unit_ratio_invalid"


_TEMPORARY = frozenset(
    {
        ReasonCode.UNKNOWN_SENDER,  # our directory may be older than the sender's
        ReasonCode.SENDER_SUSPENDED,  # the authority may reinstate the node
        ReasonCode.UNKNOWN_KEY,  # our directory may not list a freshly rotated key yet
        ReasonCode.CLOCK_SKEW,  # the sender re-signs with a fresh time
        ReasonCode.SEQUENCE_GAP,  # the missing transaction may still arrive
        ReasonCode.RATE_LIMITED,
        ReasonCode.RECEIVER_UNAVAILABLE,
        # A net debit cap frees up as hours flow back the other way: the debtor node keeps the
        # reservation and sends the prepare again until it fits or the transfer expires.
        ReasonCode.PARTNER_CAP_EXCEEDED,
        ReasonCode.OVERALL_CAP_EXCEEDED,
    }
)

FINALITY: dict[ReasonCode, Finality] = {
    code: Finality.TEMPORARY if code in _TEMPORARY else Finality.FINAL for code in ReasonCode
}


def is_final(code: ReasonCode) -> bool:
    return FINALITY[code] is Finality.FINAL
