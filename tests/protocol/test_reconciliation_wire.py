"""The reconciliation exchange's signed requests and replies, and its leaf and key encodings."""

from __future__ import annotations

import json

import pytest

from protocol.canonical import canonical_bytes
from protocol.conformance.fixtures import T0_MS, vector_key
from protocol.directory import Directory
from protocol.errors import ProtocolError
from protocol.merkle import TransferLeaf
from protocol.reasons import ReasonCode
from protocol.reconciliation import (
    admit_reply,
    admit_request,
    build_reply,
    build_request,
    bytes_max,
    key_from_json,
    leaf_from_json,
    leaf_to_json,
)
from protocol.signing import sign_object

SH, NJ = "sh-pudong", "nj-gulou"
NOW = T0_MS + 1_000
RANGE = {"window_index": 1, "lo": None, "hi": None}


def request(op: str = "summary", **overrides: object) -> bytes:
    document = {
        "standard": "hourbridge/1", "kind": "reconciliation.request",
        "request_id": "r" * 32, "sender": SH, "receiver": NJ, "op": op,
        "args": {"window_index": 1, "lo": None, "hi": None}, "issued_at_ms": NOW,
        "signatures": {},
    }
    document.update(overrides)
    return canonical_bytes(sign_object(document, signer=SH, key=vector_key(SH)))


def refused(raw: bytes, directory: Directory, *, now_ms: int = NOW) -> ReasonCode:
    with pytest.raises(ProtocolError) as err:
        admit_request(raw, directory=directory, receiver=NJ, now_ms=now_ms)
    return err.value.code


def test_a_request_and_its_reply_round_trip(directory: Directory) -> None:
    raw = build_request(request_id="q" * 32, sender=SH, receiver=NJ, op="leaves",
                        args=RANGE, issued_at_ms=NOW, key=vector_key(SH))
    admitted = admit_request(raw, directory=directory, receiver=NJ, now_ms=NOW)
    assert (admitted.op, admitted.sender, admitted.args) == ("leaves", SH, RANGE)
    reply = build_reply(admitted, result={"leaves": []}, issued_at_ms=NOW, key=vector_key(NJ))
    assert admit_reply(reply, directory=directory, request=raw) == {"leaves": []}
    assert bytes_max(directory) == 9 * directory.policy.transaction_bytes_max


def test_requests_are_refused_with_the_standards_codes(directory: Directory) -> None:
    assert refused(request(kind="statement"), directory) is ReasonCode.MALFORMED
    assert refused(request(request_id="short"), directory) is ReasonCode.MALFORMED
    assert refused(request(request_id=7), directory) is ReasonCode.MALFORMED
    assert refused(request(op="drop_tables"), directory) is (
        ReasonCode.UNSUPPORTED_MESSAGE_TYPE)
    assert refused(request(args=[1]), directory) is ReasonCode.MALFORMED
    assert refused(request(receiver="hz-xihu"), directory) is ReasonCode.WRONG_RECEIVER
    assert refused(request(issued_at_ms=True), directory) is ReasonCode.MALFORMED
    assert refused(request(), directory, now_ms=NOW + 10 * 60_000) is ReasonCode.CLOCK_SKEW
    tampered = request().replace(b'"summary"', b'"leaves"')
    assert refused(tampered, directory) is ReasonCode.BAD_SIGNATURE


def test_a_reply_must_answer_the_request_on_its_link(directory: Directory) -> None:
    raw = request()
    admitted = admit_request(raw, directory=directory, receiver=NJ, now_ms=NOW)
    reply = build_reply(admitted, result={"count": 0, "digest": "0" * 64}, issued_at_ms=NOW,
                        key=vector_key(NJ))
    with pytest.raises(ProtocolError) as err:
        admit_reply(reply, directory=directory, request=request(op="leaves"))
    assert err.value.code is ReasonCode.RESPONSE_MISMATCH
    turned = json.loads(reply)
    turned["receiver"] = "hz-xihu"
    turned = sign_object({**turned, "signatures": {}}, signer=NJ, key=vector_key(NJ))
    with pytest.raises(ProtocolError) as err:
        admit_reply(canonical_bytes(turned), directory=directory, request=raw)
    assert err.value.code is ReasonCode.RESPONSE_MISMATCH
    no_result = {**json.loads(reply), "result": [], "signatures": {}}
    signed = canonical_bytes(sign_object(no_result, signer=NJ, key=vector_key(NJ)))
    with pytest.raises(ProtocolError) as err:
        admit_reply(signed, directory=directory, request=raw)
    assert err.value.code is ReasonCode.MALFORMED
    by_sender = build_reply(admitted, result={}, issued_at_ms=NOW, key=vector_key(SH))
    with pytest.raises(ProtocolError) as err:
        admit_reply(by_sender, directory=directory, request=raw)
    assert err.value.code is ReasonCode.UNKNOWN_KEY  # signed as nj-gulou with a foreign key


def test_leaves_and_keys_on_the_wire() -> None:
    leaf = TransferLeaf(SH, "t" * 32, 30, "a" * 64)
    assert leaf_from_json(leaf_to_json(leaf)) == leaf
    for bad in ([SH, "t", 30], [SH, "t", True, "a"], [SH, 1, 30, "a"], "leaf"):
        with pytest.raises(ProtocolError):
            leaf_from_json(bad)
    assert key_from_json(None) is None
    assert key_from_json([SH, "t"]) == (SH, "t")
    for bad in ([SH], [SH, 1], "k"):
        with pytest.raises(ProtocolError):
            key_from_json(bad)
