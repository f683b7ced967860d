"""Clock skew between two real SQLite nodes in process (issue 17 item 6,
node/exchange/clockwatch.py): each node reads the federation's FakeClock plus its own offset, so
a test can run one node's clock ahead, then step it back as NTP would, without sleeping."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.api.app import create_app
from node.clock import FakeClock
from node.errors import ConfigError
from node.exchange.outbound import Pumped
from tests.factories import ADMIN
from tests.federation import Fault, Federation, audit
from tests.support import build_node, make_config

SH, NJ = "sh-pudong", "nj-gulou"
MINUTE_MS = 60_000


class OffsetClock(FakeClock):
    """The federation's clock plus this node's own error, which a test sets either way."""

    def __init__(self, base: FakeClock) -> None:
        super().__init__()
        self.base = base
        self.offset_ms = 0

    def now_ms(self) -> int:
        return self.base.now_ms() + self.offset_ms


class SkewedFederation(Federation):
    """Federation's nodes, each on its own OffsetClock (kept across a restart)."""

    def _open(self, node_id: str, *, bootstrap: bool) -> None:
        # Called from Federation.__init__, before a subclass's own __init__ could set fields.
        clocks: dict[str, OffsetClock] = self.__dict__.setdefault("clocks", {})
        clock = clocks.setdefault(node_id, OffsetClock(self.clock))
        config = make_config(self.tmp_path / node_id, node_id)
        node = build_node(config, clock, bootstrap=bootstrap,
                          transport=self.network.transport(node_id))
        self.nodes[node_id] = node
        self.network.apps[node_id] = create_app(node)

    def offset(self, node_id: str, offset_ms: int) -> None:
        self.__dict__["clocks"][node_id].offset_ms = offset_ms


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[SkewedFederation]:
    federation = SkewedFederation(tmp_path, [SH, NJ], members=2, grant_minutes=600)
    yield federation
    federation.close()


def _link(fed: Federation, node_id: str, peer: str) -> dict[str, object]:
    return next(v for v in fed.nodes[node_id].exchange.links(ADMIN) if v["peer"] == peer)


def _warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "hourbridge.exchange" and r.levelno >= logging.WARNING
            and text in r.getMessage()]


def test_transfers_queued_by_a_clock_ten_minutes_ahead_go_at_once_after_it_is_corrected(
        fed: SkewedFederation, caplog: pytest.LogCaptureFixture) -> None:
    fed.offset(SH, 10 * MINUTE_MS)  # over the 2-minute skew bound: NJ refuses SH's times
    fed.send(f"m0@{SH}", f"m1@{NJ}", 5, transfer_id="first")
    assert fed.pump(SH, NJ).outcome is Pumped.RETRY  # refused for clock_skew, now in flight
    for n in range(3):  # queued behind the one in flight, stamped by the clock ahead
        fed.send(f"m0@{SH}", f"m1@{NJ}", 1, transfer_id=f"later-{n}")
    assert fed.pump(SH, NJ).outcome is Pumped.RETRY
    # Once each: SH is refused (and told the fix), NJ measured SH's signed time.
    assert len(_warnings(caplog, "refuses our signing time")) == 1
    behind = _warnings(caplog, "clock skew with")
    assert len(behind) == 1 and "600.0 s behind sh-pudong's: fix NTP" in behind[0], behind
    assert fed.nodes[NJ].exchange.clock_offsets() == {SH: -10 * MINUTE_MS}  # (no link row yet)

    fed.offset(SH, 0)  # NTP steps SH's clock back
    fed.tick()  # within one tick the queued send times move back by the step
    fed.settle()
    for transfer in ("first", "later-0", "later-1", "later-2"):
        assert fed.transfer(SH, transfer)["state"] == "committed", transfer
    assert _link(fed, SH, NJ)["queued_messages"] == 0
    assert _link(fed, SH, NJ)["clock_offset_ms"] == 0
    assert len(_warnings(caplog, "stepped back by 600.0 s")) == 1
    audit(fed)


