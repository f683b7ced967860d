"""The fast canonical encoder gives byte-for-byte the reference RFC 8785 output."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.canonical import INT_ABS_MAX, canonical_bytes

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-INT_ABS_MAX, max_value=INT_ABS_MAX)
    | st.text(alphabet=st.characters(blacklist_categories=["Cs"]))
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8),
                      children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=500)
@given(values)
def test_fast_path_equals_reference(value: object) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_keys_outside_ascii_sort_by_utf16_code_units() -> None:
    # By code point U+E000 comes before U+1F600; by UTF-16 code units (0xD83D...) it comes after.
    value = {"\U0001f600": 1, "\ue000": 2, "a": 3}
    assert canonical_bytes(value) == rfc8785.dumps(value)
    assert canonical_bytes(value).index("\U0001f600".encode()) < canonical_bytes(
        value
    ).index("\ue000".encode())


def test_control_characters_escape_like_the_rfc() -> None:
    value = {"s": "\x00\x08\t\n\x0c\r\x1f\"\\\u2028/é"}
    assert canonical_bytes(value) == rfc8785.dumps(value)
