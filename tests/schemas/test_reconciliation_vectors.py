"""The reconciliation exchange's vectors (standard §20): signed requests and replies admitted,
every negative vector refused with its code and by the schemas, and the Merkle root, range
digests and descent transcript recomputed by code that shares nothing with protocol/merkle*."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import jsonschema
import pytest

from protocol.conformance.fixtures import vector_directory
from protocol.conformance.negative_reconciliation import run_reconciliation_vector
from protocol.merkle import TransferLeaf
from protocol.merkle_diff import Bound, LeafIndex, RangeSummary, reconcile
from protocol.reasons import FINALITY, ReasonCode
from protocol.reconciliation import OPS as OPS_CODE
from protocol.reconciliation import (
    REPLY_MEMBERS,
    REQUEST_MEMBERS,
    admit_reply,
    admit_request,
    leaf_from_json,
)
from protocol.reconciliation_ops import (
    ARGS,
    EVIDENCE_ITEMS_MAX,
    HISTORY_PAGE_MAX,
    LEAVES_PER_REPLY_MAX,
    REPAIR_DETAIL_CHARS_MAX,
    REPAIR_KINDS,
    REPAIR_OUTCOMES,
    RESULTS,
)
from tests.schemas.conftest import Validate
from tests.schemas.test_vectors import POSITIVE, VECTORS_DIR, _load

NEGATIVE = _load("negative/reconciliation")
MERKLE = json.loads((VECTORS_DIR / "positive/reconciliation/merkle_root.json").read_text())
DESCENT = json.loads((VECTORS_DIR / "positive/reconciliation/descent.json").read_text())
OPS = ("propose", "summary", "split_key", "leaves", "evidence", "repair", "history")
# Refusals a schema can state on its own (the rest need the request, a clock or a directory).
SCHEMA_REFUSES = {
    "request_unknown_member", "request_missing_member", "request_args_unknown_member",
    "request_args_missing_member", "request_key_not_a_key", "request_unknown_op",
    "request_empty_signature_entry", "reply_unknown_member", "reply_without_op",
    "reply_result_unknown_member", "reply_result_without_matched",
    "reply_matched_without_record", "reply_digest_uppercase",
}


def test_every_op_has_a_request_and_a_reply_vector() -> None:
    for op in OPS:
        assert {f"reconciliation.request.{op}", f"reconciliation.reply.{op}"} <= set(POSITIVE)


@pytest.mark.parametrize("op", OPS)
def test_request_and_reply_vectors_are_admitted(op: str) -> None:
    request = POSITIVE[f"reconciliation.request.{op}"]
    reply = POSITIVE[f"reconciliation.reply.{op}"]
    wire = bytes.fromhex(request["wire_hex"])
    admitted = admit_request(wire, directory=vector_directory(), receiver="nj-gulou",
                             now_ms=request["now_ms"])
    # The request hash is SHA-256 of the signed bytes: what binds the reply to the request.
    signed = bytes.fromhex(request["signed_bytes_hex"])
    assert admitted.request_hash == request["request_hash"] == hashlib.sha256(signed).hexdigest()
    assert reply["document"]["request_hash"] == request["request_hash"]
    assert reply["request_wire_hex"] == request["wire_hex"]
    result = admit_reply(bytes.fromhex(reply["wire_hex"]), directory=vector_directory(),
                         request=wire)
    assert result == reply["document"]["result"]


def test_nested_transactions_are_json_strings_of_canonical_bytes() -> None:
    item = POSITIVE["reconciliation.reply.evidence"]["document"]["result"]["evidence"][0]
    transaction = json.loads(item["transaction"])
    assert item["transaction"] == bytes.fromhex(POSITIVE["transfer.prepare"]["wire_hex"]).decode()
    assert transaction["kind"] == "transaction"
    assert json.loads(item["response"])["transaction_hash"] == (
        POSITIVE["transfer.prepare"]["transaction_hash"])


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_negative_reconciliation_vector(name: str) -> None:
    vector = NEGATIVE[name]
    expected = ReasonCode(vector["expected_reason"])
    assert FINALITY[expected].value == vector["expected_finality"]
    assert run_reconciliation_vector(vector, vector_directory()) is expected


@pytest.mark.parametrize("name", sorted(SCHEMA_REFUSES))
def test_the_schemas_refuse_what_the_reader_refuses(name: str, validate: Validate) -> None:
    vector = NEGATIVE[name]
    schema = f"reconciliation.{vector['role']}.schema.json"
    with pytest.raises(jsonschema.ValidationError):
        validate(schema, json.loads(bytes.fromhex(vector["wire_hex"])))


def test_the_runner_accepts_good_documents() -> None:
    # Without this, a runner that always refused would pass every negative vector.
    request, reply = POSITIVE["reconciliation.request.propose"], POSITIVE[
        "reconciliation.reply.propose"]
    good_request = {"role": "request", "receiver": "nj-gulou", "now_ms": request["now_ms"],
                    "wire_hex": request["wire_hex"]}
    good_reply = {"role": "reply", "wire_hex": reply["wire_hex"],
                  "request_wire_hex": reply["request_wire_hex"]}
    for vector in (good_request, good_reply):
        assert run_reconciliation_vector(vector, vector_directory()) is None


# Merkle root and range digests, recomputed independently ------------------------------------


def _leaf_bytes(leaf: list[Any]) -> bytes:
    # ASCII strings and integers only: sorted keys without whitespace are RFC 8785 here.
    members = dict(zip(("debtor_node", "transfer_id", "amount_minutes", "prepare_hash"), leaf,
                       strict=True))
    return json.dumps(members, sort_keys=True, separators=(",", ":")).encode()


def _mth(hashes: list[bytes]) -> bytes:
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    split = 1 << ((len(hashes) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _mth(hashes[:split]) + _mth(hashes[split:])).digest()


def _key(bound: list[str] | None) -> tuple[str, str] | None:
    return None if bound is None else (bound[0], bound[1])


def test_merkle_root_vector() -> None:
    leaves = MERKLE["leaves"]
    keys = [tuple(entry["leaf"][:2]) for entry in leaves]
    assert keys == sorted(keys)
    hashes = []
    for entry in leaves:
        data = _leaf_bytes(entry["leaf"])
        assert data.hex() == entry["leaf_bytes_hex"]
        hashes.append(hashlib.sha256(b"\x00" + data).digest())
        assert hashes[-1].hex() == entry["leaf_hash"]
    for root in MERKLE["roots"]:
        assert _mth(hashes[: root["leaf_count"]]).hex() == root["merkle_root"]
    for digest in MERKLE["range_digests"]:
        lo, hi = _key(digest["lo"]), _key(digest["hi"])
        inside = [h for k, h in zip(keys, hashes, strict=True)
                  if (lo is None or k >= lo) and (hi is None or k < hi)]
        assert digest["count"] == len(inside)
        assert digest["digest"] == hashlib.sha256(b"\x02" + b"".join(inside)).hexdigest()


class _Replay:
    """A peer that answers from the transcript alone, in order: the closer must ask exactly
    these questions, and every recorded answer must be what nj-gulou's leaves give."""

    def __init__(self, transcript: list[dict[str, Any]]) -> None:
        self.steps = iter(transcript)

    def _answer(self, op: str, lo: Bound, hi: Bound) -> dict[str, Any]:
        step = next(self.steps)
        asked = {"window_index": DESCENT["window_index"], "lo": None if lo is None else list(lo),
                 "hi": None if hi is None else list(hi)}
        assert (step["op"], step["args"]) == (op, asked)
        return step["result"]  # type: ignore[no-any-return]

    def summary(self, lo: Bound, hi: Bound) -> RangeSummary:
        result = self._answer("summary", lo, hi)
        return RangeSummary(result["count"], bytes.fromhex(result["digest"]))

    def split_key(self, lo: Bound, hi: Bound) -> tuple[str, str]:
        key = self._answer("split_key", lo, hi)["key"]
        return (key[0], key[1])

    def leaves(self, lo: Bound, hi: Bound) -> list[TransferLeaf]:
        return [leaf_from_json(item) for item in self._answer("leaves", lo, hi)["leaves"]]


