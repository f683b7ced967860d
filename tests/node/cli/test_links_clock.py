"""`hourbridge federation links` shows each peer's clock offset and, while it is skewed, the
advice whole (issue 17 item 6, node/exchange/clockwatch.py)."""

from __future__ import annotations

import pytest

from node.cli.node_federation import print_links
from node.exchange.clockwatch import advice

PEER = "nj-gulou"


def test_federation_links_prints_the_offset_and_the_advice_whole(
        capsys: pytest.CaptureFixture[str]) -> None:
    row = {"peer": PEER, "state": "ok", "out_sequence": 3, "in_sequence": 1,
           "queued_messages": 0, "frozen_reason": None, "frozen_detail": None,
           "clock_offset_ms": 600_000, "clock_skewed": True, "clock_advice": advice(PEER, 600_000)}
    print_links("sh-pudong", [row, {**row, "peer": "hz-xihu", "clock_offset_ms": None,
                                    "clock_skewed": False, "clock_advice": None}], live=True)
    printed = capsys.readouterr().out
    assert "+600.0 s SKEWED" in printed
    assert f"clock: {advice(PEER, 600_000)}" in printed
    assert printed.count("clock: ") == 1
    print_links("sh-pudong", [], live=False)
    assert "pass --token" in capsys.readouterr().out
