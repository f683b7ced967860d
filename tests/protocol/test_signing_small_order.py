"""Small-order Ed25519 public keys (standard §5.1, §13): what `cryptography` does with them, and
`is_small_order` checked against curve arithmetic written out here from RFC 8032."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from protocol.conformance.vectors import KEY_NAMES
from protocol.directory import parse_key_text
from protocol.errors import DecodeError
from protocol.signing import SigningKey, VerifyKey, b64url_encode, is_small_order, key_id_for

P = 2**255 - 19
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
Point = tuple[int, int]


def _x_of(y: int, sign: int) -> int | None:
    """RFC 8032 §5.1.3 step 2-4: the x with this y and sign, or None if there is none."""
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if (v * x * x - u) % P:
        x = x * SQRT_M1 % P
    if (v * x * x - u) % P or (x == 0 and sign):
        return None
    return P - x if x % 2 != sign else x


def _add(a: Point, b: Point) -> Point:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return ((x1 * y2 + y1 * x2) * pow(1 + t, -1, P) % P,
            (y1 * y2 + x1 * x2) * pow(1 - t, -1, P) % P)


def _times_8(point: Point) -> Point:
    for _ in range(3):
        point = _add(point, point)
    return point


def _encode(y: int, sign: int) -> bytes:
    return (y | sign << 255).to_bytes(32, "little")


SMALL_Y = (0, 1, P - 1, 0x05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826)


@pytest.mark.parametrize("y", [*SMALL_Y, P - SMALL_Y[3]])
def test_every_point_of_small_order_is_recognised_in_every_encoding(y: int) -> None:
    for sign in (0, 1):
        x = _x_of(y, sign)
        if x is None:  # (0, 1) and (0, -1) have no negative twin
            continue
        assert _times_8((x, y)) == (0, 1)
        assert is_small_order(_encode(y, sign))
        if y + P < 2**255:  # a non-canonical encoding of the same point
            assert is_small_order(_encode(y + P, sign))


def test_real_keys_are_not_of_small_order() -> None:
    seeds = [hashlib.sha256(f"hourbridge small order {n}".encode()).digest() for n in range(50)]
    seeds += [hashlib.sha256(f"hourbridge vector key {name}".encode()).digest()
              for name in KEY_NAMES]
    for seed in seeds:
        key = SigningKey.from_seed(seed).verify_key()
        assert not is_small_order(key.public_key.public_bytes_raw())


def test_cryptography_verifies_a_forgery_under_the_identity_key() -> None:
    # Why the directory refuses such keys (§13): OpenSSL's cofactorless check, which the
    # reference uses, accepts R = identity, S = 0 for any message under the identity key.
    identity = _encode(1, 0)
    key = Ed25519PublicKey.from_public_bytes(identity)
    for message in (b"transfer 600000 minutes", b"anything at all"):
        key.verify(identity + bytes(32), message)
    assert is_small_order(identity)


IDENTITY = b"\x01" + b"\x00" * 31  # the neutral point's encoding


def test_no_path_to_a_verify_key_takes_a_small_order_key() -> None:
    """An authority anchor pinned in a node's config goes through the same refusal as a
    directory's keys: with the identity point, R = identity and S = 0 would verify anything."""
    key_id = key_id_for(Ed25519PublicKey.from_public_bytes(IDENTITY))
    with pytest.raises(ValueError, match="small order"):
        VerifyKey.from_b64(key_id, b64url_encode(IDENTITY))
    with pytest.raises(DecodeError) as refused:
        parse_key_text(f"{key_id}={b64url_encode(IDENTITY)}")
    assert refused.value.code.value == "malformed"
