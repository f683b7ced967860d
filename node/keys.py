"""The node's Ed25519 signing key on disk: PKCS#8 PEM, mode 0600, optional passphrase."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from node.errors import ConfigError
from protocol.signing import SigningKey

PASSPHRASE_ENV = "HOURBRIDGE_KEY_PASSPHRASE"


def generate_key_file(path: Path, passphrase: bytes | None) -> SigningKey:
    if path.exists():
        raise ConfigError(f"{path} exists already; refusing to overwrite a signing key")
    private_key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    # Create with 0600 from the start, so the key is never readable by others, not even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return SigningKey.from_private_key(private_key)


def load_key_file(path: Path, passphrase: bytes | None) -> SigningKey:
    if not path.is_file():
        raise ConfigError(f"signing key {path} not found")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase or None)
    except (ValueError, TypeError) as exc:
        hint = f" (set {PASSPHRASE_ENV})" if passphrase is None else ""
        raise ConfigError(f"cannot load signing key {path}: {exc}{hint}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} does not hold an Ed25519 key")
    return SigningKey.from_private_key(key)


def passphrase_from_env(env: dict[str, str] | None = None) -> bytes | None:
    value = (os.environ if env is None else env).get(PASSPHRASE_ENV)
    return value.encode("utf-8") if value else None
