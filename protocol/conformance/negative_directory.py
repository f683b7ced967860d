"""Negative directory vectors: candidate directories a node must refuse while holding another.

They run through `accept_directory` with the `authority` key as the only anchor.
"""

from __future__ import annotations

from typing import Any

from protocol.conformance.fixtures import FEDERATION_ID, T0_MS, directory_document, vector_key
from protocol.directory import accept_directory, decode_directory
from protocol.errors import ProtocolError
from protocol.policy import HOUR_MS
from protocol.reasons import ReasonCode
from protocol.signing import sign_object


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
    }


def run_directory_vector(vector: dict[str, Any]) -> ReasonCode | None:
    anchor = vector_key("authority").verify_key()
    held = None if vector["held"] is None else decode_directory(vector["held"])
    try:
        accept_directory(vector["candidate"], anchors=[anchor], current=held)
    except ProtocolError as exc:
        return exc.code
    return None
