"""The pin vectors (standard §17): encoding cases, boundary transactions, response binding and
a relocation's leaf, each checked by the reference and, where it can be, by code that shares
nothing with protocol/ (the rfc8785 package, hashlib, the JSON Schemas, OpenSSL)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import rfc8785

from protocol.chain import ChainVerdict, LinkState
from protocol.conformance.encoding import run_encoding_vector
from protocol.conformance.fixtures import vector_directory
from protocol.conformance.negative_response import run_response_vector
from protocol.reasons import FINALITY, ReasonCode
from protocol.receive import receive_transaction
from tests.schemas.conftest import Validate
from tests.schemas.test_vectors import NEGATIVE, VECTORS_DIR, _load, _openssl_verify

PINS = _load("positive/pins")
ENCODING = json.loads((VECTORS_DIR / "positive/encoding/canonical.json").read_text())["cases"]
NEGATIVE_ENCODING = _load("negative/encoding")
NEGATIVE_RESPONSE = _load("negative/response")
RELOCATION_LEAF = json.loads(
    (VECTORS_DIR / "positive/reconciliation/relocation_leaf.json").read_text())
TRANSACTIONS = sorted(name for name, vector in PINS.items() if "transaction_hash" in vector)


@pytest.mark.parametrize("case", ENCODING, ids=[case["name"] for case in ENCODING])
def test_canonical_case_by_an_independent_encoder(case: dict[str, Any]) -> None:
    value = json.loads(bytes.fromhex(case["wire_hex"]))
    assert rfc8785.dumps(value).hex() == case["canonical_hex"]
    assert run_encoding_vector(case) is None  # the strict parser takes every positive case


def test_canonical_member_order_is_by_utf16_code_units() -> None:
    (case,) = [case for case in ENCODING if case["name"] == "member_order_utf16"]
    names = list(json.loads(bytes.fromhex(case["canonical_hex"])))
    assert names == sorted(names, key=lambda name: name.encode("utf-16-be"))
    assert names != sorted(names)  # code point order differs: the case can catch it


@pytest.mark.parametrize("name", sorted(NEGATIVE_ENCODING))
def test_negative_encoding_vector(name: str) -> None:
    vector = NEGATIVE_ENCODING[name]
    assert vector["expected_reason"] == ReasonCode.MALFORMED.value
    assert run_encoding_vector(vector) is ReasonCode.MALFORMED


@pytest.mark.parametrize("name", TRANSACTIONS)
def test_pin_transactions_are_admitted(name: str, validate: Validate, tmp_path: Path) -> None:
    vector = PINS[name]
    validate(vector["schema"], vector["document"])
    received = receive_transaction(
        bytes.fromhex(vector["wire_hex"]), directory=vector_directory(), receiver="nj-gulou",
        now_ms=vector["now_ms"], link=LinkState(), stored_hash=None)
    assert (received.verdict, received.message_reasons) == (ChainVerdict.NEXT, (None,))
    assert received.transaction.transaction_hash() == vector["transaction_hash"]
    assert _openssl_verify(tmp_path, public_key=vector["public_key"],
                           message=bytes.fromhex(vector["signed_bytes_hex"]),
                           signature=bytes.fromhex(vector["signature_hex"]))


def test_the_memo_limit_counts_code_points(validate: Validate) -> None:
    memo = PINS["memo_140_characters"]["document"]["messages"][0]["body"]["memo"]
    assert len(memo) == 140 < len(memo.encode("utf-16-le")) // 2
    # The schema (JSON Schema's maxLength counts code points) agrees on both sides of the limit.
    too_long = json.loads(bytes.fromhex(NEGATIVE["memo_141_characters"]["wire_hex"]))
    with pytest.raises(jsonschema.ValidationError):
        validate("transaction.schema.json", too_long)


def test_boundary_instants_sit_exactly_on_the_bounds() -> None:
    skew_ms = vector_directory().policy.skew_ms
    ahead, behind = PINS["clock_skew_at_bound_ahead"], PINS["clock_skew_at_bound_behind"]
    assert ahead["now_ms"] - ahead["document"]["created_at_ms"] == skew_ms
    assert behind["document"]["created_at_ms"] - behind["now_ms"] == skew_ms
    start = PINS["key_window_start"]
    record = vector_directory().node("sh-pudong").key(start["key_id"])  # type: ignore[union-attr]
    assert record is not None and start["document"]["created_at_ms"] == record.valid_from_ms


def test_free_answer_ids_are_admitted_and_not_derived(validate: Validate) -> None:
    vector = PINS["answer_ids_free"]
    validate(vector["schema"], vector["document"])
    assert run_response_vector(vector, vector_directory()) is None
    request = json.loads(bytes.fromhex(vector["request_wire_hex"]))
    asked = {message["message_id"] for message in request["messages"]}
    answer_ids = [answer["message_id"] for answer in vector["document"]["messages"]]
    assert not any(asked_id in answer_id for asked_id in asked for answer_id in answer_ids)


@pytest.mark.parametrize("name", sorted(NEGATIVE_RESPONSE))
def test_negative_response_vector(name: str) -> None:
    vector = NEGATIVE_RESPONSE[name]
    expected = ReasonCode(vector["expected_reason"])
    assert FINALITY[expected].value == vector["expected_finality"]
    assert run_response_vector(vector, vector_directory()) is expected


def test_relocation_leaf_recomputed_independently() -> None:
    transaction = json.loads(bytes.fromhex(RELOCATION_LEAF["transaction_wire_hex"]))
    (message,) = transaction["messages"]
    body = message["body"]
    prepare_hash = hashlib.sha256(rfc8785.dumps(message)).hexdigest()
    moved = sum(balance["amount_minutes"] for balance in body["balances"])
    assert len(body["balances"]) > 1  # so that summing them can be told from taking one
    leaf = [transaction["sender"], body["relocation_id"], moved, prepare_hash]
    assert RELOCATION_LEAF["leaf"] == leaf
    data = rfc8785.dumps(dict(zip(("debtor_node", "transfer_id", "amount_minutes",
                                   "prepare_hash"), leaf, strict=True)))
    assert RELOCATION_LEAF["leaf_bytes_hex"] == data.hex()
    assert RELOCATION_LEAF["leaf_hash"] == hashlib.sha256(b"\x00" + data).hexdigest()
