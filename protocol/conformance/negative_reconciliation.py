"""Negative reconciliation vectors (standard §20.3, §20.4): requests nj-gulou must refuse and
replies sh-pudong must refuse, each with its reason code. A refused reply is never acted on: no
record it carries is kept, nothing it says is co-signed or applied.

`role` "request": admit `wire_hex` as node `receiver` at `now_ms`. `role` "reply": admit
`wire_hex` as the reply to the request `request_wire_hex` that sh-pudong sent.
"""

from __future__ import annotations

import json
from typing import Any

from protocol.canonical import canonical_bytes
from protocol.conformance.fixtures import OLD_KEY_UNTIL_MS, RECEIVER, SENDER, vector_key
from protocol.conformance.reconciliation import (
    ASKED_AT_MS,
    exchanges,
    reply_bytes,
    request_bytes,
)
from protocol.directory import Directory
from protocol.errors import ProtocolError
from protocol.policy import DAY_MS, DEFAULT_POLICY, HOUR_MS
from protocol.reasons import FINALITY, ReasonCode
from protocol.reconciliation import admit_reply, admit_request
from protocol.signing import sign_object


def _resigned(raw: bytes, signer: str, **changes: Any) -> bytes:
    """`raw` with members changed (None deletes one), signed again by `signer` — a document
    its signer really sent, wrong only in what changed."""
    document = {k: v for k, v in json.loads(raw).items() if k != "signatures"}
    for name, value in changes.items():
        if value is None:
            del document[name]
        else:
            document[name] = value
    return canonical_bytes(sign_object(document, signer=signer, key=vector_key(signer)))


def _case(description: str, role: str, wire: bytes, expected: ReasonCode, *,
          request: bytes | None = None, now_ms: int = ASKED_AT_MS) -> dict[str, Any]:
    vector = {
        "description": description, "role": role, "receiver": RECEIVER, "now_ms": now_ms,
        "wire_hex": wire.hex(), "expected_reason": expected.value,
        "expected_finality": FINALITY[expected].value,
    }
    if request is not None:
        vector["request_wire_hex"] = request.hex()
    return vector


def _request_cases() -> dict[str, dict[str, Any]]:
    ops = exchanges()
    summary = request_bytes("summary", ops["summary"][0])
    propose_args = ops["propose"][0]
    lagging_at_ms = OLD_KEY_UNTIL_MS - 7 * DAY_MS - HOUR_MS  # before sh-pudong's new key starts
    empty_entry = {k: v for k, v in json.loads(summary).items() if k != "signatures"}
    empty_entry["signatures"] = {SENDER: {}}
    return {
        "request_unknown_member": _case(
            "a request with a member the request does not define", "request",
            _resigned(summary, SENDER, note="hello"), ReasonCode.MALFORMED),
        "request_missing_member": _case(
            "a request without request_id", "request",
            _resigned(summary, SENDER, request_id=None), ReasonCode.MALFORMED),
        "request_args_unknown_member": _case(
            "summary args with a depth member", "request",
            request_bytes("summary", {**ops["summary"][0], "depth": 2}), ReasonCode.MALFORMED),
        "request_args_missing_member": _case(
            "propose args without late_response", "request",
            request_bytes("propose", {k: v for k, v in propose_args.items()
                                      if k != "late_response"}), ReasonCode.MALFORMED),
        "request_key_not_a_key": _case(
            "a range bound that is not [debtor_node, transfer_id]", "request",
            request_bytes("leaves", {**ops["leaves"][0], "lo": [SENDER]}), ReasonCode.MALFORMED),
        "request_unknown_op": _case(
            "an operation v1 does not define", "request",
            request_bytes("drop_window", {}), ReasonCode.UNSUPPORTED_MESSAGE_TYPE),
        "request_empty_signature_entry": _case(
            "the signer's entry names no key id", "request",
            canonical_bytes(empty_entry), ReasonCode.MALFORMED),
        "request_wrong_receiver": _case(
            "addressed to hz-xihu, delivered to nj-gulou", "request",
            _resigned(summary, SENDER, receiver="hz-xihu"), ReasonCode.WRONG_RECEIVER),
        "request_clock_skew": _case(
            "arrives one millisecond past the skew bound", "request", summary,
            ReasonCode.CLOCK_SKEW, now_ms=ASKED_AT_MS + DEFAULT_POLICY.skew_ms + 1),
        "request_clock_lags_new_key": _case(
            "signed by a clock an hour behind, before sh-pudong's new key starts: clock_skew "
            "(temporary), not key_not_valid", "request",
            request_bytes("summary", ops["summary"][0], issued_at_ms=lagging_at_ms),
            ReasonCode.CLOCK_SKEW, now_ms=lagging_at_ms + HOUR_MS),
    }


