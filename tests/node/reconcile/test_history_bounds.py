"""Closing a window costs the window, not the link's history (issue 17, item 1): the queries a
close runs are bounded by the window's cuts (SQLite's query plans), and the check of entries
counted twice, which looks only at the clearing entries since the last check, still finds a
duplicate whose first entry lies in an earlier, matched window."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from node.db.schema import SETTLING_ENTRY, transfers, windows
from node.ledger.model import EntryKind, Posting, clearing_account, member_account
from node.reconcile import records
from protocol.credit import CreditClass
from tests.factories import ADMIN
from tests.federation import Federation

SH, NJ = "sh-pudong", "nj-gulou"
# Tables that grow with the history: a close may reach them only by a bounded index search.
HISTORY = ("transfers", "journal_entries", "postings", "in_transactions", "out_transactions",
           "remote_transfers")
# A search on one of them by the link alone walks the link's whole history.
UNBOUNDED = re.compile(r"SEARCH (postings|in_transactions|out_transactions|remote_transfers) "
                       r"USING (COVERING )?INDEX \w+ \((account_code|sender|peer_node_id|"
                       r"debtor_node)=\?\)$")


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ], members=3, grant_minutes=600)
    yield federation
    federation.close()


def send_settled(fed: Federation, *amounts: int, prefix: str = "x") -> None:
    for i, amount in enumerate(amounts):
        sent = fed.send(f"m0@{SH}", f"m1@{NJ}", amount, transfer_id=f"{prefix}{i}")
        assert sent.status_code == 201
    fed.settle()


def plans_of_a_close(fed: Federation, closer: str, peer: str) -> list[tuple[str, str]]:
    """(statement, each line of its plan) for every SELECT the closer ran while closing."""
    engine = fed.nodes[closer].db.engine
    seen: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
               _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        assert fed.close_window(closer, peer)["state"] == "matched"
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    raw = engine.raw_connection()
    try:
        return [(statement, str(row[-1])) for statement, parameters in seen
                for row in raw.cursor().execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    finally:
        raw.close()


def test_a_close_reads_the_history_only_through_bounded_searches(fed: Federation) -> None:
    send_settled(fed, 10, 20, prefix="a")
    assert fed.close_window(SH, NJ)["state"] == "matched"
    send_settled(fed, 30, 40, prefix="b")
    assert fed.send(f"m0@{SH}", f"m2@{SH}", 5).status_code == 201  # local: same table

    plans = plans_of_a_close(fed, SH, NJ)

    assert plans
    scans = [(statement, line) for statement, line in plans
             if any(line == f"SCAN {table}" for table in HISTORY)]
    unbounded = [(statement, line) for statement, line in plans if UNBOUNDED.search(line)]
    assert not scans, scans
    assert not unbounded, unbounded


def test_the_unbounded_search_check_can_fail() -> None:
    assert UNBOUNDED.search("SEARCH postings USING COVERING INDEX ix_postings_account_height "
                            "(account_code=?)")
    assert not UNBOUNDED.search("SEARCH postings USING COVERING INDEX "
                                "ix_postings_account_height (account_code=? AND entry_height>?)")


def test_a_duplicate_of_an_entry_in_an_earlier_window_is_found(fed: Federation) -> None:
    send_settled(fed, 30, 20)
    assert fed.close_window(SH, NJ)["state"] == "matched"  # the first entry: window 1
    with fed.nodes[NJ].db.read() as conn:
        checked = conn.execute(select(windows.c.books_checked_height).where(
            windows.c.peer_node_id == SH, windows.c.window_index == 1)).scalar_one()
    assert checked is not None and checked > 0
    with fed.nodes[SH].db.read() as conn:
        wire_id = conn.execute(select(transfers.c.wire_id).where(
            transfers.c.id == "x0")).scalar_one()
    node = fed.nodes[NJ]
    with node.db.write() as conn:  # a receiver that credits the same transfer again, later
        node.ledger.post(conn, kind=EntryKind.TRANSFER_IN, ref=wire_id, actor=f"m0@{SH}",
                         memo="again", now_ms=fed.clock.now_ms(),
                         legs=(Posting(clearing_account(SH), CreditClass.EARNED, -30),
                               Posting(member_account("m1"), CreditClass.EARNED, 30)))
        # Only the entries above the last check are looked at, the duplicate among them.
        assert records.counted_twice(conn, SH, above_height=checked) == [wire_id]
        assert records.counted_twice(conn, SH, above_height=checked + 1) == []

    fed.close_window(SH, NJ)

    kinds = {(d["kind"], d["window_index"]) for d in
             fed.nodes[NJ].reconciler.discrepancies(ADMIN, limit=100)}
    assert ("duplicate", 2) in kinds


def test_the_partial_index_names_the_kinds_the_check_counts() -> None:
    named = set(re.findall(r"'(\w+)'", str(SETTLING_ENTRY)))
    assert named == {str(kind) for kind in (EntryKind.TRANSFER_SETTLE, EntryKind.TRANSFER_IN,
                                            EntryKind.RELOCATION_OUT, EntryKind.RELOCATION_IN)}
    assert named == {str(kind) for kind in records._SETTLING_KINDS}
