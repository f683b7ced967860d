"""Encoding vectors (standard §3): JSON texts with their canonical bytes, and texts a strict
parser must refuse as `malformed` before anything else is checked.

`positive/encoding/canonical.json`: each case's `wire_hex` parses, and RFC 8785 of the parsed
value is exactly `canonical_hex`. `negative/encoding/<name>.json`: `wire_hex` is refused with
`expected_reason`. The cases are what a signed document can carry before its schema is checked
(the signature is verified over canonical bytes first, §5.4), so an encoder that differs on any
of them computes other signed bytes than the signer did.
"""

from __future__ import annotations

from typing import Any

from protocol.canonical import INT_ABS_MAX, canonical_bytes
from protocol.errors import ProtocolError
from protocol.reasons import FINALITY, ReasonCode
from protocol.wire import parse_object

ENCODING_BYTES_MAX = 4_096

# name -> (what it pins, JSON text as a sender might write it)
_CANONICAL: dict[str, tuple[str, str]] = {
    "member_order_utf16": (
        "members sorted by UTF-16 code units: U+1F475 (surrogates D83D DC75) sorts before "
        "U+E000, although its code point is greater",
        '{"\ue000": 1, "\U0001f475": 2, "a": 3, "\u00e9": 4, "\u00e9\u00e9": 5}',
    ),
    "string_escapes": (
        "only the escapes RFC 8785 requires, in lowercase hex; `/` and non-ASCII written as is",
        '{"s": "\\u001F\\u0000\\u0008\\t\\n\\u000c\\r\\"\\\\\\/\\u00e9\\ud83d\\udc75\\u007f"}',
    ),
    "integers": (
        "integers in shortest form; ±(2^53 − 1) are in range; -0 is 0",
        f'{{"max": {INT_ABS_MAX}, "min": -{INT_ABS_MAX}, "negative_zero": -0, "zero": 0}}',
    ),
    "nesting_and_whitespace": (
        "no insignificant whitespace; members sorted at every depth",
        '{ "b" : [ true , false , null , { "y" : "时间" , "x" : [ ] } ] ,\n "a" : { } }',
    ),
}

# name -> (what it pins, raw bytes)
_REFUSED: dict[str, tuple[str, bytes]] = {
    "integer_above_range": ("2^53 is outside ±(2^53 − 1)", b'{"n":9007199254740992}'),
    "integer_below_range": ("−2^53 is outside ±(2^53 − 1)", b'{"n":-9007199254740992}'),
    "fraction": ("a number with a fraction, although integral", b'{"n":1.0}'),
    "exponent": ("a number with an exponent", b'{"n":1e3}'),
    "nan": ("NaN is not JSON", b'{"n":NaN}'),
    "lone_surrogate": ("an unpaired surrogate has no UTF-8 form", b'{"s":"\\ud800"}'),
    "duplicate_member": ("one member name twice", b'{"a":1,"a":1}'),
    "not_utf8": ("bytes that are not UTF-8", b'{"s":"\xff"}'),
    "top_level_array": ("the top level is not an object", b"[1]"),
    "two_texts": ("two JSON texts", b"{}{}"),
}


def encoding_vectors() -> dict[str, dict[str, Any]]:
    """Relative name (under positive/ or negative/) -> vector."""
    cases = []
    for name, (description, text) in _CANONICAL.items():
        wire = text.encode("utf-8")
        cases.append({"name": name, "description": description, "wire_hex": wire.hex(),
                      "canonical_hex": canonical_bytes(parse_object(
                          wire, bytes_max=ENCODING_BYTES_MAX)).hex()})
    vectors = {"positive/encoding/canonical": {"description": "standard §3.2", "cases": cases}}
    malformed = ReasonCode.MALFORMED
    for name, (description, raw) in _REFUSED.items():
        vectors[f"negative/encoding/{name}"] = {
            "description": description, "wire_hex": raw.hex(), "expected_reason": malformed.value,
            "expected_finality": FINALITY[malformed].value}
    return vectors


def run_encoding_vector(vector: dict[str, Any]) -> ReasonCode | None:
    """The reason the strict parser refuses the vector's bytes with, or None if it parses."""
    try:
        parse_object(bytes.fromhex(vector["wire_hex"]), bytes_max=ENCODING_BYTES_MAX)
    except ProtocolError as exc:
        return exc.code
    return None
