"""§16.2: a feature beyond the revision's baseline is used on a link only when both ends
announce it; a node that publishes no node_info announces nothing."""

from __future__ import annotations

from typing import Any

import pytest

from protocol.capabilities import CAPABILITIES_MAX, decode_node_info, shared_capabilities
from protocol.errors import DecodeError
from protocol.reasons import ReasonCode

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
