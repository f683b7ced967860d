"""Negative transaction vectors: documents a receiver must refuse, each with its reason code.

They run through `receive_transaction` with the vector's receiver, clock, link state and stored
hash, against the vectors' directory (directory vectors: negative_directory.py).
"""

from __future__ import annotations

from typing import Any

from protocol.chain import LinkState
from protocol.conformance.fixtures import (
    HASH_A,
    HASH_B,
    OLD_KEY_UNTIL_MS,
    RECEIVER,
    SENDER,
    T0_MS,
    vector_key,
)
from protocol.conformance.samples import sample_prepare, sample_requests
from protocol.conformance.vectors import request_transaction
from protocol.directory import Directory
from protocol.errors import ProtocolError
from protocol.fields import GENESIS_HASH
from protocol.messages import encode_message
from protocol.messages.other import PROFILE_NAME_CHARS_MAX
from protocol.messages.transfer import StatusBody, StatusMessage
from protocol.policy import DAY_MS, DEFAULT_POLICY, HOUR_MS
from protocol.reasons import FINALITY, ReasonCode
from protocol.receive import receive_transaction
from protocol.signing import b64url_encode, sign_object, signing_bytes
from protocol.version import STANDARD
from protocol.wire import wire_bytes

_STATUS = sample_requests()[1]
# sh-pudong's current key is valid from a week before its old key's window closed.
_NEW_KEY_FROM_MS = OLD_KEY_UNTIL_MS - 7 * DAY_MS


def _unsigned(sender: str, *, messages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "standard": STANDARD,
        "kind": "transaction",
        "transaction_id": f"tx-from-{sender}",
        "sender": sender,
        "receiver": RECEIVER,
        "sequence": 1,
        "prev_hash": GENESIS_HASH,
        "created_at_ms": T0_MS,
        "messages": messages or [encode_message(_STATUS)],
    }


def _signed(sender: str, key_name: str, **changes: Any) -> bytes:
    return wire_bytes(
        sign_object({**_unsigned(sender), **changes}, signer=sender, key=vector_key(key_name))
    )


def _tampered() -> bytes:
    document = request_transaction(sample_prepare()).to_json()
    document["messages"][0]["body"]["amount_minutes"] = 1_200
    return wire_bytes(document)


def _wrong_key() -> bytes:
    document = _unsigned(SENDER)
    signature = vector_key("intruder").private_key.sign(signing_bytes(document))
    document["signatures"] = {SENDER: {vector_key(SENDER).key_id: b64url_encode(signature)}}
    return wire_bytes(document)


def _statuses(count: int) -> list[dict[str, Any]]:
    return [
        encode_message(
            StatusMessage(
                message_id=f"m-status-{index:04d}",
                body=StatusBody.model_validate(_STATUS.body.model_dump(mode="json")),
            )
        )
        for index in range(count)
    ]


def _foreign_statement() -> bytes:
    message = encode_message(sample_requests()[5])
    statement = {k: v for k, v in message["body"]["statement"].items() if k != "signatures"}
    statement["issuer"] = "hz-xihu"
    message["body"]["statement"] = sign_object(
        statement, signer="hz-xihu", key=vector_key("hz-xihu")
    )
    return _signed(SENDER, SENDER, messages=[message])


def _prepare_tx(**prepare: Any) -> bytes:
    return wire_bytes(request_transaction(sample_prepare(**prepare)).to_json())


def _tx(**frame: Any) -> bytes:
    return wire_bytes(request_transaction(_STATUS, **frame).to_json())


def _case(
    description: str,
    wire: bytes,
    expected: ReasonCode,
    *,
    now_ms: int = T0_MS,
    link: LinkState | None = None,
    stored_hash: str | None = None,
) -> dict[str, Any]:
    link = link or LinkState()
    return {
        "description": description,
        "receiver": RECEIVER,
        "now_ms": now_ms,
        "link": {"last_sequence": link.last_sequence, "last_hash": link.last_hash},
        "stored_hash": stored_hash,
        "wire_hex": wire.hex(),
        "expected_reason": expected.value,
        "expected_finality": FINALITY[expected].value,
    }


def transaction_negative_vectors() -> dict[str, dict[str, Any]]:
    """Every transaction-level refusal, grouped by what the receiver checks; the order of the
    groups is the order of the published vectors."""
    return {**_signature_cases(), **_link_cases(), **_sender_cases(), **_format_cases(),
            **_profile_cases()}


