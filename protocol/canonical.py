"""Canonical JSON (RFC 8785, JCS) restricted to the values the standard allows.

Every hash and every signature in HourBridge is computed over these bytes, so two
implementations that agree on the value agree on the bytes.

Allowed values: objects with string keys, arrays, strings, booleans, null, and integers in
the interoperable range [-(2**53 - 1), 2**53 - 1]. Floats are refused everywhere: amounts are
integer minutes, and a float in a signed document is a bug, not a rounding question.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

INT_ABS_MAX = 2**53 - 1


class CanonicalError(ValueError):
    """The value cannot be encoded canonically (a float, a huge integer, a non-string key, ...)."""


class _Refused(Exception):
    """Raised by the fast walk; the slow walk then finds where, for the message."""


def _fast_check(value: Any) -> bool:
    """The allowed-values check without building paths: the common case, a valid document,
    costs an exact type test per value (subclasses, such as enum members, take `_check`).
    Returns whether every object key is ASCII."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        if not -INT_ABS_MAX <= value <= INT_ABS_MAX:
            raise _Refused
        return True
    if kind is dict:
        ascii_keys = True
        for key, item in value.items():
            if type(key) is not str:
                raise _Refused
            ascii_keys &= _fast_check(item) and key.isascii()
        return ascii_keys
    if kind is list or kind is tuple:
        ascii_keys = True
        for item in value:
            ascii_keys &= _fast_check(item)
        return ascii_keys
    raise _Refused


def _check(value: Any, path: str) -> bool:
    """Raise CanonicalError for a value outside the allowed set.

    Returns True when every object key is ASCII, the case in which the standard library's
    encoder produces the RFC 8785 bytes exactly (see `canonical_bytes`).
    """
    if value is None or isinstance(value, (bool, str)):
        return True
    if isinstance(value, int):
        if not -INT_ABS_MAX <= value <= INT_ABS_MAX:
            raise CanonicalError(f"{path}: integer {value} outside ±(2**53 - 1)")
        return True
    if isinstance(value, float):
        raise CanonicalError(f"{path}: floats are not allowed (use integer minutes)")
    if isinstance(value, (list, tuple)):
        ascii_keys = True
        for index, item in enumerate(value):
            ascii_keys &= _check(item, f"{path}[{index}]")
        return ascii_keys
    if isinstance(value, dict):
        ascii_keys = True
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{path}: object key {key!r} is not a string")
            # Check the value first: `and` would skip it for a non-ASCII key, letting a float
            # through to the reference encoder, which accepts floats.
            ascii_keys &= _check(item, f"{path}.{key}") and key.isascii()
        return ascii_keys
    raise CanonicalError(f"{path}: {type(value).__name__} is not a JSON value")


def canonical_bytes(value: Any) -> bytes:
    """Return the RFC 8785 encoding of `value` after checking it holds only allowed values.

    Without floats, RFC 8785 differs from `json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)` only in how keys are ordered: by UTF-16 code units rather than code
    points, which can disagree only for keys outside ASCII. So ASCII-keyed values (every
    message the standard defines) take the C encoder; anything else takes the reference
    implementation. tests/protocol/test_canonical.py checks the two agree on random values.
    """
    try:
        try:
            ascii_keys = _fast_check(value)
        except _Refused:
            ascii_keys = _check(value, "$")  # raises CanonicalError saying where
    except RecursionError as exc:
        raise CanonicalError("value is nested too deeply") from exc
    if ascii_keys:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise CanonicalError(f"string is not valid Unicode: {exc}") from exc
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeError) as exc:
        raise CanonicalError(str(exc)) from exc


def sha256_hex(data: bytes) -> str:
    """Lowercase hex SHA-256, the digest format used throughout the standard."""
    return hashlib.sha256(data).hexdigest()