def test_an_offset_within_the_bound_is_measured_shown_and_logged_once_each_way(
        fed: SkewedFederation, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "hourbridge.exchange")
    fed.offset(SH, 90_000)  # past half the 2-minute bound, still admitted
    for n in range(2):
        fed.send(f"m0@{SH}", f"m1@{NJ}", 1, transfer_id=f"t{n}")
        fed.settle()
    view = _link(fed, SH, NJ)
    assert (view["clock_offset_ms"], view["clock_skewed"]) == (90_000, True)
    assert "90.0 s ahead of nj-gulou's: fix NTP" in str(view["clock_advice"])
    assert len(_warnings(caplog, "clock skew with")) == 1  # two readings, one warning
    text = fed.call(SH, "GET", "/metrics").text
    assert f'hourbridge_clock_offset_ms{{peer="{NJ}"}} 90000' in text.splitlines()

    fed.offset(SH, 0)
    fed.tick()
    fed.send(f"m0@{SH}", f"m1@{NJ}", 1, transfer_id="after")
    fed.settle()
    view = _link(fed, SH, NJ)
    assert (view["clock_offset_ms"], view["clock_skewed"], view["clock_advice"]) == (
        0, False, None)
    assert any("back within the skew bound" in r.getMessage() for r in caplog.records)
    audit(fed)


def test_a_resend_answered_with_the_stored_response_is_not_a_reading(
        fed: SkewedFederation) -> None:
    fed.network.plan(SH, NJ, Fault.DROP_RESPONSE)
    fed.send(f"m0@{SH}", f"m1@{NJ}", 1, transfer_id="lost-answer")
    assert fed.pump(SH, NJ).outcome is Pumped.RETRY
    fed.clock.advance(50_000)  # the stored response was signed 50 s before the resend
    assert fed.pump(SH, NJ).outcome is Pumped.DELIVERED
    assert _link(fed, SH, NJ)["clock_offset_ms"] is None


def test_a_node_ten_minutes_behind_is_told_its_clock_is_behind_and_recovers_when_fixed(
        fed: SkewedFederation, caplog: pytest.LogCaptureFixture) -> None:
    fed.clock.advance(20 * MINUTE_MS)  # NJ's key started 20 minutes ago
    fed.offset(NJ, -10 * MINUTE_MS)
    fed.send(f"m1@{NJ}", f"m0@{SH}", 5, transfer_id="from-behind")
    fed.offset(NJ, -30 * MINUTE_MS)  # before its key's start: it cannot sign, and is told why
    fed.tick()  # (the step back leaves the queued transfer due now)
    with pytest.raises(ConfigError) as behind_key:
        fed.pump(NJ, SH)
    assert "so this node's clock is behind: fix NTP (do not rotate keys)" in str(behind_key.value)
    fed.offset(NJ, -10 * MINUTE_MS)  # after its key's start: it signs, and SH refuses the time
    assert fed.pump(NJ, SH).outcome is Pumped.RETRY
    assert fed.nodes[SH].exchange.clock_offsets() == {NJ: 10 * MINUTE_MS}
    ahead = _warnings(caplog, "clock skew with")
    assert len(ahead) == 1 and "600.0 s ahead of nj-gulou's" in ahead[0], ahead
    refused = _warnings(caplog, "refuses our signing time")
    assert len(refused) == 1 and "fix NTP (rotating keys does not help)" in refused[0]
    fed.offset(NJ, 0)
    fed.tick()
    fed.settle()
    assert fed.transfer(NJ, "from-behind")["state"] == "committed"
    audit(fed)


def test_a_clock_corrected_while_the_node_was_down_is_caught_on_its_first_tick(
        fed: SkewedFederation) -> None:
    fed.offset(SH, 10 * MINUTE_MS)
    fed.send(f"m0@{SH}", f"m1@{NJ}", 5, transfer_id="first")
    assert fed.pump(SH, NJ).outcome is Pumped.RETRY
    fed.send(f"m0@{SH}", f"m1@{NJ}", 1, transfer_id="queued")
    fed.offset(SH, 0)
    fed.restart(SH)  # memory gone: the step is read from the outbox's stamps
    fed.tick()
    fed.settle()
    assert fed.transfer(SH, "queued")["state"] == "committed"
    audit(fed)
