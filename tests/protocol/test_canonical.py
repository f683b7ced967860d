from __future__ import annotations

import pytest

from protocol.canonical import CanonicalError, canonical_bytes, sha256_hex


def test_sorted_keys_no_whitespace_utf8() -> None:
    assert canonical_bytes({"b": [1, None, True], "a": "时间"}) == (
        '{"a":"时间","b":[1,null,true]}'.encode()
    )
    assert canonical_bytes((1, 2)) == b"[1,2]"


@pytest.mark.parametrize(
    "value", [1.5, 2**53, -(2**53), {1: "x"}, {"a": {"b": [0.0]}}, object(), b"bytes"]
)
def test_refuses_values_outside_the_standard(value: object) -> None:
    with pytest.raises(CanonicalError):
        canonical_bytes(value)


def test_sha256_hex() -> None:
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("value", [{"é": 1.5}, {"时间": {"a": [0.5]}}, {"é": 2**53}])
def test_values_under_non_ascii_keys_are_checked_too(value: object) -> None:
    # Regression: the ASCII fast path once skipped checking values under non-ASCII keys.
    with pytest.raises(CanonicalError):
        canonical_bytes(value)


def test_non_ascii_keys_sort_by_utf16_code_units() -> None:
    # U+1F600 is a surrogate pair (D83D ...) in UTF-16, so it sorts before U+E000.
    assert canonical_bytes({"\ue000": 1, "\U0001f600": 2}) == (
        '{"\U0001f600":2,"\ue000":1}'.encode()
    )


@pytest.mark.parametrize("value", [{"a": "\ud800"}, {"é": "\ud800"}])
def test_lone_surrogates_are_refused_on_both_paths(value: object) -> None:
    with pytest.raises(CanonicalError):
        canonical_bytes(value)


def test_deep_nesting_is_refused_not_crashed() -> None:
    value: list[object] = []
    for _ in range(100_000):
        value = [value]
    with pytest.raises(CanonicalError):
        canonical_bytes(value)


def test_subclasses_of_json_types_take_the_careful_path_and_encode_alike() -> None:
    from enum import IntEnum, StrEnum

    class Colour(StrEnum):
        RED = "red"

    class Size(IntEnum):
        BIG = 3

    careful = {"c": Colour.RED, "n": [Size.BIG, {"x": True, "y": None}], "s": "plain", "i": 2}
    plain = {"c": "red", "n": [3, {"x": True, "y": None}], "s": "plain", "i": 2}
    assert canonical_bytes(careful) == canonical_bytes(plain)


def test_a_refusal_deep_inside_names_where() -> None:
    value = {"a": "x", "b": 1, "c": [1, "y"], "d": {"e": 2}, "z": [{"f": 1.5}]}
    with pytest.raises(CanonicalError, match=r"\$\.z\[0\]\.f: floats"):
        canonical_bytes(value)