def test_descent_transcript_answers_are_the_peers() -> None:
    peer = LeafIndex([leaf_from_json(item) for item in DESCENT["peer_leaves"]])
    for step in DESCENT["transcript"]:
        lo, hi = _key(step["args"]["lo"]), _key(step["args"]["hi"])
        if step["op"] == "summary":
            found = peer.summary(lo, hi)
            assert step["result"] == {"count": found.count, "digest": found.digest.hex()}
        elif step["op"] == "split_key":
            # The upper median of the range's keys: index count // 2 from the first.
            inside = [tuple(x[:2]) for x in DESCENT["peer_leaves"]
                      if (lo is None or tuple(x[:2]) >= lo) and (hi is None or tuple(x[:2]) < hi)]
            assert step["result"] == {"key": list(inside[len(inside) // 2])}
        else:
            assert step["op"] == "leaves"
            assert [leaf_from_json(x) for x in step["result"]["leaves"]] == list(
                peer.leaves(lo, hi))


def test_descent_transcript_replays_to_the_differences() -> None:
    local = LeafIndex([leaf_from_json(item) for item in DESCENT["local_leaves"]])
    replay = _Replay(DESCENT["transcript"])
    found = reconcile(local, replay, leaf_threshold=DESCENT["leaf_threshold"])
    assert next(replay.steps, None) is None
    assert [(d.kind.value, list(d.key)) for d in found.differences] == [
        (d["kind"], d["key"]) for d in DESCENT["differences"]]
    assert {d["kind"] for d in DESCENT["differences"]} == {
        "missing_locally", "missing_at_peer", "field_mismatch"}
    assert {step["op"] for step in DESCENT["transcript"]} == {"summary", "split_key", "leaves"}
    assert DESCENT["local_root"] != DESCENT["peer_root"]


def test_the_schemas_state_the_codes_limits_and_members(schemas: dict[str, Any]) -> None:
    request = schemas["reconciliation.request.schema.json"]
    reply = schemas["reconciliation.reply.schema.json"]
    assert set(request["required"]) == REQUEST_MEMBERS
    assert set(reply["required"]) == REPLY_MEMBERS
    assert set(request["properties"]["op"]["enum"]) == set(reply["properties"]["op"]["enum"]) == (
        OPS_CODE)
    for op in OPS_CODE:
        args = request["$defs"][f"args_{op}"]
        if "$ref" in args:  # the three range ops share one definition
            args = request["$defs"][args["$ref"].removeprefix("#/$defs/")]
        assert set(args["required"]) == set(ARGS[op])
        assert set(reply["$defs"][f"result_{op}"]["required"]) == set(RESULTS[op])
    results = reply["$defs"]
    assert results["result_leaves"]["properties"]["leaves"]["maxItems"] == LEAVES_PER_REPLY_MAX
    assert results["result_history"]["properties"]["transactions"]["maxItems"] == (
        HISTORY_PAGE_MAX)
    outcome = results["result_repair"]["properties"]["outcomes"]
    assert outcome["maxItems"] == EVIDENCE_ITEMS_MAX
    item = outcome["items"]["properties"]
    assert tuple(item["kind"]["enum"]) == REPAIR_KINDS
    assert tuple(item["outcome"]["enum"]) == REPAIR_OUTCOMES
    assert item["detail"]["maxLength"] == REPAIR_DETAIL_CHARS_MAX
