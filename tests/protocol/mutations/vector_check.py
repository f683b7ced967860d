"""Check whichever `protocol` package is first on sys.path against the stored vectors.

    python tests/protocol/mutations/vector_check.py schemas/vectors

This is what an independent implementation must do (docs/standard.md §17): reproduce every
positive vector byte for byte from the seeds and verify it, admit it where it is a document to
admit, and refuse every negative vector with its code. It reads only the stored files and the
package's public functions, and never generates a vector, so a mistake planted in the package
(tests/protocol/mutations/test_mutations.py) shows up as failing checks rather than as vectors
that changed along with it. Prints one line per failing check (`FAIL <check>: <why>`) and exits
1 if any failed, else prints `ok <count>` and exits 0.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from protocol.canonical import canonical_bytes
from protocol.chain import ChainVerdict, LinkState
from protocol.conformance.encoding import run_encoding_vector
from protocol.conformance.links import run_links_vector
from protocol.conformance.negative import run_transaction_vector
from protocol.conformance.negative_directory import run_directory_vector
from protocol.conformance.negative_reconciliation import run_reconciliation_vector
from protocol.conformance.negative_response import run_response_vector
from protocol.conformance.routed import run_delivered_vector
from protocol.directory import Directory, accept_directory, decode_directory
from protocol.envelope import admit_response, verify_evidence
from protocol.links import accept_links
from protocol.merkle import TransferLeaf, leaf_hash, transfers_root
from protocol.merkle_diff import Bound, LeafIndex, RangeSummary, reconcile
from protocol.reasons import ReasonCode
from protocol.receive import receive_transaction
from protocol.reconciliation import (
    admit_reply,
    admit_request,
    leaf_from_json,
    leaf_to_json,
    relocation_leaf,
)
from protocol.routes import route
from protocol.signing import SigningKey, VerifyKey, key_id_for, sign_object, verify_object
from protocol.transaction import decode_transaction, transaction_hash
from protocol.wire import parse_object, wire_bytes

Check = Callable[[], None]
BYTES_MAX = 1 << 24


class Vectors:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.keys: dict[str, dict[str, str]] = self.load("keys.json")["keys"]
        self._directory: Directory | None = None

    def load(self, relative: str) -> dict[str, Any]:
        return json.loads((self.root / relative).read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    def folder(self, relative: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for path in sorted((self.root / relative).glob("*.json")):
            yield f"{relative}/{path.stem}", json.loads(path.read_text(encoding="utf-8"))

    def seed_key(self, name: str) -> SigningKey:
        return SigningKey.from_seed(bytes.fromhex(self.keys[name]["seed_hex"]))

    def directory(self) -> Directory:
        """The vectors' directory as the package reads it (without judging its signature:
        `positive/directory` does that, so one mistake there does not fail every check)."""
        if self._directory is None:
            self._directory = decode_directory(self.load("positive/directory.json")["document"])
        return self._directory


def _equal(found: Any, expected: Any, what: str) -> None:
    if found != expected:
        raise AssertionError(f"{what}: got {str(found)[:120]}, expected {str(expected)[:120]}")


def _key_check(vectors: Vectors, name: str) -> Check:
    def check() -> None:
        key = vectors.seed_key(name)
        entry = vectors.keys[name]
        _equal(key.verify_key().to_b64(), entry["public_key"], "public key")
        _equal(key_id_for(key.public_key), entry["key_id"], "key id")
    return check


def _signed_bytes_check(vectors: Vectors, vector: dict[str, Any]) -> None:
    """Signed bytes, wire bytes and signature from the seed; the stored signature verifies."""
    document = vector["document"]
    parsed = parse_object(bytes.fromhex(vector["wire_hex"]), bytes_max=BYTES_MAX)
    _equal(parsed, document, "parsed wire bytes")
    unsigned = {k: v for k, v in document.items() if k != "signatures"}
    key_of = vectors.seed_key(vector["key_name"])
    signed = sign_object(unsigned, signer=vector["signer"], key=key_of)
    _equal(wire_bytes(signed).hex(), vector["wire_hex"], "wire bytes re-signed from the seed")
    _equal(signed["signatures"][vector["signer"]][vector["key_id"]], vector["signature"],
           "signature")
    key = VerifyKey.from_b64(vector["key_id"], vector["public_key"])
    _equal(key_id_for(key.public_key), vector["key_id"], "key id")
    verify_object(document, signer=vector["signer"], key=key)


def _admit_transaction(vectors: Vectors, vector: dict[str, Any]) -> None:
    # Routed legs (§22.4) name their receiver and the link they follow; the others go to
    # nj-gulou on an empty link.
    link = vector.get("link", {"last_sequence": 0, "last_hash": "0" * 64})
    received = receive_transaction(bytes.fromhex(vector["wire_hex"]),
                                   directory=vectors.directory(),
                                   receiver=vector.get("receiver", "nj-gulou"),
                                   now_ms=vector["now_ms"],
                                   link=LinkState(link["last_sequence"], link["last_hash"]),
                                   stored_hash=None)
    _equal(received.verdict, ChainVerdict.NEXT, "verdict")
    _equal(received.message_reasons, (None,) * len(received.message_reasons), "message reasons")
    _equal(received.transaction.transaction_hash(), vector["transaction_hash"], "hash")
    _equal(transaction_hash(vector["document"]), vector["transaction_hash"], "hash of document")


def _admit_response(vectors: Vectors, vector: dict[str, Any]) -> None:
    request = decode_transaction(
        parse_object(bytes.fromhex(vector["request_wire_hex"]), bytes_max=BYTES_MAX))
    response = admit_response(bytes.fromhex(vector["wire_hex"]), directory=vectors.directory(),
                              request=request)
    _equal([answer.type for answer in response.messages],
           [answer["type"] for answer in vector["document"]["messages"]], "answer types")
    if "expected_finding" in vector:  # a delivered answer to a leg (§22.4)
        _equal(run_delivered_vector(vector), vector["expected_finding"], "finding")


def _admit_end_receipt(vectors: Vectors, vector: dict[str, Any]) -> None:
    document = vector["document"]
    verify_evidence(document, directory=vectors.directory(), time_member="committed_at_ms",
                    signer=document["path"][-1])


def _admit_exchange(vectors: Vectors, vector: dict[str, Any]) -> None:
    wire = bytes.fromhex(vector["wire_hex"])
    if vector["document"]["kind"] == "reconciliation.request":
        admitted = admit_request(wire, directory=vectors.directory(), receiver="nj-gulou",
                                 now_ms=vector["now_ms"])
        _equal(admitted.request_hash, vector["request_hash"], "request hash")
    else:
        result = admit_reply(wire, directory=vectors.directory(),
                             request=bytes.fromhex(vector["request_wire_hex"]))
        _equal(result, vector["document"]["result"], "reply result")


def _admit_directory(vectors: Vectors, vector: dict[str, Any]) -> None:
    entry = vectors.keys["authority"]
    anchor = VerifyKey.from_b64(entry["key_id"], entry["public_key"])
    accepted = accept_directory(vector["document"], anchors=[anchor], current=None)
    _equal(accepted, vectors.directory(), "accepted directory")


def _admit_links(vectors: Vectors, vector: dict[str, Any]) -> None:
    link_map = accept_links(vector["document"], directory=vectors.directory(), current=None)
    for case in vector["routes"]:
        found = route(link_map, case["source"], case["target"], active=frozenset(case["active"]))
        _equal(None if found is None else list(found), case["route"], "route")


def _positive_check(vectors: Vectors, vector: dict[str, Any]) -> Check:
    def check() -> None:
        _signed_bytes_check(vectors, vector)
        kind = vector["document"]["kind"]
        if kind == "transaction":
            _admit_transaction(vectors, vector)
        elif kind == "response":
            _admit_response(vectors, vector)
        elif kind == "directory":
            _admit_directory(vectors, vector)
        elif kind == "links":
            _admit_links(vectors, vector)
        elif kind == "transfer_end":
            _admit_end_receipt(vectors, vector)
        else:
            _admit_exchange(vectors, vector)
    return check


def _negative_check(vector: dict[str, Any], run: Callable[[dict[str, Any]], Any]) -> Check:
    def check() -> None:
        _equal(run(vector), ReasonCode(vector["expected_reason"]), "refusal")
    return check


def _finding_check(vector: dict[str, Any]) -> Check:
    def check() -> None:
        _equal(run_delivered_vector(vector), vector["expected_finding"], "finding")
    return check


def _key(bound: list[str] | None) -> Bound:
    return None if bound is None else (bound[0], bound[1])


def _merkle_check(vectors: Vectors) -> Check:
    def check() -> None:
        merkle = vectors.load("positive/reconciliation/merkle_root.json")
        leaves = [leaf_from_json(entry["leaf"]) for entry in merkle["leaves"]]
        for leaf, entry in zip(leaves, merkle["leaves"], strict=True):
            _equal(leaf.leaf_bytes().hex(), entry["leaf_bytes_hex"], "leaf data")
            _equal(leaf_hash(leaf.leaf_bytes()).hex(), entry["leaf_hash"], "leaf hash")
        for root in merkle["roots"]:
            prefix = leaves[: root["leaf_count"]]
            _equal(transfers_root(reversed(prefix)), root["merkle_root"], "root")
            _equal(LeafIndex(prefix).root().hex(), root["merkle_root"], "root from hashes")
        index = LeafIndex(leaves)
        for digest in merkle["range_digests"]:
            found = index.summary(_key(digest["lo"]), _key(digest["hi"]))
            _equal((found.count, found.digest.hex()), (digest["count"], digest["digest"]),
                   "range digest")
    return check


class _Replay:
    """The responder of descent.json, answering from the transcript in order."""

    def __init__(self, descent: dict[str, Any]) -> None:
        self.window = descent["window_index"]
        self.steps = iter(descent["transcript"])

    def _answer(self, op: str, lo: Bound, hi: Bound) -> dict[str, Any]:
        step = next(self.steps)
        asked = {"window_index": self.window, "lo": None if lo is None else list(lo),
                 "hi": None if hi is None else list(hi)}
        _equal((step["op"], step["args"]), (op, asked), "question")
        return step["result"]  # type: ignore[no-any-return]

    def summary(self, lo: Bound, hi: Bound) -> RangeSummary:
        result = self._answer("summary", lo, hi)
        return RangeSummary(result["count"], bytes.fromhex(result["digest"]))

    def split_key(self, lo: Bound, hi: Bound) -> tuple[str, str]:
        key = self._answer("split_key", lo, hi)["key"]
        return (key[0], key[1])

    def leaves(self, lo: Bound, hi: Bound) -> list[TransferLeaf]:
        return [leaf_from_json(item) for item in self._answer("leaves", lo, hi)["leaves"]]


def _descent_check(vectors: Vectors) -> Check:
    def check() -> None:
        descent = vectors.load("positive/reconciliation/descent.json")
        peer = LeafIndex([leaf_from_json(item) for item in descent["peer_leaves"]])
        for step in descent["transcript"]:
            lo, hi = _key(step["args"]["lo"]), _key(step["args"]["hi"])
            if step["op"] == "summary":
                found = peer.summary(lo, hi)
                _equal({"count": found.count, "digest": found.digest.hex()}, step["result"],
                       "summary answer")
            elif step["op"] == "split_key":
                _equal({"key": list(peer.split_key(lo, hi))}, step["result"], "split key")
            else:
                _equal([leaf_from_json(x) for x in step["result"]["leaves"]],
                       list(peer.leaves(lo, hi)), "leaves answer")
        local = LeafIndex([leaf_from_json(item) for item in descent["local_leaves"]])
        replay = _Replay(descent)
        result = reconcile(local, replay, leaf_threshold=descent["leaf_threshold"])
        _equal(next(replay.steps, None), None, "unasked questions")
        _equal([(d.kind.value, list(d.key)) for d in result.differences],
               [(d["kind"], d["key"]) for d in descent["differences"]], "differences")
    return check


def _canonical_check(case: dict[str, Any]) -> Check:
    def check() -> None:
        value = parse_object(bytes.fromhex(case["wire_hex"]), bytes_max=BYTES_MAX)
        _equal(canonical_bytes(value).hex(), case["canonical_hex"], "canonical bytes")
    return check


def _relocation_leaf_check(vectors: Vectors) -> Check:
    def check() -> None:
        vector = vectors.load("positive/reconciliation/relocation_leaf.json")
        transaction = decode_transaction(
            parse_object(bytes.fromhex(vector["transaction_wire_hex"]), bytes_max=BYTES_MAX))
        (prepare,) = transaction.messages
        leaf = relocation_leaf(transaction.sender, prepare)  # type: ignore[arg-type]
        _equal(leaf_to_json(leaf), vector["leaf"], "leaf")
        _equal(leaf.leaf_bytes().hex(), vector["leaf_bytes_hex"], "leaf data")
        _equal(leaf_hash(leaf.leaf_bytes()).hex(), vector["leaf_hash"], "leaf hash")
    return check


def checks(vectors: Vectors) -> dict[str, Check]:
    found: dict[str, Check] = {f"keys/{name}": _key_check(vectors, name) for name in vectors.keys}
    for folder in ("positive", "positive/pins", "positive/routed"):
        for name, vector in vectors.folder(folder):
            found[name] = _positive_check(vectors, vector)
    directory = vectors.directory
    runners: dict[str, Callable[[dict[str, Any]], Any]] = {
        "negative/transaction": lambda v: run_transaction_vector(v, directory()),
        "negative/directory": run_directory_vector,
        "negative/reconciliation": lambda v: run_reconciliation_vector(v, directory()),
        "negative/response": lambda v: run_response_vector(v, directory()),
        "negative/encoding": run_encoding_vector,
        "negative/links": run_links_vector,
    }
    for folder, run in runners.items():
        for name, vector in vectors.folder(folder):
            found[name] = _negative_check(vector, run)
    for name, vector in vectors.folder("negative/routed"):
        found[name] = _finding_check(vector)
    found["positive/reconciliation/merkle_root"] = _merkle_check(vectors)
    found["positive/reconciliation/descent"] = _descent_check(vectors)
    found["positive/reconciliation/relocation_leaf"] = _relocation_leaf_check(vectors)
    for case in vectors.load("positive/encoding/canonical.json")["cases"]:
        found[f"positive/encoding/canonical/{case['name']}"] = _canonical_check(case)
    return found


def failures(root: Path) -> dict[str, str]:
    """Check name -> why it failed, for every check that failed."""
    failed = {}
    for name, check in checks(Vectors(root)).items():
        try:
            check()
        except Exception as exc:  # a planted mistake may break anything
            failed[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
    return failed


def main(argv: list[str]) -> int:
    try:
        failed = failures(Path(argv[0]))
    except Exception:  # the package or the vectors cannot even be loaded
        traceback.print_exc()
        print("FAIL <load>: the checks could not start")
        return 1
    for name, why in sorted(failed.items()):
        print(f"FAIL {name}: {why}")
    if failed:
        return 1
    print(f"ok {len(checks(Vectors(Path(argv[0]))))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
