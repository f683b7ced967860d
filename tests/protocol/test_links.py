"""The link map (§22): its model rules, and which maps a node holding a directory accepts."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from protocol.conformance.fixtures import FEDERATION_ID, T0_MS, vector_directory, vector_key
from protocol.conformance.links import PAIRS, links_document
from protocol.directory import Directory, KeyRecord, decode_directory
from protocol.errors import ProtocolError
from protocol.links import Link, LinkMap, accept_links, decode_links, sign_links
from protocol.policy import DAY_MS, HOUR_MS
from protocol.reasons import ReasonCode
from protocol.signing import sign_object


def _resigned(document: dict[str, Any], key_name: str = "authority", **changes: Any) -> Any:
    unsigned = {k: v for k, v in document.items() if k != "signatures"}
    return sign_object({**unsigned, **changes}, signer=FEDERATION_ID, key=vector_key(key_name))


def _code(obj: Any, current: LinkMap | None = None, directory: Directory | None = None) -> Any:
    with pytest.raises(ProtocolError) as refused:
        accept_links(obj, directory=directory or vector_directory(), current=current)
    return refused.value.code


def test_a_link_is_written_once_with_a_before_b() -> None:
    Link(a="hz-xihu", b="nj-gulou", a_cap_minutes=0, b_cap_minutes=5)
    for a, b in (("nj-gulou", "hz-xihu"), ("hz-xihu", "hz-xihu")):
        with pytest.raises(ValidationError):
            Link(a=a, b=b, a_cap_minutes=0, b_cap_minutes=0)


def test_the_vectors_map_decodes_with_its_nodes() -> None:
    link_map = decode_links(links_document())
    assert [(link.a, link.b) for link in link_map.links] == list(PAIRS)
    assert link_map.node_ids() == {node for pair in PAIRS for node in pair}
    assert link_map.to_json() == links_document()


def test_an_empty_map_is_accepted() -> None:
    empty = _resigned(links_document(), links=[])
    assert accept_links(empty, directory=vector_directory(), current=None).links == []


def test_a_repeat_keeps_the_held_map_and_a_newer_serial_replaces_it() -> None:
    held = decode_links(links_document())
    assert accept_links(links_document(), directory=vector_directory(), current=held) is held
    newer = links_document(serial=2, issued_at_ms=T0_MS + 2 * HOUR_MS)
    assert accept_links(newer, directory=vector_directory(), current=held).serial == 2


def test_a_newer_serial_issued_earlier_is_stale() -> None:
    held = decode_links(links_document())
    earlier = links_document(serial=2, issued_at_ms=T0_MS)
    assert _code(earlier, current=held) is ReasonCode.DIRECTORY_STALE


def test_exactly_one_authority_signature() -> None:
    document = links_document()
    twice = sign_object(document, signer=FEDERATION_ID, key=vector_key("intruder"))
    assert _code(twice) is ReasonCode.MISSING_SIGNATURE
    by_other = _resigned(document)
    by_other["signatures"] = {"hz-xihu": by_other["signatures"][FEDERATION_ID]}
    assert _code(by_other) is ReasonCode.MISSING_SIGNATURE


def _directory_with_authority_until(until_ms: int) -> Directory:
    """The vectors' directory, its authority key closing at `until_ms` (signed to match)."""
    document = vector_directory().to_json()
    record = KeyRecord.for_key(
        vector_key("authority").verify_key(),
        valid_from_ms=T0_MS - DAY_MS,
        valid_until_ms=until_ms,
    )
    unsigned = {k: v for k, v in document.items() if k != "signatures"}
    unsigned["authority_keys"] = [record.model_dump(mode="json")]
    return decode_directory(
        sign_object(unsigned, signer=FEDERATION_ID, key=vector_key("authority"))
    )


def test_the_authority_key_must_be_valid_when_the_map_was_issued() -> None:
    closed = _directory_with_authority_until(T0_MS)
    assert _code(links_document(), directory=closed) is ReasonCode.UNKNOWN_KEY
    open_then = _directory_with_authority_until(T0_MS + 2 * HOUR_MS)
    assert accept_links(links_document(), directory=open_then, current=None).serial == 1


def test_a_cap_at_the_policy_maximum_is_accepted_on_either_side() -> None:
    cap_max = vector_directory().policy.net_debit_cap_per_partner_minutes_max
    document = links_document()
    first = document["links"][0]
    for side in ("a_cap_minutes", "b_cap_minutes"):
        at_max = _resigned(document, links=[{**first, side: cap_max}, *document["links"][1:]])
        accept_links(at_max, directory=vector_directory(), current=None)
        over = _resigned(document, links=[{**first, side: cap_max + 1}, *document["links"][1:]])
        assert _code(over) is ReasonCode.POLICY_OUT_OF_BOUNDS


@pytest.mark.parametrize(("hops_max", "accepted"), [(0, False), (1, True), (3, True), (4, False)])
def test_hops_max_bounds(hops_max: int, accepted: bool) -> None:
    document = _resigned(links_document(), hops_max=hops_max)
    if accepted:
        accept_links(document, directory=vector_directory(), current=None)
    else:
        assert _code(document) is ReasonCode.POLICY_OUT_OF_BOUNDS


@pytest.mark.parametrize(
    ("member", "value"), [("hops_max", "2"), ("hops_max", True), ("kind", "directory")]
)
def test_no_coercion_and_no_other_kind(member: str, value: Any) -> None:
    assert _code(_resigned(links_document(), **{member: value})) is ReasonCode.MALFORMED


def test_sign_links_refuses_what_no_node_would_accept() -> None:
    body = {"hops_max": 2, "links": []}
    with pytest.raises(ProtocolError) as refused:
        sign_links(
            body,
            authority=vector_key("intruder"),
            directory=vector_directory(),
            serial=1,
            issued_at_ms=T0_MS,
        )
    assert refused.value.code is ReasonCode.UNKNOWN_KEY
    old = links_document()
    signed = sign_links(
        old,
        authority=vector_key("authority"),
        directory=vector_directory(),
        serial=3,
        issued_at_ms=T0_MS,
    )
    assert list(signed["signatures"]) == [FEDERATION_ID]
    assert len(signed["signatures"][FEDERATION_ID]) == 1
