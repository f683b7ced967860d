"""The clock readings kept per peer, the step-back detector, and the sentence operators get
(node/exchange/clockwatch.py)."""

from __future__ import annotations

import logging

import pytest

from node.exchange.clockwatch import STEP_MS_MIN, ClockWatch, advice, midpoint_offset

SKEW_MS = 120_000
PEER = "nj-gulou"


def test_the_offset_is_ours_minus_theirs_at_the_round_trips_midpoint() -> None:
    assert midpoint_offset(sent_ms=1_000, received_ms=1_200, peer_ms=1_100) == 0
    assert midpoint_offset(sent_ms=1_000, received_ms=1_200, peer_ms=500) == 600  # ours ahead
    assert midpoint_offset(sent_ms=1_000, received_ms=1_200, peer_ms=1_700) == -600


def test_the_advice_says_which_way_and_never_rotate_your_keys() -> None:
    assert advice(PEER, 600_000).startswith("this node's clock is 600.0 s ahead of nj-gulou's: "
                                            "fix NTP")
    assert advice(PEER, -1_500).startswith("this node's clock is 1.5 s behind nj-gulou's: fix NTP")
    assert "rotating keys does not help" in advice(PEER, 1)


def test_a_skew_is_logged_once_past_half_the_bound_and_once_when_back(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "hourbridge.exchange")
    watch = ClockWatch()
    watch.observe(PEER, SKEW_MS // 2, skew_ms=SKEW_MS)  # at half the bound: not yet
    assert not watch.skewed(PEER) and not caplog.records
    for offset_ms in (SKEW_MS // 2 + 1, 90_000, 100_000):
        watch.observe(PEER, offset_ms, skew_ms=SKEW_MS)
    assert watch.skewed(PEER) and watch.offsets == {PEER: 100_000}
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    watch.observe(PEER, 20, skew_ms=SKEW_MS)
    watch.observe(PEER, -20, skew_ms=SKEW_MS)
    assert not watch.skewed(PEER)
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.INFO]


def test_a_refusal_of_our_signing_time_is_logged_once_until_a_reading(
        caplog: pytest.LogCaptureFixture) -> None:
    watch = ClockWatch()
    for _ in range(3):
        watch.refused(PEER, skew_ms=SKEW_MS)
    watch.observe(PEER, 0, skew_ms=SKEW_MS)
    watch.refused(PEER, skew_ms=SKEW_MS)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and all("fix NTP" in m for m in messages), messages
    assert "last measured: this node's clock is 0.0 s" in messages[1]


def test_a_step_back_is_measured_from_the_highest_reading_and_counted_once() -> None:
    watch = ClockWatch()
    assert watch.stepped_back(10_000_000, stamped_ms=None) == 0
    assert watch.stepped_back(10_050_000, stamped_ms=None) == 0
    assert watch.stepped_back(10_050_000 - STEP_MS_MIN + 1, stamped_ms=None) == 0
    assert watch.stepped_back(9_450_000, stamped_ms=None) == 600_000
    assert watch.stepped_back(9_450_500, stamped_ms=None) == 0  # counted once


def test_after_a_restart_the_outbox_stamps_tell_how_far_back_the_clock_went() -> None:
    watch = ClockWatch()
    assert watch.stepped_back(1_000_000, stamped_ms=1_600_000) == 600_000
    assert ClockWatch().stepped_back(1_000_000, stamped_ms=999_000) == 0


def test_a_clock_ahead_and_corrected_between_two_ticks_is_found_by_its_stamps() -> None:
    """No tick read the wrong time, but a transfer queued meanwhile was stamped by it."""
    watch = ClockWatch()
    assert watch.stepped_back(1_000_000, stamped_ms=None) == 0
    assert watch.stepped_back(1_001_000, stamped_ms=1_600_500) == 599_500
    assert watch.stepped_back(1_002_000, stamped_ms=1_001_000) == 0  # shifted: counted once
