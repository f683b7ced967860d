"""Ed25519 keys and signed JSON objects.

A signed object is a JSON object with a `signatures` member shaped like Matrix's:

    {"...": "...", "signatures": {"<signer>": {"ed25519:<key id>": "<base64url signature>"}}}

The signature covers the RFC 8785 bytes of the object without its `signatures` and `unsigned`
members. Anyone holding the public key can check it with standard tools from those bytes alone
(for example `openssl pkeyutl -verify -rawin`).

Errors form one small tree:

    SignatureError
    ├── MissingSignature     no signature by the expected signer and key
    ├── MalformedSignature   not base64url, or not 64 bytes
    └── BadSignature         the bytes do not verify under the key
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from protocol.canonical import canonical_bytes

SIGNATURE_BYTES = 64
UNSIGNED_MEMBERS = ("signatures", "unsigned")
_FIELD_PRIME = 2**255 - 19
# y of the points of order 8 on edwards25519; with 0, 1 and -1 (orders 4, 1 and 2) they are the
# y coordinates of the eight points whose order divides the cofactor 8 (standard §5.1).
_ORDER_8_Y = 0x05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826
_SMALL_ORDER_Y = frozenset({0, 1, _FIELD_PRIME - 1, _ORDER_8_Y, _FIELD_PRIME - _ORDER_8_Y})


class SignatureError(ValueError):
    """A signed object did not verify. The message says precisely why."""


class MissingSignature(SignatureError):
    pass


class MalformedSignature(SignatureError):
    pass


class BadSignature(SignatureError):
    pass


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url, as in RFC 7515 appendix C."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or "=" in text:
        raise MalformedSignature("expected unpadded base64url text")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise MalformedSignature(f"not base64url: {exc}") from exc
    # One byte string, one text: refuse unused trailing bits and stray characters, which the
    # stdlib decoder would silently accept, so a signature cannot be re-spelled and still pass.
    if b64url_encode(raw) != text:
        raise MalformedSignature("not canonical unpadded base64url")
    return raw


def is_small_order(raw: bytes) -> bool:
    """Whether a 32-byte public key names a point of small order, in any encoding (y read
    modulo p, the sign bit ignored). Such a key "verifies" signatures no private key made: with
    the identity point, R = identity and S = 0 verify for every message under RFC 8032's
    cofactorless check, which OpenSSL (and so `cryptography`) applies without refusing it."""
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    return y % _FIELD_PRIME in _SMALL_ORDER_Y


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id_for(key: Ed25519PublicKey) -> str:
    """Content-derived key id: `ed25519:` and the first 8 base64url chars of SHA-256(raw key)."""
    digest = hashlib.sha256(public_key_bytes(key)).digest()
    return "ed25519:" + b64url_encode(digest)[:8]


@dataclass(frozen=True)
class SigningKey:
    """A private key together with the id under which its signatures are published."""

    key_id: str
    private_key: Ed25519PrivateKey

    @classmethod
    def from_private_key(cls, private_key: Ed25519PrivateKey) -> SigningKey:
        return cls(key_id=key_id_for(private_key.public_key()), private_key=private_key)

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        return cls.from_private_key(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def verify_key(self) -> VerifyKey:
        return VerifyKey(key_id=self.key_id, public_key=self.public_key)


@dataclass(frozen=True)
class VerifyKey:
    key_id: str
    public_key: Ed25519PublicKey

    @classmethod
    def from_b64(cls, key_id: str, text: str) -> VerifyKey:
        """ValueError for a key that is not canonical base64url of 32 bytes, or that names a
        point of small order: every key this code verifies with comes through here (directory
        entries and authority anchors alike), so none can "verify" a forgery."""
        raw = b64url_decode(text)
        if is_small_order(raw):
            raise ValueError("public_key is a point of small order: it would verify forgeries")
        return cls(key_id=key_id, public_key=Ed25519PublicKey.from_public_bytes(raw))

    def to_b64(self) -> str:
        return b64url_encode(public_key_bytes(self.public_key))


def signing_bytes(obj: dict[str, Any]) -> bytes:
    """The exact bytes a signature covers: the object without `signatures` and `unsigned`."""
    return canonical_bytes({k: v for k, v in obj.items() if k not in UNSIGNED_MEMBERS})


def sign_object(obj: dict[str, Any], *, signer: str, key: SigningKey) -> dict[str, Any]:
    """Return a copy of `obj` with a signature by `signer` added. The input is not mutated."""
    # Only the top level and the signature maps change: copy those, share the rest (a batch of
    # a hundred messages is not copied to add one signature).
    signed = dict(obj)
    signatures = {name: dict(keys) for name, keys in obj.get("signatures", {}).items()}
    signature = key.private_key.sign(signing_bytes(signed))
    signatures.setdefault(signer, {})[key.key_id] = b64url_encode(signature)
    signed["signatures"] = signatures
    return signed


def verify_object(obj: dict[str, Any], *, signer: str, key: VerifyKey) -> None:
    """Raise a SignatureError unless `obj` carries a valid signature by `signer` with `key`."""
    signatures = obj.get("signatures")
    if not isinstance(signatures, dict):
        raise MissingSignature("object has no signatures")
    by_signer = signatures.get(signer)
    if not isinstance(by_signer, dict) or key.key_id not in by_signer:
        raise MissingSignature(f"no signature by {signer} with key {key.key_id}")
    raw = b64url_decode(by_signer[key.key_id])
    if len(raw) != SIGNATURE_BYTES:
        raise MalformedSignature(f"signature is {len(raw)} bytes, expected {SIGNATURE_BYTES}")
    try:
        key.public_key.verify(raw, signing_bytes(obj))
    except InvalidSignature as exc:
        raise BadSignature(f"signature by {signer} with key {key.key_id} does not verify") from exc
