from __future__ import annotations

import pytest

from protocol.errors import DecodeError
from protocol.reasons import ReasonCode
from protocol.wire import parse_object, wire_bytes


def test_parses_an_object() -> None:
    assert parse_object(b'{"a":[1,-2,"x",null,true]}', bytes_max=100) == {
        "a": [1, -2, "x", None, True]
    }


def test_refuses_oversized_input_before_parsing() -> None:
    with pytest.raises(DecodeError) as refused:
        parse_object(b'{"a":1}', bytes_max=6)
    assert refused.value.code is ReasonCode.TOO_LARGE


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1.0}',
        b'{"a":1e3}',
        b'{"a":NaN}',
        b'{"a":Infinity}',
        b'{"a":1,"a":1}',
        b'{"a":9007199254740992}',
        b'{"a":-9007199254740992}',
        b'{"a":' + b"9" * 5000 + b"}",  # past int()'s 4300 digits: a DecodeError, no ValueError
        b'{"a":"\\ud800"}',  # lone surrogates: no canonical form can encode them
        b'{"\\udc00":1}',
        b"[1]",
        b'{"a":',
        b"\xff",
        b"[" * 100_000,
    ],
)
def test_refuses_what_the_standard_refuses(raw: bytes) -> None:
    with pytest.raises(DecodeError) as refused:
        parse_object(raw, bytes_max=1_000_000)
    assert refused.value.code is ReasonCode.MALFORMED


def test_accepts_the_integer_limits() -> None:
    raw = b'{"a":9007199254740991,"b":-9007199254740991}'
    assert parse_object(raw, bytes_max=100) == {"a": 2**53 - 1, "b": -(2**53 - 1)}


def test_accepts_escaped_unicode_and_surrogate_pairs() -> None:
    raw = b'{"a":"\\u00e9\\ud83d\\ude00"}'
    assert parse_object(raw, bytes_max=100) == {"a": "\u00e9\U0001f600"}


def test_wire_bytes_are_rfc8785() -> None:
    assert wire_bytes({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
