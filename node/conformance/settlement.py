"""§20: the kit closes windows of its link with the target, as the closer.

  window 1  the kit's statement of everything so far: the target co-signs it (matched), answers
            the same proposal again from storage, and refuses to reopen it or to skip a window;
  window 2  the kit "forgot" one committed transfer: the target does not co-sign; the kit's
            Merkle descent (summary, split_key, leaves) over the target's answers finds exactly
            that key, `evidence` proves it, and the repaired statement is co-signed;
  window 3  a final proposal with a wrong Merkle root: the target disputes the window, and does
            not co-sign it afterwards even when the right statement comes.

The dispute freezes the target's link to the kit, so it runs last (docs/conformance.md).
"""

from __future__ import annotations

from typing import Any

from node.conformance.admission import expect_refusal, resign
from node.conformance.peer import Answer, Peer
from node.conformance.results import Report
from node.conformance.settlement_checks import check_evidence, check_match
from node.conformance.transfers import Books, commit_more
from protocol.errors import ProtocolError
from protocol.merkle import LeafKey, TransferLeaf, transfers_root
from protocol.merkle_diff import (
    Bound,
    DifferenceKind,
    LeafIndex,
    PeerAnswerError,
    RangeSummary,
    reconcile,
)
from protocol.reconciliation import key_from_json, leaf_from_json
from protocol.signing import sign_object
from protocol.statements import WindowFacts, statement_document

SETTLEMENT = "§20 settlement"
DESCENT_THRESHOLD = 1  # small, so that even a short window is descended with split_key


class Windows:
    """The kit's side of its windows with the target: cuts, closing positions, leaves."""

    def __init__(self, peer: Peer, books: Books) -> None:
        self.peer = peer
        self.books = books
        self.index = 0
        self.cut = 0
        self.closing = 0
        self.taken = 0  # how many of books.leaves earlier windows hold
        self.taken_in = 0  # and of books.incoming

    def statement(self, leaves: list[TransferLeaf], *, root: str | None = None) -> dict[str, Any]:
        """The kit's signed statement of the next window, cut at its chain heads; `leaves` are
        the outgoing ones it holds (the incoming ones are all since the last window)."""
        peer, books = self.peer, self.books
        incoming = books.incoming[self.taken_in:]
        facts = WindowFacts(
            issuer=peer.kit_id, counterparty=peer.target_id, window_index=self.index + 1,
            outgoing_sequence_cut=peer.sequence, incoming_sequence_cut=books.in_sequence,
            outgoing_head_hash=peer.head, incoming_head_hash=books.in_head,
            opening_position_minutes=self.closing, outgoing=_totals(leaves),
            incoming=_totals(incoming), pending=(0, 0),
            merkle_root=root or transfers_root(leaves + incoming))
        return sign_object(statement_document(facts, issued_at_ms=peer.now_ms()),
                           signer=peer.kit_id, key=peer.key)

    def leaves(self) -> list[TransferLeaf]:
        return self.books.leaves[self.taken:]

    def closed(self, statement: dict[str, Any]) -> None:
        self.index += 1
        self.cut = statement["outgoing_sequence_cut"]
        self.closing = statement["closing_position_minutes"]
        self.taken = len(self.books.leaves)
        self.taken_in = len(self.books.incoming)

    def propose(self, statement: dict[str, Any], *, final: bool) -> Answer:
        return self.peer.ask("propose", {"statement": statement, "final": final,
                                         "late_response": None})


def _totals(leaves: list[TransferLeaf]) -> tuple[int, int]:
    return len(leaves), sum(leaf.amount_minutes for leaf in leaves)


def _bound(key: Bound) -> list[str] | None:
    return None if key is None else list(key)


class TargetRanges:
    """The target's leaves of one window, asked over §20.2's summary, split_key and leaves."""

    def __init__(self, peer: Peer, window_index: int) -> None:
        self.peer = peer
        self.window_index = window_index
        self.asked: set[str] = set()

    def _ask(self, op: str, lo: Bound, hi: Bound) -> dict[str, Any]:
        self.asked.add(op)
        answer = self.peer.ask(op, {"window_index": self.window_index, "lo": _bound(lo),
                                    "hi": _bound(hi)})
        if answer.result is None:
            raise PeerAnswerError(f"{op}: {answer.describe()}")
        return answer.result

    def summary(self, lo: Bound, hi: Bound) -> RangeSummary:
        result = self._ask("summary", lo, hi)
        return RangeSummary(result["count"], bytes.fromhex(result["digest"]))

    def split_key(self, lo: Bound, hi: Bound) -> LeafKey:
        key = key_from_json(self._ask("split_key", lo, hi)["key"])
        if key is None:
            raise PeerAnswerError("split_key answered null")
        return key

    def leaves(self, lo: Bound, hi: Bound) -> list[TransferLeaf]:
        return [leaf_from_json(item) for item in self._ask("leaves", lo, hi)["leaves"]]


