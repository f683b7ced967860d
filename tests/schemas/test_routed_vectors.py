"""The routed-transfer vectors (§22.4): every stored transaction is admitted at its receiver,
every response answers its leg, the end receipt verifies (with OpenSSL too), the legs' expiries
step down by the margin, and every negative delivered answer is read as a dispute."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from protocol.chain import ChainVerdict, LinkState
from protocol.conformance.fixtures import vector_directory
from protocol.conformance.routed import COMMIT, DISPUTE, run_delivered_vector
from protocol.envelope import admit_response, verify_evidence
from protocol.links import HOPS_MAX_LIMIT
from protocol.messages.routed import LEGS_MAX, EndReceipt, LegBody
from protocol.policy import DEFAULT_POLICY, HOUR_MS
from protocol.receive import receive_transaction
from protocol.routed import BOUND_MEMBERS, hop_margin_ms
from protocol.signing import VerifyKey, signing_bytes, verify_object
from protocol.transaction import decode_transaction
from protocol.wire import parse_object, wire_bytes
from tests.schemas.conftest import SCHEMAS_DIR, Validate
from tests.schemas.test_vectors import _openssl_verify

VECTORS_DIR = SCHEMAS_DIR / "vectors"


def _load(folder: str) -> dict[str, dict[str, Any]]:
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((VECTORS_DIR / folder).glob("*.json"))
    }


POSITIVE = _load("positive/routed")
NEGATIVE = _load("negative/routed")
TRANSACTIONS = sorted(n for n in POSITIVE if POSITIVE[n]["schema"] == "transaction.schema.json")
RESPONSES = sorted(n for n in POSITIVE if POSITIVE[n]["schema"] == "response.schema.json")


def _leg(name: str) -> LegBody:
    return LegBody.model_validate(POSITIVE[name]["document"]["messages"][0]["body"])


def test_the_required_vectors_exist() -> None:
    assert set(POSITIVE) >= {"leg.hop0", "leg.hop1", "forwarding", "delivered",
                             "delivered.upstream", "transfer_end"}
    assert set(NEGATIVE) >= {"end_signed_by_hub", "end_other_amount", "end_other_path"}
    refused = {p.stem for p in (VECTORS_DIR / "negative" / "transaction").glob("leg_*.json")}
    assert refused >= {"leg_path_not_from_debtor", "leg_path_repeats_node", "leg_hop_past_path"}


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_routed_vector_bytes_and_signature(name: str, validate: Validate) -> None:
    vector = POSITIVE[name]
    document = vector["document"]
    validate(vector["schema"], document)
    assert bytes.fromhex(vector["signed_bytes_hex"]) == signing_bytes(document)
    assert bytes.fromhex(vector["wire_hex"]) == wire_bytes(document)
    verify_object(document, signer=vector["signer"],
                  key=VerifyKey.from_b64(vector["key_id"], vector["public_key"]))


@pytest.mark.parametrize("name", TRANSACTIONS)
def test_routed_transactions_are_admitted_at_their_receiver(name: str) -> None:
    vector = POSITIVE[name]
    link = vector["link"]
    received = receive_transaction(
        bytes.fromhex(vector["wire_hex"]), directory=vector_directory(),
        receiver=vector["receiver"], now_ms=vector["now_ms"],
        link=LinkState(link["last_sequence"], link["last_hash"]), stored_hash=None)
    assert received.verdict is ChainVerdict.NEXT
    assert received.message_reasons == (None,)
    assert received.transaction.transaction_hash() == vector["transaction_hash"]


@pytest.mark.parametrize("name", RESPONSES)
def test_routed_responses_answer_their_leg(name: str) -> None:
    vector = POSITIVE[name]
    request = decode_transaction(
        parse_object(bytes.fromhex(vector["request_wire_hex"]), bytes_max=1 << 20))
    response = admit_response(bytes.fromhex(vector["wire_hex"]), directory=vector_directory(),
                              request=request)
    assert [answer.type for answer in response.messages] == [f"transfer.{name.split('.')[0]}"]
    if "expected_finding" in vector:
        assert run_delivered_vector(vector) == vector["expected_finding"] == COMMIT


def test_the_legs_expire_a_margin_apart_and_only_the_first_lasts_the_minimum() -> None:
    first, second, late = _leg("leg.hop0"), _leg("leg.hop1"), _leg("leg.hop1.late")
    margin = hop_margin_ms(DEFAULT_POLICY)
    assert first.expires_at_ms - first.created_at_ms == HOUR_MS + margin
    assert second.expires_at_ms == late.expires_at_ms == first.expires_at_ms - margin
    assert late.expires_at_ms - late.created_at_ms < DEFAULT_POLICY.expiry_min_ms
    assert _leg("leg.hop0.again") == first


def test_the_end_receipt_travels_upstream_unchanged_and_is_the_creditor_nodes() -> None:
    end = POSITIVE["transfer_end"]["document"]
    for name in ("delivered", "delivered.upstream"):
        assert POSITIVE[name]["document"]["messages"][0]["body"]["end"] == end
    verify_evidence(end, directory=vector_directory(), time_member="committed_at_ms",
                    signer=end["path"][-1])


def test_openssl_verifies_the_end_receipt(tmp_path: Path) -> None:
    vector = POSITIVE["transfer_end"]
    message = bytes.fromhex(vector["signed_bytes_hex"])
    signature = bytes.fromhex(vector["signature_hex"])
    assert _openssl_verify(tmp_path, public_key=vector["public_key"], message=message,
                           signature=signature)


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_negative_delivered_vector_is_a_dispute(name: str) -> None:
    vector = NEGATIVE[name]
    assert vector["expected_finding"] == DISPUTE
    assert run_delivered_vector(vector) == DISPUTE


def test_schema_bounds_are_the_codes(schemas: dict[str, Any]) -> None:
    path = schemas["common.schema.json"]["$defs"]["route_path"]
    hop = schemas["messages/transfer.leg.schema.json"]["properties"]["body"]["properties"]["hop"]
    assert LEGS_MAX == HOPS_MAX_LIMIT  # repeated in the message model; must not drift
    assert (path["minItems"], path["maxItems"]) == (3, LEGS_MAX + 1)
    assert (hop["minimum"], hop["maximum"]) == (0, LEGS_MAX - 1)
    end = schemas["transfer_end.schema.json"]
    bound = set(BOUND_MEMBERS) | {"standard", "kind", "committed_at_ms", "signatures"}
    assert set(end["required"]) == set(end["properties"]) == bound == set(EndReceipt.model_fields)