def _signature_cases() -> dict[str, dict[str, Any]]:
    """Signatures and addressing: the bytes were not signed as they arrived, or not for us."""
    return {
        "tampered_body": _case(
            "amount changed after signing", _tampered(), ReasonCode.BAD_SIGNATURE
        ),
        "wrong_key": _case(
            "signed by another private key under the sender's key id",
            _wrong_key(),
            ReasonCode.BAD_SIGNATURE,
        ),
        "unknown_key": _case(
            "signed with a key id the directory does not list for the sender",
            _signed(SENDER, "intruder"),
            ReasonCode.UNKNOWN_KEY,
        ),
        "wrong_receiver": _case(
            "addressed to hz-xihu, delivered to nj-gulou",
            _tx(receiver="hz-xihu"),
            ReasonCode.WRONG_RECEIVER,
        ),
    }


def _link_cases() -> dict[str, dict[str, Any]]:
    """Expiry and the link's chain: right signature, wrong moment or wrong place in the chain."""
    return {
        "expired": _case(
            "prepare expired an hour before it arrived",
            _prepare_tx(created_at_ms=T0_MS - 2 * HOUR_MS),
            ReasonCode.EXPIRED,
        ),
        "expiry_out_of_bounds": _case(
            "prepare lives two days; policy allows one",
            _prepare_tx(lifetime_ms=2 * DAY_MS),
            ReasonCode.EXPIRY_OUT_OF_BOUNDS,
        ),
        "replayed_sequence": _case(
            "sequence 3 after sequence 5 was accepted",
            _tx(sequence=3, prev_hash=HASH_A),
            ReasonCode.SEQUENCE_REPLAYED,
            link=LinkState(5, HASH_B),
        ),
        "sequence_gap": _case(
            "sequence 7 after sequence 5",
            _tx(sequence=7, prev_hash=HASH_A),
            ReasonCode.SEQUENCE_GAP,
            link=LinkState(5, HASH_B),
        ),
        "prev_hash_mismatch": _case(
            "sequence 6 whose prev_hash is not the link head",
            _tx(sequence=6, prev_hash=HASH_A),
            ReasonCode.PREV_HASH_MISMATCH,
            link=LinkState(5, HASH_B),
        ),
        "transaction_id_conflict": _case(
            "a transaction id already stored with other content",
            _tx(),
            ReasonCode.TRANSACTION_ID_CONFLICT,
            stored_hash=HASH_A,
        ),
    }


def _sender_cases() -> dict[str, dict[str, Any]]:
    """The sender's standing in the directory and its clock."""
    skew_ms = DEFAULT_POLICY.skew_ms
    return {
        "unknown_sender": _case(
            "gz-tianhe is not in the directory",
            _signed("gz-tianhe", "intruder"),
            ReasonCode.UNKNOWN_SENDER,
        ),
        "suspended_sender": _case(
            "bj-xicheng is suspended",
            _signed("bj-xicheng", "bj-xicheng"),
            ReasonCode.SENDER_SUSPENDED,
        ),
        "retired_sender": _case(
            "sz-futian is retired", _signed("sz-futian", "sz-futian"), ReasonCode.SENDER_RETIRED
        ),
        "key_outside_validity": _case(
            "signed at T0 with sh-pudong's old key, valid only until T0 - 1 day",
            _signed(SENDER, "sh-pudong-old"),
            ReasonCode.KEY_NOT_VALID,
        ),
        "clock_skew": _case(
            "arrives one millisecond past the skew bound",
            _tx(),
            ReasonCode.CLOCK_SKEW,
            now_ms=T0_MS + skew_ms + 1,
        ),
        "clock_lags_new_key": _case(
            "signed by a clock eight days behind, before sh-pudong's current key starts: the "
            "clock is at fault (temporary), not the key (§5.4 step 6)",
            _tx(created_at_ms=_NEW_KEY_FROM_MS - HOUR_MS),
            ReasonCode.CLOCK_SKEW,
        ),
    }


