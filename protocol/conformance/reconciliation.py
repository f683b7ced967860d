"""Known-answer vectors of the reconciliation exchange (standard §20): one signed request and
its signed reply per operation, a Merkle root and range digests worked through, and a Merkle
descent transcript (every question a closer asked and the peer's exact answer).

sh-pudong asks, nj-gulou answers, under the vectors' directory (positive/directory.json).
Negative vectors: negative_reconciliation.py.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from protocol.canonical import canonical_bytes, sha256_hex
from protocol.conformance.fixtures import HASH_A, RECEIVER, SENDER, T0_MS, vector_directory
from protocol.conformance.fixtures import vector_key as key_of
from protocol.conformance.samples import sample_answer, sample_prepare, sample_requests
from protocol.conformance.vectors import request_transaction, signed_vector
from protocol.merkle import TransferLeaf, leaf_hash, transfers_root
from protocol.merkle_diff import Bound, LeafIndex, RangeSummary, reconcile
from protocol.messages import encode_message
from protocol.messages.other import RelocationMessage
from protocol.reconciliation import (
    admit_request,
    build_reply,
    build_request,
    leaf_to_json,
    relocation_leaf,
)
from protocol.signing import sign_object
from protocol.transaction import build_response
from protocol.wire import wire_bytes

ASKED_AT_MS = T0_MS + 2_000
ANSWERED_AT_MS = T0_MS + 2_500
DESCENT_THRESHOLD = 2
WINDOW = 1


def _leaf(debtor: str, number: int, amount: int) -> TransferLeaf:
    transfer_id = f"tr-{number:010d}"
    digest = hashlib.sha256(f"hourbridge vector prepare {debtor} {transfer_id}".encode())
    return TransferLeaf(debtor, transfer_id, amount, digest.hexdigest())


def window_leaves() -> list[TransferLeaf]:
    """nj-gulou's leaves of window 1 with sh-pudong: transfers both ways, out of key order."""
    return [_leaf(SENDER, n, 30 * n) for n in (3, 1, 7)] + [_leaf(RECEIVER, n, 45) for n in (2, 5)]


def _bound(key: Bound) -> list[str] | None:
    return None if key is None else [key[0], key[1]]


def _range_args(lo: Bound, hi: Bound) -> dict[str, Any]:
    return {"window_index": WINDOW, "lo": _bound(lo), "hi": _bound(hi)}


def _summary(found: RangeSummary) -> dict[str, Any]:
    return {"count": found.count, "digest": found.digest.hex()}


def _mirror(statement: dict[str, Any]) -> dict[str, Any]:
    """The counterparty's statement of the same window, signed by it: the match."""
    swap = {"issuer": "counterparty", "outgoing_sequence_cut": "incoming_sequence_cut",
            "outgoing_head_hash": "incoming_head_hash", "outgoing": "incoming"}
    mirrored = {k: v for k, v in statement.items() if k != "signatures"}
    for one, other in swap.items():
        mirrored[one], mirrored[other] = statement[other], statement[one]
    for name in ("opening_position_minutes", "closing_position_minutes"):
        mirrored[name] = -statement[name]
    mirrored["issued_at_ms"] = ANSWERED_AT_MS
    return sign_object(mirrored, signer=RECEIVER, key=key_of(RECEIVER))


def evidence_pair() -> dict[str, str]:
    """The transaction that carried the sample prepare and nj-gulou's response committing it,
    each as the JSON string of its canonical bytes (how the exchange nests them, §20.1)."""
    transaction = request_transaction(sample_prepare())
    response = build_response(request=transaction, created_at_ms=T0_MS + 1_000,
                              answers=[sample_answer(sample_prepare(), kind="transfer.receipt")],
                              reason=None, key=key_of(RECEIVER))
    return {"transaction": canonical_bytes(transaction.to_json()).decode(),
            "response": canonical_bytes(response.to_json()).decode()}


