"""Known-answer vectors: what schemas/vectors/ holds, built from the fixed fixtures.

Positive vectors pin exact bytes: key seed -> signed bytes -> signature, for every message type.
Negative vectors pin refusals: wire bytes plus the receiver's context -> the reason code.
"""

from __future__ import annotations

from typing import Any

from protocol.conformance.fixtures import (
    FEDERATION_ID,
    OLD_KEY_UNTIL_MS,
    RECEIVER,
    SENDER,
    T0_MS,
    directory_document,
    vector_key,
)
from protocol.conformance.samples import sample_answer, sample_requests
from protocol.fields import GENESIS_HASH
from protocol.messages import ANSWERS_FOR, RequestMessage
from protocol.policy import HOUR_MS
from protocol.signing import SigningKey, b64url_decode, signing_bytes
from protocol.transaction import Transaction, build_response, build_transaction
from protocol.wire import wire_bytes

KEY_NAMES = (
    "authority",
    "bj-xicheng",
    "hz-xihu",
    "intruder",
    "nj-gulou",
    "sh-pudong",
    "sh-pudong-old",
    "sz-futian",
)


def keys_vector() -> dict[str, Any]:
    keys = {}
    for name in KEY_NAMES:
        key = vector_key(name)
        keys[name] = {
            "seed_hex": key.private_key.private_bytes_raw().hex(),
            "public_key": key.verify_key().to_b64(),
            "key_id": key.key_id,
        }
    return {"description": "seed = SHA-256(UTF-8 'hourbridge vector key ' + name)", "keys": keys}


def _signed_vector(
    name: str, document: dict[str, Any], *, signer: str, key_name: str, schema: str
) -> dict[str, Any]:
    key = vector_key(key_name)
    signature = document["signatures"][signer][key.key_id]
    return {
        "name": name,
        "schema": schema,
        "signer": signer,
        "key_name": key_name,
        "key_id": key.key_id,
        "public_key": key.verify_key().to_b64(),
        "document": document,
        "signed_bytes_hex": signing_bytes(document).hex(),
        "signature": signature,
        "signature_hex": b64url_decode(signature).hex(),
        "wire_hex": wire_bytes(document).hex(),
    }


signed_vector = _signed_vector  # for the other vector modules


def request_transaction(
    request: RequestMessage,
    *,
    key: SigningKey | None = None,
    created_at_ms: int = T0_MS,
    receiver: str = RECEIVER,
    sequence: int = 1,
    prev_hash: str = GENESIS_HASH,
) -> Transaction:
    return build_transaction(
        transaction_id=f"tx-{request.message_id}"[:64],
        sender=SENDER,
        receiver=receiver,
        sequence=sequence,
        prev_hash=prev_hash,
        created_at_ms=created_at_ms,
        messages=[request],
        key=key or vector_key(SENDER),
    )


def positive_vectors() -> dict[str, dict[str, Any]]:
    vectors: dict[str, dict[str, Any]] = {}
    for request in sample_requests():
        transaction = request_transaction(request)
        vector = _signed_vector(
            request.type,
            transaction.to_json(),
            signer=SENDER,
            key_name=SENDER,
            schema="transaction.schema.json",
        )
        vector["transaction_hash"] = transaction.transaction_hash()
        vector["now_ms"] = T0_MS
        vectors[request.type] = vector
        for kind in sorted(ANSWERS_FOR[request.type]):
            if kind in vectors:
                continue
            response = build_response(
                request=transaction,
                created_at_ms=T0_MS + 1_000,
                answers=[sample_answer(request, kind=kind)],
                reason=None,
                key=vector_key(RECEIVER),
            )
            answer = _signed_vector(
                kind,
                response.to_json(),
                signer=RECEIVER,
                key_name=RECEIVER,
                schema="response.schema.json",
            )
            answer["request_wire_hex"] = vector["wire_hex"]
            vectors[kind] = answer
    vectors["evidence_after_rotation"] = _rotation_vector()
    vectors["directory"] = _signed_vector(
        "directory",
        directory_document(),
        signer=FEDERATION_ID,
        key_name="authority",
        schema="directory.schema.json",
    )
    return vectors


def _rotation_vector() -> dict[str, Any]:
    """A transaction sh-pudong signed with its old key while that key was valid.

    The directory has since closed the old key's window; the transaction must still verify (and
    be admitted by a receiver whose clock reads its signing time).
    """
    signed_at_ms = OLD_KEY_UNTIL_MS - HOUR_MS
    transaction = request_transaction(
        sample_requests()[1], key=vector_key("sh-pudong-old"), created_at_ms=signed_at_ms
    )
    vector = _signed_vector(
        "evidence_after_rotation",
        transaction.to_json(),
        signer=SENDER,
        key_name="sh-pudong-old",
        schema="transaction.schema.json",
    )
    vector["transaction_hash"] = transaction.transaction_hash()
    vector["now_ms"] = signed_at_ms
    return vector
