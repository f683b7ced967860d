"""Reading documents off the wire, strictly, and writing them in their one byte form.

Refused as `malformed`: invalid UTF-8, invalid JSON, lone surrogates, duplicate object keys (two
parsers could keep different ones), floats, NaN/Infinity, and integers outside ±(2**53 - 1).
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from protocol.canonical import INT_ABS_MAX, canonical_bytes
from protocol.errors import DecodeError
from protocol.reasons import ReasonCode


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DecodeError(ReasonCode.MALFORMED, f"duplicate object key {key!r}")
        result[key] = value
    return result


def _no_float(text: str) -> NoReturn:
    raise DecodeError(ReasonCode.MALFORMED, f"number {text} is not an integer")


_INT_DIGITS_MAX = len(str(INT_ABS_MAX))


def _bounded_int(text: str) -> int:
    # The length first: int() raises ValueError on a literal of more than 4300 digits (Python's
    # int_max_str_digits), which is no DecodeError. More than 16 digits is out of range anyway.
    too_long = len(text.lstrip("-")) > _INT_DIGITS_MAX
    if too_long or not -INT_ABS_MAX <= (value := int(text)) <= INT_ABS_MAX:
        raise DecodeError(ReasonCode.MALFORMED, f"integer {text[:20]} outside ±(2**53 - 1)")
    return value


def parse_object(raw: bytes, *, bytes_max: int) -> dict[str, Any]:
    """Parse one JSON object of at most `bytes_max` bytes."""
    if len(raw) > bytes_max:
        raise DecodeError(ReasonCode.TOO_LARGE, f"{len(raw)} bytes, limit {bytes_max}")
    try:
        text = raw.decode("utf-8")
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_no_float,
            parse_int=_bounded_int,
            parse_constant=_no_float,
        )
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise DecodeError(ReasonCode.MALFORMED, f"not JSON: {exc}") from exc
    # Only a \u escape can smuggle in a lone surrogate, which no canonical form can encode.
    if "\\u" in text:
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise DecodeError(ReasonCode.MALFORMED, "a string holds a lone surrogate") from exc
    if not isinstance(value, dict):
        raise DecodeError(ReasonCode.MALFORMED, "a document is a JSON object")
    return value


def wire_bytes(document: dict[str, Any]) -> bytes:
    """The form a sender puts on the wire: RFC 8785 of the whole signed document."""
    return canonical_bytes(document)