def exchanges() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """op -> (args, result) of one reference exchange per operation."""
    index = LeafIndex(window_leaves())
    lo = (SENDER, "tr-0000000003")
    key = [SENDER, sample_prepare().body.transfer_id]
    statement = encode_message(sample_requests()[5])["body"]["statement"]
    record = sign_object(statement, signer=RECEIVER, key=key_of(RECEIVER))
    return {
        "propose": ({"statement": statement, "final": False, "late_response": None},
                    {"statement": _mirror(statement), "record": record, "matched": True}),
        "summary": (_range_args(None, None), _summary(index.summary(None, None))),
        "split_key": (_range_args(None, None), {"key": list(index.split_key(None, None))}),
        "leaves": (_range_args(lo, None),
                   {"leaves": [leaf_to_json(leaf) for leaf in index.leaves(lo, None)]}),
        "evidence": ({"keys": [key]}, {"evidence": [{"key": key, **evidence_pair()}]}),
        "repair": ({"window_index": WINDOW, "evidence": [{"key": key, **evidence_pair()}]},
                   {"outcomes": [{"key": key, "kind": "missing_locally", "outcome": "repaired",
                                  "detail": "restored from evidence: transaction 1 (1 credited, "
                                            "0 debited, 0 records restored)"}]}),
        "history": ({"direction": "from_you", "after": 0, "limit": 20},
                    {"transactions": [{"sequence": 1, **evidence_pair()}]}),
    }


def request_bytes(op: str, args: dict[str, Any], **changes: Any) -> bytes:
    return build_request(request_id=f"rq-{op}-0001".replace("_", "-"), sender=SENDER,
                         receiver=RECEIVER, op=op, args=args,
                         issued_at_ms=changes.get("issued_at_ms", ASKED_AT_MS),
                         key=changes.get("key", key_of(SENDER)))


def reply_bytes(request: bytes, result: dict[str, Any]) -> bytes:
    admitted = admit_request(request, directory=vector_directory(), receiver=RECEIVER,
                             now_ms=ASKED_AT_MS)
    return build_reply(admitted, result=result, issued_at_ms=ANSWERED_AT_MS,
                       key=key_of(RECEIVER))


def exchange_vectors() -> dict[str, dict[str, Any]]:
    """positive/reconciliation.request.<op>.json and reconciliation.reply.<op>.json."""
    vectors: dict[str, dict[str, Any]] = {}
    for op, (args, result) in exchanges().items():
        request = request_bytes(op, args)
        name = f"reconciliation.request.{op}"
        vector = signed_vector(name, json.loads(request), signer=SENDER, key_name=SENDER,
                               schema="reconciliation.request.schema.json")
        vector["request_hash"] = sha256_hex(bytes.fromhex(vector["signed_bytes_hex"]))
        vector["now_ms"] = ASKED_AT_MS
        vectors[name] = vector
        reply = json.loads(reply_bytes(request, result))
        name = f"reconciliation.reply.{op}"
        vectors[name] = signed_vector(name, reply, signer=RECEIVER, key_name=RECEIVER,
                                      schema="reconciliation.reply.schema.json")
        vectors[name]["request_wire_hex"] = request.hex()
    return vectors


def merkle_vector() -> dict[str, Any]:
    """positive/reconciliation/merkle_root.json: leaf bytes, leaf hashes, roots of every prefix
    of the window (0, 1, 2, 3, 4, 5 leaves) and the range digests of a few key ranges."""
    ordered = sorted(window_leaves())
    index = LeafIndex(ordered)
    ranges = [(None, None), (None, ordered[2].key), (ordered[2].key, None),
              (ordered[1].key, ordered[4].key), (ordered[4].key, ordered[1].key)]
    return {
        "description": "standard §11 (root) and §20.5 (range digest); leaves in key order",
        "leaves": [{"leaf": leaf_to_json(leaf), "leaf_bytes_hex": leaf.leaf_bytes().hex(),
                    "leaf_hash": leaf_hash(leaf.leaf_bytes()).hex()} for leaf in ordered],
        "roots": [{"leaf_count": n, "merkle_root": transfers_root(ordered[:n])}
                  for n in range(len(ordered) + 1)],
        "range_digests": [{"lo": _bound(lo), "hi": _bound(hi),
                           **_summary(index.summary(lo, hi))} for lo, hi in ranges],
    }