def window_that_matches(windows: Windows, report: Report) -> bool:
    leaves = windows.leaves()
    mine = windows.statement(leaves)
    answer = windows.propose(mine, final=False)
    if not check_match(report, SETTLEMENT, "window 1: co-signed (matched)", answer, mine,
                       windows.peer):
        return False
    again = windows.propose(mine, final=False)
    report.record(SETTLEMENT, "window 1 proposed again: the stored answer",
                  again.result is not None and again.result == answer.result, again.describe())
    windows.closed(mine)
    peer = windows.peer
    reopened = windows.propose(resign(mine, peer.key, peer.kit_id,
                                      issued_at_ms=mine["issued_at_ms"] + 1), final=False)
    return expect_refusal(report, SETTLEMENT,
                          "a co-signed window is never reopened: sequence_replayed", reopened,
                          "sequence_replayed", signed=False)


def window_repaired_by_descent(windows: Windows, report: Report, creditor: str) -> bool:
    peer = windows.peer
    failed = commit_more(peer, windows.books, creditor, count=4)
    if failed:
        return report.record(SETTLEMENT, "window 2: four more transfers commit", False, failed)
    leaves = windows.leaves()
    forgotten, remembered = leaves[1], leaves[:1] + leaves[2:]
    wrong = windows.propose(windows.statement(remembered), final=False)
    report.record(SETTLEMENT, "window 2 with a transfer left out: not co-signed",
                  wrong.result is not None and wrong.result["record"] is None
                  and wrong.result["matched"] is False, wrong.describe())
    ranges = TargetRanges(peer, windows.index + 1)
    try:
        found = reconcile(LeafIndex(remembered + windows.books.incoming[windows.taken_in:]),
                          ranges, leaf_threshold=DESCENT_THRESHOLD)
        differences = [(d.kind, d.key) for d in found.differences]
        detail = f"{differences}; asked {sorted(ranges.asked)}"
    except (PeerAnswerError, ProtocolError, KeyError, ValueError) as exc:
        differences, detail = [], f"the descent stopped: {exc}"
    report.record(SETTLEMENT, "descent (summary, split_key, leaves) finds the left-out key",
                  differences == [(DifferenceKind.MISSING_LOCALLY, forgotten.key)]
                  and {"summary", "split_key", "leaves"} <= ranges.asked, detail)
    evidence = peer.ask("evidence", {"keys": [list(forgotten.key)]})
    check_evidence(report, SETTLEMENT, "evidence proves the left-out transfer", evidence, peer,
                   forgotten)
    repaired = windows.statement(leaves)
    answer = windows.propose(repaired, final=True)
    if not check_match(report, SETTLEMENT, "window 2 repaired: co-signed", answer, repaired,
                       peer):
        return False
    windows.closed(repaired)
    skipped = windows.statement([])
    gap = windows.propose(resign(skipped, peer.key, peer.kit_id,
                                 window_index=skipped["window_index"] + 1), final=False)
    return expect_refusal(report, SETTLEMENT, "a window index skipped: sequence_gap", gap,
                          "sequence_gap", signed=False)


def window_that_disputes(windows: Windows, report: Report, creditor: str) -> bool:
    peer = windows.peer
    failed = commit_more(peer, windows.books, creditor, count=1)
    if failed:
        return report.record(SETTLEMENT, "window 3: one more transfer commits", False, failed)
    leaves = windows.leaves()
    lying = windows.statement(leaves, root="0" * 64)
    answer = windows.propose(lying, final=True)
    report.record(SETTLEMENT, "window 3 final with a wrong Merkle root: not co-signed",
                  answer.result is not None and answer.result["record"] is None,
                  answer.describe())
    honest = windows.propose(windows.statement(leaves), final=True)
    refused = honest.result is None and honest.code is not None
    return report.record(
        SETTLEMENT, "the disputed window stays disputed: no co-signature later",
        refused or (honest.result is not None and honest.result["record"] is None),
        honest.describe())


def run_settlement(peer: Peer, report: Report, books: Books, creditor: str) -> None:
    """The three windows in order; a window that goes wrong leaves the later ones not run
    (their statements would build on it)."""
    windows = Windows(peer, books)
    if not window_that_matches(windows, report):
        report.not_run(SETTLEMENT, "windows 2 and 3", "window 1 was not co-signed")
    elif not window_repaired_by_descent(windows, report, creditor):
        report.not_run(SETTLEMENT, "window 3 (dispute)", "window 2 was not co-signed")
    else:
        window_that_disputes(windows, report, creditor)

