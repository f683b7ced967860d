"""Canonical JSON (RFC 8785, JCS) restricted to the values the standard allows.

Every hash and every signature in HourBridge is computed over these bytes, so two
implementations that agree on the value agree on the bytes.

Allowed values: objects with string keys, arrays, strings, booleans, null, and integers in
the interoperable range [-(2**53 - 1), 2**53 - 1]. Floats are refused everywhere: amounts are
integer minutes, and a float in a signed document is a bug, not a rounding question.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

INT_ABS_MAX = 2**53 - 1


class CanonicalError(ValueError):
    """The value cannot be encoded canonically (a float, a huge integer, a non-string key, ...)."""


def _check(value: Any, path: str) -> None:
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, int):
        if not -INT_ABS_MAX <= value <= INT_ABS_MAX:
            raise CanonicalError(f"{path}: integer {value} outside ±(2**53 - 1)")
        return
    if isinstance(value, float):
        raise CanonicalError(f"{path}: floats are not allowed (use integer minutes)")
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{path}: object key {key!r} is not a string")
            _check(item, f"{path}.{key}")
        return
    raise CanonicalError(f"{path}: {type(value).__name__} is not a JSON value")


def canonical_bytes(value: Any) -> bytes:
    """Return the RFC 8785 encoding of `value` after checking it holds only allowed values."""
    _check(value, "$")
    return rfc8785.dumps(value)


def sha256_hex(data: bytes) -> str:
    """Lowercase hex SHA-256, the digest format used throughout the standard."""
    return hashlib.sha256(data).hexdigest()
