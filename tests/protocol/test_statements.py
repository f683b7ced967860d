"""Statements: built from a window's facts, and compared from the two ends of a link."""

from __future__ import annotations

from dataclasses import replace

from protocol.messages.documents import Statement
from protocol.statements import Disagreement, WindowFacts, compare, statement_document

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
