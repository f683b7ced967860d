"""Negative directory vectors: candidate directories a node must refuse while holding another.

They run through `accept_directory` with the `authority` key as the only anchor.
"""

from __future__ import annotations

import hashlib
from typing import Any

from protocol.conformance.fixtures import FEDERATION_ID, T0_MS, directory_document, vector_key
from protocol.directory import KeyRecord, accept_directory, decode_directory
from protocol.errors import ProtocolError
from protocol.policy import DAY_MS, HOUR_MS
from protocol.reasons import ReasonCode
from protocol.signing import b64url_encode, sign_object


def directory_negative_vectors() -> dict[str, dict[str, Any]]:
    held_one = directory_document()
    held_two = directory_document(serial=2, issued_at_ms=T0_MS + HOUR_MS)
    tampered = directory_document(serial=2)
    tampered["nodes"][0]["status"] = "active"
    unsigned = {k: v for k, v in held_two.items() if k != "signatures"}
    loose = {**unsigned, "policy": {**unsigned["policy"], "skew_ms": 3_600_000}}

    def case(description: str, held: Any, candidate: Any, expected: ReasonCode) -> Any:
        return {
            "description": description,
            "held": held,
            "candidate": candidate,
            "expected_reason": expected.value,
        }

    return {
        "older_serial": case(
            "serial 1 while serial 2 is held", held_two, held_one, ReasonCode.DIRECTORY_STALE
        ),
        "same_serial_other_content": case(
            "serial 1 again, issued at another time",
            held_one,
            directory_document(issued_at_ms=T0_MS + 1),
            ReasonCode.DIRECTORY_CONFLICT,
        ),
        "tampered": case(
            "a suspended node turned active after signing",
            held_one,
            tampered,
            ReasonCode.BAD_SIGNATURE,
        ),
        "untrusted_key": case(
            "signed by a key that is neither an anchor nor a held authority key",
            held_one,
            sign_object(unsigned, signer=FEDERATION_ID, key=vector_key("intruder")),
            ReasonCode.UNKNOWN_KEY,
        ),
        "policy_out_of_bounds": case(
            "skew_ms of one hour; the standard allows at most ten minutes",
            held_one,
            sign_object(loose, signer=FEDERATION_ID, key=vector_key("authority")),
            ReasonCode.POLICY_OUT_OF_BOUNDS,
        ),
        **_acceptance_cases(held_one, held_two),
    }


def _resigned(document: dict[str, Any], key_name: str = "authority",
              **changes: Any) -> dict[str, Any]:
    """`document` with members changed, signed again: what its signer really issued."""
    unsigned = {k: v for k, v in document.items() if k != "signatures"}
    unsigned.update(changes)
    return sign_object(unsigned, signer=unsigned["federation_id"], key=vector_key(key_name))


def _acceptance_cases(held_one: dict[str, Any], held_two: dict[str, Any]) -> dict[str, Any]:
    """§13's acceptance rules at their edges, each a document its signer really signed."""
    nodes = held_one["nodes"]
    over_cap = [{**nodes[0], "net_debit_cap_per_partner_minutes":
                 held_one["policy"]["net_debit_cap_per_partner_minutes_max"] + 1}, *nodes[1:]]
    intruder = vector_key("intruder").verify_key()
    misnamed_key = {**nodes[0]["keys"][0], "key_id": intruder.key_id}
    misnamed = [{**nodes[0], "keys": [misnamed_key]}, *nodes[1:]]
    identity = bytes([1]) + bytes(31)
    weak_key = {**nodes[0]["keys"][0], "public_key": b64url_encode(identity),
                "key_id": "ed25519:" + b64url_encode(hashlib.sha256(identity).digest())[:8]}
    weak = [{**nodes[0], "keys": [weak_key]}, *nodes[1:]]
    # The held directory lists a second authority key whose window closed at T0.
    closed = KeyRecord.for_key(intruder, valid_from_ms=T0_MS - DAY_MS, valid_until_ms=T0_MS)
    held_rotating = _resigned(held_one, authority_keys=[
        *held_one["authority_keys"], closed.model_dump(mode="json")])
    return {
        "other_federation": _case(
            "a directory of another federation, signed by an anchor", held_one,
            _resigned(held_one, federation_id="cn-othercare", serial=2),
            ReasonCode.DIRECTORY_CONFLICT),
        "newer_serial_issued_earlier": _case(
            "serial 3 issued an hour before the held serial 2", held_two,
            _resigned(held_two, serial=3, issued_at_ms=T0_MS), ReasonCode.DIRECTORY_STALE),
        "node_cap_over_policy": _case(
            "a node's per-partner cap one minute over the policy's maximum", None,
            _resigned(held_one, nodes=over_cap), ReasonCode.POLICY_OUT_OF_BOUNDS),
        "nodes_unsorted": _case(
            "the nodes listed in reverse order of node_id", None,
            _resigned(held_one, nodes=nodes[::-1]), ReasonCode.MALFORMED),
        "key_id_not_derived": _case(
            "a key record whose key_id belongs to another public key", None,
            _resigned(held_one, nodes=misnamed), ReasonCode.MALFORMED),
        "small_order_key": _case(
            "a node key that is the identity point (order 1), with the key id derived from it: "
            "it would verify R = identity, S = 0 for any message (§5.1, §14)", None,
            _resigned(held_one, nodes=weak), ReasonCode.MALFORMED),
        "held_authority_key_closed": _case(
            "signed by an authority key the held directory lists, but issued after that key's "
            "window closed", held_rotating,
            _resigned(held_one, "intruder", serial=2, issued_at_ms=T0_MS + HOUR_MS),
            ReasonCode.UNKNOWN_KEY),
    }


def _case(description: str, held: Any, candidate: Any, expected: ReasonCode) -> Any:
    return {
        "description": description,
        "held": held,
        "candidate": candidate,
        "expected_reason": expected.value,
    }


# For the link-map vectors (protocol/conformance/links.py), which are built the same way.
resigned = _resigned
refusal_case = _case


def run_directory_vector(vector: dict[str, Any]) -> ReasonCode | None:
    anchor = vector_key("authority").verify_key()
    held = None if vector["held"] is None else decode_directory(vector["held"])
    try:
        accept_directory(vector["candidate"], anchors=[anchor], current=held)
    except ProtocolError as exc:
        return exc.code
    return None
