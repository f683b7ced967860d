from __future__ import annotations

import pytest

from protocol.conformance.fixtures import vector_key
from protocol.signing import (
    BadSignature,
    MalformedSignature,
    MissingSignature,
    VerifyKey,
    b64url_decode,
    b64url_encode,
    sign_object,
    verify_object,
)

KEY = vector_key("sh-pudong")


def test_sign_does_not_mutate_and_verifies() -> None:
    original = {"a": 1, "unsigned": {"age": 3}}
    signed = sign_object(original, signer="sh-pudong", key=KEY)
    assert original == {"a": 1, "unsigned": {"age": 3}}
    verify_object(signed, signer="sh-pudong", key=KEY.verify_key())
    # `unsigned` is outside the signature, as in Matrix.
    verify_object({**signed, "unsigned": {"age": 4}}, signer="sh-pudong", key=KEY.verify_key())


def test_verify_key_round_trips_through_base64url() -> None:
    verify = KEY.verify_key()
    again = VerifyKey.from_b64(verify.key_id, verify.to_b64())
    assert again.to_b64() == verify.to_b64()


def test_error_tree() -> None:
    signed = sign_object({"a": 1}, signer="sh-pudong", key=KEY)
    verify = KEY.verify_key()
    with pytest.raises(MissingSignature):
        verify_object({"a": 1}, signer="sh-pudong", key=verify)
    with pytest.raises(MissingSignature):
        verify_object(signed, signer="nj-gulou", key=verify)
    short = {**signed, "signatures": {"sh-pudong": {KEY.key_id: b64url_encode(b"x" * 10)}}}
    with pytest.raises(MalformedSignature):
        verify_object(short, signer="sh-pudong", key=verify)
    with pytest.raises(BadSignature):
        verify_object({**signed, "a": 2}, signer="sh-pudong", key=verify)


@pytest.mark.parametrize("text", ["abc=", "a", "ab*c", 7])
def test_b64url_decode_refuses_non_canonical_text(text: object) -> None:
    with pytest.raises(MalformedSignature):
        b64url_decode(text)  # type: ignore[arg-type]


def test_b64url_decode_refuses_unused_trailing_bits() -> None:
    # "AB" and "AA" differ only in bits that one decoded byte does not use.
    assert b64url_decode("AA") == b"\x00"
    with pytest.raises(MalformedSignature):
        b64url_decode("AB")
