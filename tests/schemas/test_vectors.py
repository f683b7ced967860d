"""Runs every stored vector in schemas/vectors/, checks they are exactly what the generator
produces, and verifies the stored signatures with OpenSSL, which shares no code with us."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from protocol.chain import ChainVerdict, LinkState
from protocol.conformance.files import render_vector_files
from protocol.conformance.fixtures import T0_MS, vector_directory, vector_key
from protocol.conformance.negative import run_transaction_vector
from protocol.conformance.negative_directory import run_directory_vector
from protocol.directory import accept_directory
from protocol.envelope import admit_response
from protocol.reasons import FINALITY, ReasonCode
from protocol.receive import receive_transaction
from protocol.signing import VerifyKey, b64url_decode, signing_bytes, verify_object
from protocol.transaction import decode_transaction
from protocol.wire import parse_object, wire_bytes
from tests.schemas.conftest import SCHEMAS_DIR, Validate

VECTORS_DIR = SCHEMAS_DIR / "vectors"
REPO = SCHEMAS_DIR.parent
# DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the raw 32-byte key follows.
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def _load(folder: str) -> dict[str, dict[str, Any]]:
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((VECTORS_DIR / folder).glob("*.json"))
    }


POSITIVE = _load("positive")
NEGATIVE = _load("negative/transaction")
NEGATIVE_DIRECTORY = _load("negative/directory")


def test_stored_vectors_are_exactly_what_the_generator_produces() -> None:
    expected = render_vector_files()
    stored = {
        path.relative_to(VECTORS_DIR).as_posix(): path.read_text(encoding="utf-8")
        for path in VECTORS_DIR.rglob("*.json")
    }
    assert stored.keys() == expected.keys()
    for name, text in expected.items():
        assert stored[name] == text, f"{name} differs; run scripts/make_vectors.py"


def test_generator_script_writes_identical_files_twice(tmp_path: Path) -> None:
    for out in (tmp_path / "a", tmp_path / "b"):
        subprocess.run(
            [sys.executable, str(REPO / "scripts" / "make_vectors.py"), "--out", str(out)],
            check=True,
            capture_output=True,
        )
    first, second = (
        {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        for out in (tmp_path / "a", tmp_path / "b")
    )
    assert first == second
    assert len(first) > len(POSITIVE)


def test_every_message_type_and_required_refusal_has_a_vector() -> None:
    assert set(POSITIVE) >= {
        "transfer.prepare",
        "transfer.receipt",
        "transfer.reject",
        "transfer.status",
        "transfer.status_answer",
        "relocation.prepare",
        "relocation.receipt",
        "payment.request",
        "payment.decline",
        "statement",
        "checkpoint",
        "message.ack",
        "message.reject",
        "directory",
        "evidence_after_rotation",
    }
    assert set(NEGATIVE) >= {
        "tampered_body",
        "wrong_key",
        "wrong_receiver",
        "expired",
        "replayed_sequence",
        "unknown_sender",
        "suspended_sender",
        "key_outside_validity",
    }


def test_keys_are_derived_from_their_seeds() -> None:
    keys = json.loads((VECTORS_DIR / "keys.json").read_text())["keys"]
    for name, entry in keys.items():
        key = vector_key(name)
        assert entry["seed_hex"] == key.private_key.private_bytes_raw().hex()
        assert (entry["public_key"], entry["key_id"]) == (key.verify_key().to_b64(), key.key_id)


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_positive_vector_bytes_and_signature(name: str, validate: Validate) -> None:
    vector = POSITIVE[name]
    document = vector["document"]
    validate(vector["schema"], document)
    assert bytes.fromhex(vector["signed_bytes_hex"]) == signing_bytes(document)
    assert bytes.fromhex(vector["wire_hex"]) == wire_bytes(document)
    assert b64url_decode(vector["signature"]).hex() == vector["signature_hex"]
    key = VerifyKey.from_b64(vector["key_id"], vector["public_key"])
    verify_object(document, signer=vector["signer"], key=key)


@pytest.mark.parametrize("name", sorted(n for n in POSITIVE if "transaction_hash" in POSITIVE[n]))
def test_positive_transaction_vectors_are_admitted(name: str) -> None:
    vector = POSITIVE[name]
    received = receive_transaction(
        bytes.fromhex(vector["wire_hex"]),
        directory=vector_directory(),
        receiver="nj-gulou",
        now_ms=vector["now_ms"],
        link=LinkState(),
        stored_hash=None,
    )
    assert received.verdict is ChainVerdict.NEXT
    assert received.message_reasons == (None,)
    assert received.transaction.transaction_hash() == vector["transaction_hash"]


@pytest.mark.parametrize(
    "name", sorted(n for n in POSITIVE if POSITIVE[n]["schema"] == "response.schema.json")
)
def test_positive_response_vectors_answer_their_request(name: str) -> None:
    vector = POSITIVE[name]
    request = decode_transaction(
        parse_object(bytes.fromhex(vector["request_wire_hex"]), bytes_max=1 << 20)
    )
    response = admit_response(
        bytes.fromhex(vector["wire_hex"]), directory=vector_directory(), request=request
    )
    assert [answer.type for answer in response.messages] == [name]


def test_positive_directory_vector_is_accepted() -> None:
    anchor = vector_key("authority").verify_key()
    directory = accept_directory(POSITIVE["directory"]["document"], anchors=[anchor], current=None)
    assert directory == vector_directory()


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_negative_transaction_vector(name: str) -> None:
    vector = NEGATIVE[name]
    expected = ReasonCode(vector["expected_reason"])
    assert FINALITY[expected].value == vector["expected_finality"]
    assert run_transaction_vector(vector, vector_directory()) is expected


@pytest.mark.parametrize("name", sorted(NEGATIVE_DIRECTORY))
def test_negative_directory_vector(name: str) -> None:
    vector = NEGATIVE_DIRECTORY[name]
    assert run_directory_vector(vector) is ReasonCode(vector["expected_reason"])


def _openssl_verify(tmp_path: Path, *, public_key: str, message: bytes, signature: bytes) -> bool:
    raw = b64url_decode(public_key)
    der = ED25519_SPKI_PREFIX + raw
    pem = b"-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der) + b"\n-----END PUBLIC KEY-----\n"
    (tmp_path / "pub.pem").write_bytes(pem)
    (tmp_path / "msg.bin").write_bytes(message)
    (tmp_path / "sig.bin").write_bytes(signature)
    result = subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "pub.pem",
            "-rawin",
            "-in",
            "msg.bin",
            "-sigfile",
            "sig.bin",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    return result.returncode == 0 and "Signature Verified Successfully" in result.stdout


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_openssl_verifies_stored_signature_from_stored_bytes_alone(
    name: str, tmp_path: Path
) -> None:
    vector = POSITIVE[name]
    message = bytes.fromhex(vector["signed_bytes_hex"])
    signature = bytes.fromhex(vector["signature_hex"])
    assert _openssl_verify(
        tmp_path, public_key=vector["public_key"], message=message, signature=signature
    )
    # The same tool refuses a one-byte change, so the check above can fail.
    changed = message[:-2] + bytes([message[-2] ^ 1]) + message[-1:]
    assert not _openssl_verify(
        tmp_path, public_key=vector["public_key"], message=changed, signature=signature
    )


def test_the_runners_report_no_reason_for_good_documents() -> None:
    # Without this, a runner that always raised would pass every negative vector.
    good = {
        "receiver": "nj-gulou",
        "now_ms": T0_MS,
        "stored_hash": None,
        "link": {"last_sequence": 0, "last_hash": "0" * 64},
        "wire_hex": POSITIVE["transfer.prepare"]["wire_hex"],
    }
    assert run_transaction_vector(good, vector_directory()) is None
    fresh = {"held": None, "candidate": POSITIVE["directory"]["document"]}
    assert run_directory_vector(fresh) is None
