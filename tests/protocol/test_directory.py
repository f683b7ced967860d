"""The federation directory: its model rules, and which documents replace the held one."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from protocol.conformance.fixtures import (
    FEDERATION_ID,
    T0_MS,
    directory_document,
    vector_directory,
    vector_key,
)
from protocol.directory import (
    Directory,
    KeyRecord,
    LocalUnit,
    NodeEntry,
    accept_directory,
    decode_directory,
)
from protocol.errors import ProtocolError
from protocol.reasons import ReasonCode
from protocol.signing import sign_object

ANCHOR = vector_key("authority").verify_key()


def _resigned(document: dict[str, Any], key_name: str = "authority", **changes: Any) -> Any:
    unsigned = {k: v for k, v in document.items() if k != "signatures"}
    return sign_object({**unsigned, **changes}, signer=FEDERATION_ID, key=vector_key(key_name))


def _code(obj: Any, current: Directory | None = None) -> ReasonCode:
    with pytest.raises(ProtocolError) as refused:
        accept_directory(obj, anchors=[ANCHOR], current=current)
    return refused.value.code


def _record(name: str, valid_from_ms: int, valid_until_ms: int | None) -> KeyRecord:
    verify = vector_key(name).verify_key()
    return KeyRecord(
        key_id=verify.key_id,
        public_key=verify.to_b64(),
        valid_from_ms=valid_from_ms,
        valid_until_ms=valid_until_ms,
    )


def test_key_windows_are_half_open() -> None:
    key = _record("nj-gulou", 100, 200)
    assert [key.valid_at(t) for t in (99, 100, 199, 200)] == [False, True, True, False]
    assert _record("nj-gulou", 100, None).valid_at(10**12)


def test_key_record_rules() -> None:
    with pytest.raises(ValidationError):
        _record("nj-gulou", 200, 200)
    good = _record("nj-gulou", 0, None).model_dump()
    with pytest.raises(ValidationError, match="derived"):
        KeyRecord.model_validate({**good, "key_id": vector_key("hz-xihu").key_id})


def test_local_unit_must_be_in_lowest_terms() -> None:
    assert LocalUnit(name="半小时", units=1, minutes=30).ratio().minutes == 30
    with pytest.raises(ValidationError, match="lowest terms"):
        LocalUnit(name="points", units=20, minutes=2)


def test_node_entry_keys() -> None:
    pudong = vector_directory().node("sh-pudong")
    assert pudong is not None
    assert pudong.key("ed25519:AAAAAAAA") is None
    assert pudong.signing_key_id(T0_MS) == vector_key("sh-pudong").key_id
    assert pudong.signing_key_id(0) is None
    duplicate = pudong.model_dump()
    duplicate["keys"] = [duplicate["keys"][0], duplicate["keys"][0]]
    with pytest.raises(ValidationError, match="unique"):
        NodeEntry.model_validate(duplicate)


def test_nodes_must_be_sorted_and_unique() -> None:
    document = directory_document()
    document["nodes"] = list(reversed(document["nodes"]))
    assert _code(document) is ReasonCode.MALFORMED
    assert vector_directory().node("gz-tianhe") is None


def test_caps_must_sit_inside_the_policy() -> None:
    for member in ("net_debit_cap_per_partner_minutes", "net_debit_cap_overall_minutes"):
        document = directory_document()
        document["nodes"][0][member] = 10**9
        assert _code(_resigned(document)) is ReasonCode.POLICY_OUT_OF_BOUNDS


def test_not_an_object() -> None:
    assert _code("directory") is ReasonCode.MALFORMED
    with pytest.raises(ProtocolError):
        decode_directory({"kind": "directory"})


def test_authority_signature_shapes() -> None:
    document = directory_document()
    assert _code({**document, "signatures": {}}) is ReasonCode.MALFORMED
    assert _code({**document, "signatures": {"other-authority": {}}}) is ReasonCode.MALFORMED
    elsewhere = {"other-authority": document["signatures"][FEDERATION_ID]}
    assert _code({**document, "signatures": elsewhere}) is ReasonCode.MISSING_SIGNATURE
    doubled = copy.deepcopy(document)
    doubled["signatures"][FEDERATION_ID]["ed25519:AAAAAAAA"] = "x" * 86
    assert _code(doubled) is ReasonCode.MISSING_SIGNATURE


def test_first_directory_and_newer_serials_are_accepted() -> None:
    first = accept_directory(directory_document(), anchors=[ANCHOR], current=None)
    assert first == vector_directory()
    second = accept_directory(
        directory_document(serial=2, issued_at_ms=T0_MS + 1), anchors=[ANCHOR], current=first
    )
    assert second.serial == 2
    assert accept_directory(directory_document(), anchors=[ANCHOR], current=first) is first


def test_newer_serial_issued_earlier_is_stale() -> None:
    held = vector_directory()
    assert _code(directory_document(serial=2, issued_at_ms=T0_MS - 1), held) is (
        ReasonCode.DIRECTORY_STALE
    )


def test_another_federation_is_refused() -> None:
    other = _resigned(directory_document(), federation_id="cn-other")
    other = sign_object(
        {k: v for k, v in other.items() if k != "signatures"},
        signer="cn-other",
        key=vector_key("authority"),
    )
    assert _code(other, vector_directory()) is ReasonCode.DIRECTORY_CONFLICT


def test_the_authority_rotates_its_key_through_the_held_directory() -> None:
    new_authority = _record("authority-2", T0_MS, None).model_dump()
    old_authority = directory_document()["authority_keys"][0]
    handover = _resigned(
        directory_document(serial=2, issued_at_ms=T0_MS + 1),
        authority_keys=[old_authority, new_authority],
    )
    held = accept_directory(handover, anchors=[ANCHOR], current=vector_directory())
    # Serial 3 is signed only by the new key, which no node has pinned: the held
    # directory vouches for it.
    third = _resigned(handover, "authority-2", serial=3, issued_at_ms=T0_MS + 2)
    assert accept_directory(third, anchors=[ANCHOR], current=held).serial == 3
    assert _code(third, vector_directory()) is ReasonCode.UNKNOWN_KEY
    # A held key is trusted only inside its window.
    early = _resigned(handover, "authority-2", serial=3, issued_at_ms=T0_MS - 1)
    assert _code(early, held) is ReasonCode.UNKNOWN_KEY