def _format_cases() -> dict[str, dict[str, Any]]:
    """The envelope and message format: who signed, versions, types, JSON and sizes."""
    wire_text = wire_bytes(request_transaction(sample_prepare()).to_json()).decode()
    return {
        "sender_mismatch": _case(
            "sender says sh-pudong, signed by hz-xihu",
            wire_bytes(sign_object(_unsigned(SENDER), signer="hz-xihu", key=vector_key("hz-xihu"))),
            ReasonCode.SENDER_MISMATCH,
        ),
        "missing_signature": _case(
            "no signatures member", wire_bytes(_unsigned(SENDER)), ReasonCode.MISSING_SIGNATURE
        ),
        "empty_signature_entry": _case(
            "the sender's signatures entry names no key id",
            wire_bytes({**_unsigned(SENDER), "signatures": {SENDER: {}}}),
            ReasonCode.MALFORMED,
        ),
        "unsupported_version": _case(
            "standard hourbridge/2",
            _signed(SENDER, SENDER, standard="hourbridge/2"),
            ReasonCode.UNSUPPORTED_VERSION,
        ),
        "unsupported_message_type": _case(
            "a message type v1 does not define",
            _signed(
                SENDER,
                SENDER,
                messages=[{"type": "transfer.cancel", "message_id": "m-cancel-0001", "body": {}}],
            ),
            ReasonCode.UNSUPPORTED_MESSAGE_TYPE,
        ),
        "float_amount": _case(
            "an amount written as 120.0",
            wire_text.replace('"amount_minutes":120', '"amount_minutes":120.0').encode(),
            ReasonCode.MALFORMED,
        ),
        "duplicate_member": _case(
            "the kind member appears twice",
            wire_text.replace(
                '"kind":"transaction"', '"kind":"transaction","kind":"transaction"'
            ).encode(),
            ReasonCode.MALFORMED,
        ),
        "statement_not_from_sender": _case(
            "sh-pudong forwards a statement that hz-xihu issued and signed",
            _foreign_statement(),
            ReasonCode.SENDER_MISMATCH,
        ),
        "relocation_expired": _case(
            "a relocation arriving at its expiry instant",
            wire_bytes(
                request_transaction(sample_requests()[2], created_at_ms=T0_MS + HOUR_MS).to_json()
            ),
            ReasonCode.EXPIRED,
            now_ms=T0_MS + HOUR_MS,
        ),
        "batch_too_large": _case(
            "101 messages; policy batch_size_max is 100",
            _signed(SENDER, SENDER, messages=_statuses(DEFAULT_POLICY.batch_size_max + 1)),
            ReasonCode.TOO_LARGE,
        ),
    }


def _relocation_with_profile(**changes: Any) -> bytes:
    """The sample relocation, signed, with members of its profile changed or added after the
    model built it: what a sloppy or hostile sender could put on the wire."""
    message = encode_message(sample_requests()[2])
    message["body"]["profile"] = {**message["body"]["profile"], **changes}
    return _signed(SENDER, SENDER, messages=[message])


def _profile_cases() -> dict[str, dict[str, Any]]:
    """A relocation's profile is a closed, bounded member set (standard §10.1)."""
    return {
        "relocation_profile_unknown_member": _case(
            "a relocation whose profile carries a phone number, which the profile does not define",
            _relocation_with_profile(phone="13800000000"),
            ReasonCode.MALFORMED,
        ),
        "relocation_profile_name_too_long": _case(
            f"a profile display_name of {PROFILE_NAME_CHARS_MAX + 1} characters",
            _relocation_with_profile(display_name="王" * (PROFILE_NAME_CHARS_MAX + 1)),
            ReasonCode.MALFORMED,
        ),
        "relocation_profile_name_not_text": _case(
            "a profile display_name written as a number",
            _relocation_with_profile(display_name=1948),
            ReasonCode.MALFORMED,
        ),
    }


def run_transaction_vector(vector: dict[str, Any], directory: Directory) -> ReasonCode | None:
    """The first reason the receiver gives: transaction-level, else the first message's."""
    link = vector["link"]
    try:
        received = receive_transaction(
            bytes.fromhex(vector["wire_hex"]),
            directory=directory,
            receiver=vector["receiver"],
            now_ms=vector["now_ms"],
            link=LinkState(link["last_sequence"], link["last_hash"]),
            stored_hash=vector["stored_hash"],
        )
    except ProtocolError as exc:
        return exc.code
    return next((code for code in received.message_reasons if code is not None), None)
