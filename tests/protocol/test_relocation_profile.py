"""The relocation's profile (standard §10.1): a closed, bounded member set, kin sorted and unique,
consent no later than the relocation, and null when the member did not agree."""

from __future__ import annotations

from typing import Any

import pytest

from protocol.conformance.samples import sample_requests
from protocol.errors import DecodeError
from protocol.messages import decode_request, encode_message, message_hash
from protocol.messages.other import (
    PROFILE_KIN_MAX,
    PROFILE_NAME_CHARS_MAX,
    KinRelation,
    RelocationMessage,
)
from protocol.reasons import ReasonCode


def _relocation() -> dict[str, Any]:
    message = sample_requests()[2]
    assert isinstance(message, RelocationMessage)
    return encode_message(message)


def _with_profile(**changes: Any) -> dict[str, Any]:
    raw = _relocation()
    raw["body"]["profile"] = {**raw["body"]["profile"], **changes}
    return raw


def _refused(raw: dict[str, Any]) -> None:
    with pytest.raises(DecodeError) as refused:
        decode_request(raw)
    assert refused.value.code is ReasonCode.MALFORMED


def test_the_sample_profile_round_trips_and_is_hashed_with_the_relocation() -> None:
    raw = _relocation()
    decoded = decode_request(raw)
    assert encode_message(decoded) == raw
    without = {**raw, "body": {**raw["body"], "profile": None}}
    assert message_hash(decode_request(without)) != message_hash(decoded)


def test_profile_is_always_present_null_when_not_shared() -> None:
    raw = _relocation()
    raw["body"]["profile"] = None
    assert isinstance(decode_request(raw), RelocationMessage)
    del raw["body"]["profile"]
    _refused(raw)


@pytest.mark.parametrize("changes", [
    {"phone": "13800000000"},  # not a profile member
    {"display_name": "王" * (PROFILE_NAME_CHARS_MAX + 1)},
    {"display_name": ""},
    {"display_name": 1948},
    {"display_name": "王\n奶奶"},  # control characters: one value, one byte form
    {"birth_year": "1948"},
    {"birth_year": 1899},
    {"birth_year": 1948.0},
    {"station": "Gulou East"},
    {"consent_at_ms": -1},
])
def test_profile_members_are_closed_and_bounded(changes: dict[str, Any]) -> None:
    _refused(_with_profile(**changes))


def test_profile_fields_are_all_required() -> None:
    for name in ("display_name", "birth_year", "kin", "station", "consent_at_ms"):
        raw = _relocation()
        del raw["body"]["profile"][name]
        _refused(raw)


def test_kin_are_sorted_unique_bounded_and_of_known_relations() -> None:
    kin = _relocation()["body"]["profile"]["kin"]
    _refused(_with_profile(kin=list(reversed(kin))))
    _refused(_with_profile(kin=[kin[0], kin[0]]))
    _refused(_with_profile(kin=[{**kin[0], "relation": "neighbour"}]))
    _refused(_with_profile(kin=[{**kin[0], "address": "not an address"}]))
    many = [{"address": f"k{i:03d}@nj-gulou", "relation": KinRelation.FRIEND.value}
            for i in range(PROFILE_KIN_MAX + 1)]
    _refused(_with_profile(kin=many))
    assert decode_request(_with_profile(kin=many[:PROFILE_KIN_MAX]))


def test_consent_comes_no_later_than_the_relocation() -> None:
    created = _relocation()["body"]["created_at_ms"]
    assert decode_request(_with_profile(consent_at_ms=created))
    _refused(_with_profile(consent_at_ms=created + 1))