def _reply_cases() -> dict[str, dict[str, Any]]:
    ops = exchanges()
    propose = request_bytes("propose", ops["propose"][0])
    good = reply_bytes(propose, ops["propose"][1])
    result = ops["propose"][1]
    history = request_bytes("history", {**ops["history"][0], "limit": 1})
    two = {"transactions": ops["history"][1]["transactions"] * 2}
    summary = request_bytes("summary", ops["summary"][0])
    upper = {**ops["summary"][1], "digest": ops["summary"][1]["digest"].upper()}

    def reply(description: str, wire: bytes, expected: ReasonCode,
              request: bytes = propose) -> dict[str, Any]:
        return _case(description, "reply", wire, expected, request=request)

    return {
        "reply_unknown_member": reply(
            "a reply with a member the reply does not define",
            _resigned(good, RECEIVER, note="co-signed"), ReasonCode.MALFORMED),
        "reply_without_op": reply(
            "a reply without op", _resigned(good, RECEIVER, op=None), ReasonCode.MALFORMED),
        "reply_result_unknown_member": reply(
            "a propose result with a member propose does not define",
            _resigned(good, RECEIVER, result={**result, "note": "ok"}), ReasonCode.MALFORMED),
        "reply_result_without_matched": reply(
            "a propose result without matched",
            _resigned(good, RECEIVER, result={k: v for k, v in result.items() if k != "matched"}),
            ReasonCode.MALFORMED),
        "reply_matched_without_record": reply(
            "matched true with a null record",
            _resigned(good, RECEIVER, result={**result, "record": None}), ReasonCode.MALFORMED),
        "reply_other_op": reply(
            "op names another operation than the request's",
            _resigned(good, RECEIVER, op="summary"), ReasonCode.RESPONSE_MISMATCH),
        "reply_other_request": reply(
            "request_hash of another request", _resigned(good, RECEIVER, request_hash="0" * 64),
            ReasonCode.RESPONSE_MISMATCH),
        "reply_not_on_link": reply(
            "addressed to hz-xihu", _resigned(good, RECEIVER, receiver="hz-xihu"),
            ReasonCode.RESPONSE_MISMATCH),
        "reply_signed_by_other_node": reply(
            "signed by hz-xihu, sender nj-gulou", _resigned(good, "hz-xihu"),
            ReasonCode.SENDER_MISMATCH),
        "reply_history_over_limit": reply(
            "two transactions for a history limit of 1",
            reply_bytes(history, two), ReasonCode.MALFORMED, request=history),
        "reply_digest_uppercase": reply(
            "a summary digest in uppercase hex", reply_bytes(summary, upper),
            ReasonCode.MALFORMED, request=summary),
    }


def reconciliation_negative_vectors() -> dict[str, dict[str, Any]]:
    return {**_request_cases(), **_reply_cases()}


def run_reconciliation_vector(vector: dict[str, Any], directory: Directory) -> ReasonCode | None:
    """The reason the reader refuses the vector's document with, or None if it accepts it."""
    wire = bytes.fromhex(vector["wire_hex"])
    try:
        if vector["role"] == "request":
            admit_request(wire, directory=directory, receiver=vector["receiver"],
                          now_ms=vector["now_ms"])
        else:
            admit_reply(wire, directory=directory,
                        request=bytes.fromhex(vector["request_wire_hex"]))
    except ProtocolError as exc:
        return exc.code
    return None
