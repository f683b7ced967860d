"""Vectors that pin the boundaries of §3-§9 a conforming implementation could get wrong and
still pass the other vectors: the exact instants (key windows, skew, expiry), the text limits
(memo length in code points, no control characters), the amount bounds, the one spelling of a
signature, and what is left out of the signed bytes. Each exists because a planted mistake
(tests/protocol/mutations/, docs/standard.md §17.1) passed every other vector.

Positive: `positive/pins/<name>.json`, in the layout of the other positive transaction vectors
(admit at `now_ms` with an empty link). Negative: more `negative/transaction/<name>.json`.
"""

from __future__ import annotations

from typing import Any

from protocol.conformance.fixtures import OLD_KEY_UNTIL_MS, SENDER, T0_MS, vector_key
from protocol.conformance.negative import _case
from protocol.conformance.samples import sample_prepare, sample_requests
from protocol.conformance.vectors import request_transaction, signed_vector
from protocol.fields import MEMO_CHARS_MAX
from protocol.messages import RequestMessage, encode_message
from protocol.messages.transfer import PrepareMessage
from protocol.policy import DAY_MS, DEFAULT_POLICY, HOUR_MS
from protocol.reasons import ReasonCode
from protocol.signing import b64url_decode, b64url_encode, sign_object
from protocol.wire import wire_bytes

# sh-pudong's current key is valid from a week before its old key's window closed.
NEW_KEY_FROM_MS = OLD_KEY_UNTIL_MS - 7 * DAY_MS
# The order of the Ed25519 group's base point (RFC 8032 §5.1): a signature's S must be below it.
ED25519_L = 2**252 + 27742317777372353535851937790883648493
# 140 code points, 70 of them outside the BMP: 210 UTF-16 code units, 490 UTF-8 bytes.
MEMO_AT_LIMIT = "👵时" * (MEMO_CHARS_MAX // 2)
_STATUS = sample_requests()[1]
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _positive(name: str, request: RequestMessage, *, now_ms: int, **frame: Any) -> dict[str, Any]:
    key_name = frame.pop("key_name", SENDER)
    transaction = request_transaction(request, key=vector_key(key_name), **frame)
    vector = signed_vector(name, transaction.to_json(), signer=SENDER, key_name=key_name,
                           schema="transaction.schema.json")
    vector["transaction_hash"] = transaction.transaction_hash()
    vector["now_ms"] = now_ms
    return vector


def _prepare_with(**body: Any) -> PrepareMessage:
    prepare = sample_prepare()
    return PrepareMessage(message_id=prepare.message_id,
                          body=prepare.body.model_copy(update=body))


def pin_positive_vectors() -> dict[str, dict[str, Any]]:
    skew_ms = DEFAULT_POLICY.skew_ms
    return {
        "memo_140_characters": _positive(
            "memo_140_characters", _prepare_with(memo=MEMO_AT_LIMIT), now_ms=T0_MS),
        "key_window_start": _positive(
            "key_window_start", _STATUS, now_ms=NEW_KEY_FROM_MS, created_at_ms=NEW_KEY_FROM_MS),
        "clock_skew_at_bound_ahead": _positive(
            "clock_skew_at_bound_ahead", _STATUS, now_ms=T0_MS + skew_ms),
        "clock_skew_at_bound_behind": _positive(
            "clock_skew_at_bound_behind", _STATUS, now_ms=T0_MS - skew_ms),
    }


def _sign_raw(messages: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    """sh-pudong's transaction to nj-gulou carrying `messages` as given (no model checks)."""
    document = {k: v for k, v in request_transaction(_STATUS).to_json().items()
                if k != "signatures"}
    document.update(messages=messages, **changes)
    return sign_object(document, signer=SENDER, key=vector_key(SENDER))


def _raw_prepare(**body: Any) -> bytes:
    message = encode_message(sample_prepare())
    message["body"].update(body)
    return wire_bytes(_sign_raw([message]))


def _respelled(change: str) -> bytes:
    """The status transaction with its one signature spelled otherwise."""
    document = request_transaction(_STATUS).to_json()
    by_key = document["signatures"][SENDER]
    (key_id, text), = by_key.items()
    raw = b64url_decode(text)
    if change == "trailing_bits":
        # The last of the 86 characters carries 2 bits of the signature and 4 unused ones.
        text = text[:-1] + _ALPHABET[_ALPHABET.index(text[-1]) ^ 1]
    elif change == "padded":
        text += "=="
    else:
        s = int.from_bytes(raw[32:], "little") + ED25519_L
        text = b64url_encode(raw[:32] + s.to_bytes(32, "little"))
    by_key[key_id] = text
    return wire_bytes(document)


def pin_negative_vectors() -> dict[str, dict[str, Any]]:
    skew_ms = DEFAULT_POLICY.skew_ms
    unsigned_member = {**request_transaction(_STATUS).to_json(), "unsigned": {"note": "x"}}
    return {
        "signature_trailing_bits": _case(
            "the signature's last character with an unused bit set: the same 64 bytes, spelled "
            "otherwise (§5.1)", _respelled("trailing_bits"), ReasonCode.BAD_SIGNATURE),
        "signature_padded": _case(
            "the signature with `==` padding (§5.1: unpadded base64url)",
            _respelled("padded"), ReasonCode.BAD_SIGNATURE),
        "signature_s_not_reduced": _case(
            "a valid signature with L added to S: RFC 8032 requires S < L (§5.1)",
            _respelled("s_plus_l"), ReasonCode.BAD_SIGNATURE),
        "unsigned_member": _case(
            "a correctly signed transaction carrying an `unsigned` member, which the signed "
            "bytes leave out and v1 refuses (§3.1, §5.1)",
            wire_bytes(unsigned_member), ReasonCode.MALFORMED),
        "key_at_window_end": _case(
            "signed with sh-pudong's old key at the instant its window closes: valid_until_ms "
            "is exclusive (§14)",
            wire_bytes(request_transaction(_STATUS, key=vector_key("sh-pudong-old"),
                                           created_at_ms=OLD_KEY_UNTIL_MS).to_json()),
            ReasonCode.KEY_NOT_VALID, now_ms=OLD_KEY_UNTIL_MS),
        "clock_skew_behind": _case(
            "signed one millisecond more than the skew bound after the receiver's clock",
            wire_bytes(request_transaction(_STATUS).to_json()), ReasonCode.CLOCK_SKEW,
            now_ms=T0_MS - skew_ms - 1),
        "prepare_at_expiry": _case(
            "a prepare arriving at its expires_at_ms instant (§9.3)",
            wire_bytes(request_transaction(
                sample_prepare(created_at_ms=T0_MS - HOUR_MS)).to_json()),
            ReasonCode.EXPIRED),
        "memo_141_characters": _case(
            "a memo of 141 code points (§8: the limit counts code points)",
            _raw_prepare(memo=MEMO_AT_LIMIT + "a"), ReasonCode.MALFORMED),
        "memo_control_character": _case(
            "a memo holding U+001F (§3.1: no control characters in text for people)",
            _raw_prepare(memo="two hours\u001ffor Mum"), ReasonCode.MALFORMED),
        "amount_zero": _case(
            "a transfer of 0 minutes (§4: 1 ≤ amount_minutes)",
            _raw_prepare(amount_minutes=0), ReasonCode.MALFORMED),
        "amount_over_policy": _case(
            "6 001 minutes; the vectors' policy allows 6 000 (§9.2)",
            _raw_prepare(amount_minutes=DEFAULT_POLICY.amount_minutes_max + 1),
            ReasonCode.AMOUNT_OUT_OF_BOUNDS),
    }

