"""§16.2: a feature beyond the revision's baseline is used on a link only when both ends
announce it; a node that publishes no node_info announces nothing."""

from __future__ import annotations

from typing import Any

import pytest

from protocol.capabilities import (
    CAPABILITIES_MAX,
    admit_node_info,
    decode_node_info,
    shared_capabilities,
)
from protocol.conformance.fixtures import T0_MS as START_MS
from protocol.directory import Directory
from protocol.errors import DecodeError, ProtocolError
from protocol.reasons import ReasonCode
from protocol.signing import SigningKey, sign_object

SIGNATURES = {"bj-chaoyang": {"ed25519:AAAAAAAA": "A" * 86}}


def info(**changes: Any) -> dict[str, Any]:
    return {"standard": "hourbridge/1", "kind": "node_info", "node_id": "bj-chaoyang",
            "issued_at_ms": 1, "standard_revision": "1.3", "software": "hourbridge 0.2.0",
            "capabilities": ["exchange.in_flight", "reconciliation.come_back"],
            "signatures": SIGNATURES} | changes


def test_only_what_both_announce_is_used() -> None:
    theirs = decode_node_info(info())
    ours = frozenset({"exchange.in_flight", "hubs.route"})
    assert shared_capabilities(ours, theirs) == {"exchange.in_flight"}
    assert shared_capabilities(ours, None) == frozenset()


@pytest.mark.parametrize("changes", [
    {"capabilities": ["reconciliation.come_back", "exchange.in_flight"]},  # unsorted
    {"capabilities": ["exchange.in_flight", "exchange.in_flight"]},
    {"capabilities": ["in_flight"]},  # no section
    {"capabilities": [f"x.c{i:03}" for i in range(CAPABILITIES_MAX + 1)]},
    {"standard_revision": "1"},
    {"software": ""},
    {"hubs": True},  # closed like every document
    {"kind": "node_keys"},
])
def test_a_bad_node_info_is_malformed(changes: dict[str, Any]) -> None:
    with pytest.raises(DecodeError) as caught:
        decode_node_info(info(**changes))
    assert caught.value.code is ReasonCode.MALFORMED


def signed_info(key: SigningKey, **changes: Any) -> dict[str, Any]:
    document = {k: v for k, v in info(node_id="sh-pudong", **changes).items()
                if k != "signatures"}
    return sign_object(document, signer="sh-pudong", key=key)


def test_a_peers_node_info_is_admitted_signed_by_it(directory: Directory,
                                                     sender_key: SigningKey) -> None:
    admitted = admit_node_info(signed_info(sender_key, issued_at_ms=START_MS),
                               directory=directory, node_id="sh-pudong")
    assert admitted.capabilities == ["exchange.in_flight", "reconciliation.come_back"]


def test_a_node_info_signed_by_another_or_about_another_is_refused(
        directory: Directory, sender_key: SigningKey, receiver_key: SigningKey) -> None:
    with pytest.raises(ProtocolError) as forged:  # nj-gulou's signature passed off as sh's
        document = signed_info(sender_key, issued_at_ms=START_MS)
        document["signatures"] = sign_object(
            {k: v for k, v in document.items() if k != "signatures"}, signer="sh-pudong",
            key=receiver_key)["signatures"]
        admit_node_info(document, directory=directory, node_id="sh-pudong")
    assert forged.value.code in (ReasonCode.UNKNOWN_KEY, ReasonCode.BAD_SIGNATURE)
    about_other = signed_info(sender_key, issued_at_ms=START_MS)
    about_other = sign_object({**{k: v for k, v in about_other.items() if k != "signatures"},
                               "node_id": "nj-gulou"}, signer="sh-pudong", key=sender_key)
    with pytest.raises(ProtocolError) as mismatch:
        admit_node_info(about_other, directory=directory, node_id="sh-pudong")
    assert mismatch.value.code is ReasonCode.SENDER_MISMATCH
