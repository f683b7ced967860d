"""The authority's side of the directory: signing a body, and the one-line key form."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from protocol.canonical import canonical_bytes
from protocol.conformance.fixtures import FEDERATION_ID, T0_MS, directory_document, vector_key
from protocol.directory import (
    KeyRecord,
    accept_directory,
    key_text,
    parse_key_text,
    sign_directory,
)
from protocol.errors import ProtocolError
from protocol.policy import DAY_MS
from protocol.reasons import ReasonCode
from protocol.signing import b64url_encode, sign_object

AUTHORITY = vector_key("authority")
FILLED = ("standard", "kind", "serial", "issued_at_ms", "signatures")


def _body() -> dict[str, Any]:
    return {k: v for k, v in directory_document().items() if k not in FILLED}


def _refusal(body: dict[str, Any], *, issued_at_ms: int = T0_MS) -> ReasonCode:
    with pytest.raises(ProtocolError) as refused:
        sign_directory(body, authority=AUTHORITY, serial=1, issued_at_ms=issued_at_ms)
    return refused.value.code


def test_signing_the_vectors_body_gives_the_vectors_bytes() -> None:
    signed = sign_directory(_body(), authority=AUTHORITY, serial=1, issued_at_ms=T0_MS)
    assert canonical_bytes(signed) == canonical_bytes(directory_document())


def test_serial_and_time_are_the_callers_and_the_body_is_not_mutated() -> None:
    body = _body()
    before = copy.deepcopy(body)
    signed = sign_directory(body, authority=AUTHORITY, serial=7, issued_at_ms=T0_MS + 5)
    assert body == before
    assert (signed["serial"], signed["issued_at_ms"]) == (7, T0_MS + 5)
    held = accept_directory(signed, anchors=[AUTHORITY.verify_key()], current=None)
    assert held.serial == 7


def test_old_signatures_are_replaced_not_added_to() -> None:
    stale = sign_object(_body(), signer=FEDERATION_ID, key=vector_key("sh-pudong"))
    signed = sign_directory(stale, authority=AUTHORITY, serial=2, issued_at_ms=T0_MS)
    assert list(signed["signatures"]) == [FEDERATION_ID]
    assert list(signed["signatures"][FEDERATION_ID]) == [AUTHORITY.key_id]
    accept_directory(signed, anchors=[AUTHORITY.verify_key()], current=None)


def test_refuses_what_no_node_would_accept() -> None:
    unsorted = _body()
    unsorted["nodes"].reverse()
    assert _refusal(unsorted) is ReasonCode.MALFORMED
    greedy = _body()
    greedy["nodes"][0]["net_debit_cap_overall_minutes"] = 10**9
    assert _refusal(greedy) is ReasonCode.POLICY_OUT_OF_BOUNDS
    loose = _body()
    loose["policy"]["skew_ms"] = 0
    assert _refusal(loose) is ReasonCode.POLICY_OUT_OF_BOUNDS
    assert _refusal({**_body(), "federation_id": "Not An Id"}) is ReasonCode.MALFORMED


def test_the_signing_key_must_be_listed_and_valid_at_issue() -> None:
    other = KeyRecord.for_key(vector_key("authority-2").verify_key(), valid_from_ms=0)
    assert _refusal({**_body(), "authority_keys": [other.model_dump()]}) is ReasonCode.UNKNOWN_KEY
    # Listed, but its window opened a year before T0: a document dated earlier is refused.
    assert _refusal(_body(), issued_at_ms=T0_MS - 400 * DAY_MS) is ReasonCode.UNKNOWN_KEY


def test_key_text_round_trips() -> None:
    key = vector_key("nj-gulou").verify_key()
    text = key_text(key)
    assert text == f"{key.key_id}={key.to_b64()}"
    assert text.startswith("ed25519:") and len(text) == len("ed25519:") + 8 + 1 + 43
    parsed = parse_key_text(f"  {text}\n")
    assert (parsed.key_id, parsed.to_b64()) == (key.key_id, key.to_b64())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ed25519:AAAAAAAA",
        "ed25519:AAAAAAAA=" + vector_key("nj-gulou").verify_key().to_b64(),  # another key's id
        vector_key("nj-gulou").key_id + "=" + b64url_encode(b"\x01" * 31),  # 31 bytes
        vector_key("nj-gulou").key_id + "=" + "!" * 43,
    ],
)
def test_parse_key_text_refuses_anything_else(text: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse_key_text(text)
    assert refused.value.code is ReasonCode.MALFORMED


def test_key_record_for_key() -> None:
    key = vector_key("hz-xihu").verify_key()
    record = KeyRecord.for_key(key, valid_from_ms=10, valid_until_ms=20)
    assert (record.key_id, record.public_key) == (key.key_id, key.to_b64())
    assert (record.valid_from_ms, record.valid_until_ms) == (10, 20)
    assert KeyRecord.for_key(key, valid_from_ms=10).valid_until_ms is None