def relocation_leaf_vector() -> dict[str, Any]:
    """positive/reconciliation/relocation_leaf.json: the leaf of the relocation in
    positive/relocation.prepare.json once committed (§20.1), its leaf data and leaf hash."""
    transaction = request_transaction(sample_requests()[2])
    (prepare,) = transaction.messages
    assert isinstance(prepare, RelocationMessage)
    leaf = relocation_leaf(transaction.sender, prepare)
    return {
        "description": "standard §20.1: a relocation's leaf, from the transaction carrying it",
        "transaction_wire_hex": wire_bytes(transaction.to_json()).hex(),
        "leaf": leaf_to_json(leaf), "leaf_bytes_hex": leaf.leaf_bytes().hex(),
        "leaf_hash": leaf_hash(leaf.leaf_bytes()).hex(),
    }


class _Recorder:
    """The peer's side of a descent, writing down each question and its exact answer."""

    def __init__(self, index: LeafIndex) -> None:
        self.index = index
        self.transcript: list[dict[str, Any]] = []

    def _note(self, op: str, lo: Bound, hi: Bound, result: dict[str, Any]) -> None:
        self.transcript.append({"op": op, "args": _range_args(lo, hi), "result": result})

    def summary(self, lo: Bound, hi: Bound) -> RangeSummary:
        found = self.index.summary(lo, hi)
        self._note("summary", lo, hi, _summary(found))
        return found

    def split_key(self, lo: Bound, hi: Bound) -> tuple[str, str]:
        key = self.index.split_key(lo, hi)
        self._note("split_key", lo, hi, {"key": list(key)})
        return key

    def leaves(self, lo: Bound, hi: Bound) -> list[TransferLeaf]:
        found = list(self.index.leaves(lo, hi))
        self._note("leaves", lo, hi, {"leaves": [leaf_to_json(leaf) for leaf in found]})
        return found


def descent_sides() -> tuple[list[TransferLeaf], list[TransferLeaf]]:
    """(sh-pudong's leaves, nj-gulou's): twelve transfers each way in common, one missing at the
    peer, five missing locally, one changed."""
    common = [_leaf(SENDER, n, 10 + n) for n in range(1, 13)]
    common += [_leaf(RECEIVER, n, 20 + n) for n in range(1, 13)]
    local = [*common, _leaf(SENDER, 40, 60)]  # nj-gulou never committed it
    changed = TransferLeaf(common[5].debtor_node, common[5].transfer_id, 999, HASH_A)
    # Five transfers nj-gulou committed that sh-pudong never heard of, all past its last key:
    # there the closer holds too few leaves to split and asks the peer's `split_key`.
    peer = [leaf for leaf in common if leaf != common[5]] + [changed] + [
        _leaf(RECEIVER, n, 70 + n) for n in range(41, 46)]
    return local, peer


def descent_vector() -> dict[str, Any]:
    """positive/reconciliation/descent.json: both sides' leaves, every question sh-pudong's
    descent asked nj-gulou in order with nj-gulou's answer, and the differences found."""
    local, peer = descent_sides()
    recorder = _Recorder(LeafIndex(peer))
    found = reconcile(LeafIndex(local), recorder, leaf_threshold=DESCENT_THRESHOLD)
    return {
        "description": "standard §20.5; questions in the reference closer's order (any order "
                       "is conforming), answers exactly as every responder must give them",
        "window_index": WINDOW,
        "leaf_threshold": DESCENT_THRESHOLD,
        "local_leaves": [leaf_to_json(leaf) for leaf in sorted(local)],
        "peer_leaves": [leaf_to_json(leaf) for leaf in sorted(peer)],
        "local_root": transfers_root(local),
        "peer_root": transfers_root(peer),
        "transcript": recorder.transcript,
        "differences": [{"kind": d.kind.value, "key": list(d.key),
                         "local": None if d.local is None else leaf_to_json(d.local),
                         "peer": None if d.peer is None else leaf_to_json(d.peer)}
                        for d in found.differences],
    }

