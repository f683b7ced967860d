"""Statements: built from a window's facts, and compared from the two ends of a link."""

from __future__ import annotations

from dataclasses import replace

from protocol.chain import WINDOW_MAX
from protocol.messages.documents import Statement
from protocol.statements import (
    IN_FLIGHT_MAX,
    Disagreement,
    WindowFacts,
    compare,
    cut_hides,
    is_fresh,
    statement_document,
)

ROOT = "a" * 64
OUT_HEAD, IN_HEAD = "b" * 64, "c" * 64

SH = WindowFacts(
    issuer="sh-pudong", counterparty="nj-gulou", window_index=3,
    outgoing_sequence_cut=7, incoming_sequence_cut=4, outgoing_head_hash=OUT_HEAD,
    incoming_head_hash=IN_HEAD, opening_position_minutes=-50, outgoing=(2, 90),
    incoming=(1, 30), pending=(1, 15), merkle_root=ROOT,
)
NJ = WindowFacts(
    issuer="nj-gulou", counterparty="sh-pudong", window_index=3,
    outgoing_sequence_cut=4, incoming_sequence_cut=7, outgoing_head_hash=IN_HEAD,
    incoming_head_hash=OUT_HEAD, opening_position_minutes=50, outgoing=(1, 30),
    incoming=(2, 90), pending=(0, 0), merkle_root=ROOT,
)


def statement(facts: WindowFacts) -> Statement:
    document = statement_document(facts, issued_at_ms=1_750_000_000_000)
    document["signatures"] = {facts.issuer: {"ed25519:AAAAAAAA": "A" * 86}}
    return Statement.model_validate(document)


def test_closing_position_follows_from_the_opening_and_the_flows() -> None:
    document = statement_document(SH, issued_at_ms=1)
    assert document["closing_position_minutes"] == -50 + 30 - 90
    assert document["pending"] == {"count": 1, "sum_minutes": 15}
    assert document["signatures"] == {}


def test_the_two_ends_of_a_link_match_whatever_their_pending_items() -> None:
    assert compare(statement(SH), statement(NJ)) == []
    assert compare(statement(NJ), statement(SH)) == []


def test_another_link_or_window_is_not_comparable() -> None:
    assert compare(statement(SH), statement(replace(NJ, window_index=4))) == [
        Disagreement.WINDOW]
    other = replace(NJ, issuer="hz-xihu")
    assert compare(statement(SH), statement(other)) == [Disagreement.WINDOW]


def test_different_cuts_or_heads_are_a_chain_disagreement() -> None:
    moved = replace(NJ, outgoing_sequence_cut=5)
    assert compare(statement(SH), statement(moved)) == [Disagreement.CHAIN]
    forked = replace(NJ, incoming_head_hash="d" * 64)
    assert compare(statement(SH), statement(forked)) == [Disagreement.CHAIN]


def test_different_entries_are_not_also_reported_as_totals() -> None:
    other_root = replace(NJ, merkle_root="e" * 64)
    assert compare(statement(SH), statement(other_root)) == [Disagreement.ENTRIES]
    other_sum = replace(NJ, incoming=(2, 91), opening_position_minutes=49)
    assert compare(statement(SH), statement(other_sum)) == [Disagreement.ENTRIES]
    other_count = replace(NJ, outgoing=(2, 30), opening_position_minutes=50)
    assert compare(statement(SH), statement(other_count)) == [Disagreement.ENTRIES]


def test_entries_that_agree_with_positions_that_do_not_are_totals() -> None:
    shifted = replace(NJ, opening_position_minutes=60)
    assert compare(statement(SH), statement(shifted)) == [Disagreement.TOTALS]


# Trust the cut, not the closer (standard §11.1) -----------------------------------------------

SKEW = 120_000


def test_a_statement_is_fresh_within_the_skew_bound_either_way() -> None:
    assert is_fresh(issued_at_ms=1_000_000, now_ms=1_000_000 + SKEW, skew_ms=SKEW)
    assert is_fresh(issued_at_ms=1_000_000 + SKEW, now_ms=1_000_000, skew_ms=SKEW)
    assert not is_fresh(issued_at_ms=1_000_000, now_ms=1_000_001 + SKEW, skew_ms=SKEW)
    assert not is_fresh(issued_at_ms=1_000_001 + SKEW, now_ms=1_000_000, skew_ms=SKEW)


def test_a_cut_hides_what_was_answered_before_the_closer_could_cut() -> None:
    signed = 10_000_000

    def hides(sequence: int, answered_at_ms: int, in_flight: int = IN_FLIGHT_MAX) -> bool:
        return cut_hides(cut=5, sequence=sequence, answered_at_ms=answered_at_ms,
                         issued_at_ms=signed, skew_ms=SKEW, in_flight=in_flight)

    long_ago = signed - SKEW - 1
    beyond = 5 + IN_FLIGHT_MAX + 1  # past every transaction a window may hold in flight
    assert IN_FLIGHT_MAX == WINDOW_MAX  # a window of transactions in flight (standard §6.5)
    assert hides(beyond, long_ago)
    assert not hides(beyond - 1, long_ago)  # the last a window may hold in flight
    assert not hides(6, long_ago)  # the first in flight
    assert hides(6, long_ago, in_flight=0)  # our outgoing chain: none in flight
    assert hides(7, long_ago, in_flight=1)  # a node before 1.3: one in flight
    assert not hides(beyond, signed - SKEW)  # may have been sent after the cut
    assert not hides(5, long_ago)  # inside the window
