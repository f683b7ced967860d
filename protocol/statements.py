"""Building and comparing statements (standard §11): one node's signed view of one link for one
settlement window, and what two views of the same window say about each other.

Two statements of the same window *match* when the second is the first seen from the other end:
the cuts and chain heads swapped, outgoing and incoming swapped, the same Merkle root, and
opposite positions (the per-link invariant: A's position with B = -(B's position with A)).
Pending items are each side's own reservations and are not compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from protocol.chain import WINDOW_MAX
from protocol.messages.documents import DirectionTotals, Statement
from protocol.version import STANDARD


@dataclass(frozen=True)
class WindowFacts:
    """What a node computed for one link and window, before signing."""

    issuer: str
    counterparty: str
    window_index: int
    outgoing_sequence_cut: int
    incoming_sequence_cut: int
    outgoing_head_hash: str
    incoming_head_hash: str
    opening_position_minutes: int
    outgoing: tuple[int, int]  # (count, sum of minutes) of committed transfers we sent
    incoming: tuple[int, int]
    pending: tuple[int, int]
    merkle_root: str


def _totals(pair: tuple[int, int]) -> dict[str, int]:
    return {"count": pair[0], "sum_minutes": pair[1]}


def statement_document(facts: WindowFacts, *, issued_at_ms: int) -> dict[str, Any]:
    """The unsigned statement; the closing position follows from the others."""
    closing = facts.opening_position_minutes + facts.incoming[1] - facts.outgoing[1]
    return {
        "standard": STANDARD,
        "kind": "statement",
        "issuer": facts.issuer,
        "counterparty": facts.counterparty,
        "window_index": facts.window_index,
        "outgoing_sequence_cut": facts.outgoing_sequence_cut,
        "incoming_sequence_cut": facts.incoming_sequence_cut,
        "outgoing_head_hash": facts.outgoing_head_hash,
        "incoming_head_hash": facts.incoming_head_hash,
        "opening_position_minutes": facts.opening_position_minutes,
        "closing_position_minutes": closing,
        "outgoing": _totals(facts.outgoing),
        "incoming": _totals(facts.incoming),
        "pending": _totals(facts.pending),
        "merkle_root": facts.merkle_root,
        "issued_at_ms": issued_at_ms,
        "signatures": {},
    }


class Disagreement(StrEnum):
    """What two statements of one window disagree about, most fundamental first."""

    WINDOW = "window"  # not the same link and window: not comparable at all
    CHAIN = "chain"  # cuts or chain heads differ: the histories diverge
    ENTRIES = "entries"  # the Merkle roots or the per-direction counts and sums differ
    TOTALS = "totals"  # the entries agree but the positions do not


def _same(ours: DirectionTotals, theirs: DirectionTotals) -> bool:
    return (ours.count, ours.sum_minutes) == (theirs.count, theirs.sum_minutes)


def compare(ours: Statement, theirs: Statement) -> list[Disagreement]:
    """Every way `theirs` fails to mirror `ours`; empty when the two match."""
    if (ours.issuer, ours.counterparty, ours.window_index) != (
        theirs.counterparty,
        theirs.issuer,
        theirs.window_index,
    ):
        return [Disagreement.WINDOW]
    found: list[Disagreement] = []
    if (
        ours.outgoing_sequence_cut,
        ours.incoming_sequence_cut,
        ours.outgoing_head_hash,
        ours.incoming_head_hash,
    ) != (
        theirs.incoming_sequence_cut,
        theirs.outgoing_sequence_cut,
        theirs.incoming_head_hash,
        theirs.outgoing_head_hash,
    ):
        found.append(Disagreement.CHAIN)
    entries_match = (
        ours.merkle_root == theirs.merkle_root
        and _same(ours.outgoing, theirs.incoming)
        and _same(ours.incoming, theirs.outgoing)
    )
    if not entries_match:
        found.append(Disagreement.ENTRIES)
    positions_mirror = (
        ours.opening_position_minutes == -theirs.opening_position_minutes
        and ours.closing_position_minutes == -theirs.closing_position_minutes
    )
    if entries_match and not positions_mirror:
        found.append(Disagreement.TOTALS)
    return found


# Trust the cut, not the closer (standard §11.1). A window's closer chooses both cuts; the other
# side co-signs only if neither cut leaves out a transaction it has seen answered well before the
# closer signed. "Well before" is the skew bound: two honest clocks differ by less, so a
# transaction answered earlier than `issued_at_ms - skew_ms` by our clock was answered before
# the closer cut, by its clock too.
# Transactions past the cut of our incoming chain the closer may not have seen: as many as a
# window of transactions in flight may hold (§6.5; 1 before 1.3). An honest closer cuts its
# outgoing chain at the last answer it applied, and with a window the answers to several
# later ones may be lost or waiting behind it. Only the dispute rule allows them: nothing
# past the cut is ever co-signed (`cut_hides` with in_flight=0).
IN_FLIGHT_MAX = WINDOW_MAX


def is_fresh(*, issued_at_ms: int, now_ms: int, skew_ms: int) -> bool:
    """A statement proposed for co-signing was signed within the skew bound of our clock. A
    stale one could date its cut before the transactions it leaves out."""
    return abs(now_ms - issued_at_ms) <= skew_ms


def cut_hides(*, cut: int, sequence: int, answered_at_ms: int, issued_at_ms: int, skew_ms: int,
              in_flight: int) -> bool:
    """Does a cut at `cut` leave out transaction `sequence`, which we saw answered at
    `answered_at_ms` (our clock), although the closer must have known of it when it signed at
    `issued_at_ms`? `in_flight` transactions past the cut are allowed whenever they were answered:
    the closer cuts our incoming chain at the last answer it received (IN_FLIGHT_MAX), our
    outgoing chain at the last transaction it accepted (0)."""
    return sequence > cut + in_flight and answered_at_ms < issued_at_ms - skew_ms
