"""SQL for settlement windows and discrepancies (node/db/schema.py `windows`, `discrepancies`),
and the two checks a node makes of its own books for a window: entries counted twice, and a
ledger position that disagrees with the transfers it records."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import case, exists, func, insert, select, update
from sqlalchemy.engine import Connection

from node.db.rows import DiscrepancyRow, WindowRow
from node.db.schema import SETTLING_ENTRY, discrepancies, journal_entries, postings, windows
from node.exchange import store
from node.ledger.model import EntryKind, clearing_account
from node.states import DiscrepancyOutcome, DiscrepancyStatus, WindowState


class DiscrepancyKind(StrEnum):
    """What a discrepancy is about. The values are stored and shown: never rename one."""

    PENDING_ACROSS_CUT = "pending_across_cut"  # reserved, no final answer at the cut
    DUPLICATE = "duplicate"  # one transfer moved the clearing account twice
    TOTALS_DIFFER = "totals_differ"
    ENTRIES_DIFFER = "entries_differ"
    CHAIN_BREAK = "chain_break"  # the two sides hold different transactions at the cut
    SIGNATURE_BREAK = "signature_break"
    CUT_BEHIND = "cut_behind"  # the closer's cut leaves out a transaction it knew of
    FIELD_MISMATCH = "field_mismatch"
    MISSING_LOCALLY = "missing_locally"
    MISSING_AT_PEER = "missing_at_peer"
    STATE_MISMATCH = "state_mismatch"


# Kinds of entries that move a clearing account, each once per transfer or relocation.
_SETTLING_KINDS = (EntryKind.TRANSFER_SETTLE, EntryKind.TRANSFER_IN, EntryKind.RELOCATION_OUT,
                   EntryKind.RELOCATION_IN)


@dataclass(frozen=True)
class Window:
    peer: str
    index: int
    outgoing_cut: int
    incoming_cut: int
    closing: int
    state: str
    statement: dict[str, Any]
    peer_statement: dict[str, Any] | None
    record: dict[str, Any] | None
    digests_exchanged: int
    closed_at_ms: int
    reconciled_at_ms: int | None

    def view(self) -> dict[str, Any]:
        return {
            "peer": self.peer, "window_index": self.index, "state": self.state,
            "outgoing_cut": self.outgoing_cut, "incoming_cut": self.incoming_cut,
            "closing_position_minutes": self.closing,
            "digests_exchanged": self.digests_exchanged, "closed_at_ms": self.closed_at_ms,
            "reconciled_at_ms": self.reconciled_at_ms, "statement": self.statement,
            "peer_statement": self.peer_statement, "record": self.record,
        }


def _window(row: Any) -> Window:
    def parsed(text: str | None) -> Any:
        return None if text is None else json.loads(text)
    return Window(row.peer_node_id, row.window_index, row.outgoing_cut, row.incoming_cut,
                  row.closing_position_minutes, row.state, json.loads(row.statement),
                  parsed(row.peer_statement), parsed(row.record), row.digests_exchanged,
                  row.closed_at_ms, row.reconciled_at_ms)


def last_window(conn: Connection, peer: str) -> Window | None:
    row = conn.execute(select(windows).where(windows.c.peer_node_id == peer)
                       .order_by(windows.c.window_index.desc()).limit(1)).first()
    return None if row is None else _window(row)


def window(conn: Connection, peer: str, index: int) -> Window | None:
    row = conn.execute(select(windows).where(windows.c.peer_node_id == peer,
                                             windows.c.window_index == index)).first()
    return None if row is None else _window(row)


def list_windows(conn: Connection, *, peer: str | None, limit: int,
                 state: str | None = None) -> list[Window]:
    query = select(windows).order_by(windows.c.closed_at_ms.desc(),
                                     windows.c.peer_node_id).limit(limit)
    if peer is not None:
        query = query.where(windows.c.peer_node_id == peer)
    if state is not None:
        query = query.where(windows.c.state == state)
    return [_window(row) for row in conn.execute(query)]


def latest_windows(conn: Connection) -> list[Window]:
    """Each link's newest window."""
    newest = (select(windows.c.peer_node_id, func.max(windows.c.window_index).label("top"))
              .group_by(windows.c.peer_node_id).subquery())
    rows = conn.execute(select(windows).join(newest, (
        newest.c.peer_node_id == windows.c.peer_node_id) & (
        newest.c.top == windows.c.window_index)).order_by(windows.c.peer_node_id))
    return [_window(row) for row in rows]


def last_matched_window(conn: Connection, peer: str) -> Window | None:
    """The link's newest co-signed window: everything past its cuts is not yet reconciled."""
    row = conn.execute(select(windows).where(windows.c.peer_node_id == peer,
                                             windows.c.state == WindowState.MATCHED)
                       .order_by(windows.c.window_index.desc()).limit(1)).first()
    return None if row is None else _window(row)


def window_peers(conn: Connection) -> list[str]:
    """Every peer this node holds a window with."""
    return list(conn.execute(select(windows.c.peer_node_id).distinct()
                             .order_by(windows.c.peer_node_id)).scalars())


def _text(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def save_window(conn: Connection, *, peer: str, index: int, outgoing_cut: int,
                incoming_cut: int, statement: dict[str, Any], now_ms: int) -> None:
    """Our statement for a window, new or recomputed (same window, new facts). `closed_at_ms`
    is when the window was cut at these cuts: a recomputation at the same cuts keeps it."""
    row = WindowRow(
        peer_node_id=peer, window_index=index, outgoing_cut=outgoing_cut,
        incoming_cut=incoming_cut, closing_position_minutes=statement["closing_position_minutes"],
        state=WindowState.OPEN, statement=json.dumps(statement, separators=(",", ":")),
        peer_statement=None,
        record=None, digests_exchanged=0, closed_at_ms=now_ms, reconciled_at_ms=None,
    )
    same = (windows.c.peer_node_id == peer) & (windows.c.window_index == index)
    changed = conn.execute(update(windows).where(same).values(
        closed_at_ms=case(((windows.c.outgoing_cut == outgoing_cut)
                           & (windows.c.incoming_cut == incoming_cut), windows.c.closed_at_ms),
                          else_=now_ms),
        outgoing_cut=row.outgoing_cut, incoming_cut=row.incoming_cut,
        closing_position_minutes=row.closing_position_minutes, state=row.state,
        statement=row.statement))
    if not changed.rowcount:
        conn.execute(insert(windows).values(row.values()))


def settle_window(conn: Connection, *, peer: str, index: int, state: str,
                  peer_statement: dict[str, Any] | None, record: dict[str, Any] | None,
                  now_ms: int) -> None:
    conn.execute(update(windows).where(
        windows.c.peer_node_id == peer, windows.c.window_index == index).values(
        state=state, peer_statement=_text(peer_statement), record=_text(record),
        reconciled_at_ms=now_ms))


def mark_window(conn: Connection, *, peer: str, index: int, now_ms: int,
                state: str | None = None, digests: int = 0) -> None:
    """Change only a window's state, or add to its digest count."""
    values: dict[str, Any] = {"reconciled_at_ms": now_ms,
                              "digests_exchanged": windows.c.digests_exchanged + digests}
    if state is not None:
        values["state"] = state
    conn.execute(update(windows).where(
        windows.c.peer_node_id == peer, windows.c.window_index == index).values(**values))


def record_discrepancy(conn: Connection, *, peer: str, index: int, kind: DiscrepancyKind,
                       outcome: DiscrepancyOutcome, detail: str, now_ms: int,
                       key: tuple[str, str] | None = None, evidence: Any = None) -> str:
    ident = uuid.uuid4().hex
    closed = outcome != DiscrepancyOutcome.DISPUTED
    conn.execute(insert(discrepancies).values(DiscrepancyRow(
        id=ident, peer_node_id=peer, window_index=index, kind=str(kind), outcome=outcome,
        status=DiscrepancyStatus.CLOSED if closed else DiscrepancyStatus.OPEN,
        debtor_node=None if key is None else key[0],
        transfer_id=None if key is None else key[1], detail=detail[:500],
        evidence=None if evidence is None else json.dumps(evidence, separators=(",", ":")),
        found_at_ms=now_ms, closed_at_ms=now_ms if closed else None, closed_by=None,
    ).values()))
    return ident


def dispute(conn: Connection, *, peer: str, index: int, kind: DiscrepancyKind, detail: str,
            now_ms: int, key: tuple[str, str] | None = None, evidence: Any = None) -> str:
    """A difference no signed evidence settles: record it open and freeze the link, so no new
    transfer crosses it until an operator has looked (docs/reconciliation.md). The same dispute
    found again (the window proposed a second time) is not recorded twice."""
    same = discrepancies.c.transfer_id == key[1] if key else discrepancies.c.transfer_id.is_(None)
    held = conn.execute(select(discrepancies.c.id).where(
        discrepancies.c.peer_node_id == peer, discrepancies.c.window_index == index,
        discrepancies.c.kind == str(kind), discrepancies.c.status == DiscrepancyStatus.OPEN,
        same)).first()
    if held is not None:
        return str(held.id)
    ident = record_discrepancy(conn, peer=peer, index=index, kind=kind,
                               outcome=DiscrepancyOutcome.DISPUTED, detail=detail, now_ms=now_ms,
                               key=key, evidence=evidence)
    store.freeze(conn, peer, reason=f"dispute_{kind}"[:48],
                 detail=f"window {index}: {detail}", now_ms=now_ms)
    return ident


def list_discrepancies(conn: Connection, *, peer: str | None, status: str | None,
                       limit: int) -> list[dict[str, Any]]:
    query = select(discrepancies).order_by(discrepancies.c.found_at_ms.desc(),
                                           discrepancies.c.id).limit(limit)
    if peer is not None:
        query = query.where(discrepancies.c.peer_node_id == peer)
    if status is not None:
        query = query.where(discrepancies.c.status == status)
    return [
        {**row._asdict(), "evidence": None if row.evidence is None else json.loads(row.evidence)}
        for row in conn.execute(query)
    ]


def discrepancy(conn: Connection, ident: str) -> dict[str, Any] | None:
    row = conn.execute(select(discrepancies).where(discrepancies.c.id == ident)).first()
    if row is None:
        return None
    return {**row._asdict(),
            "evidence": None if row.evidence is None else json.loads(row.evidence)}


def window_discrepancies(conn: Connection, peer: str, index: int) -> list[dict[str, Any]]:
    """Everything found in one window, oldest first."""
    rows = conn.execute(select(discrepancies).where(
        discrepancies.c.peer_node_id == peer, discrepancies.c.window_index == index)
        .order_by(discrepancies.c.found_at_ms, discrepancies.c.id))
    return [{**row._asdict(), "evidence": None} for row in rows]


def open_disputes(conn: Connection, *, peer: str | None = None,
                  index: int | None = None) -> int:
    query = select(func.count()).select_from(discrepancies).where(
        discrepancies.c.status == DiscrepancyStatus.OPEN)
    if peer is not None:
        query = query.where(discrepancies.c.peer_node_id == peer)
    if index is not None:
        query = query.where(discrepancies.c.window_index == index)
    return int(conn.execute(query).scalar_one())


def close_discrepancy(conn: Connection, ident: str, *, by: str, resolution: str,
                      now_ms: int) -> bool:
    changed = conn.execute(update(discrepancies).where(
        discrepancies.c.id == ident, discrepancies.c.status == DiscrepancyStatus.OPEN).values(
        status=DiscrepancyStatus.CLOSED, closed_at_ms=now_ms, closed_by=by,
        detail=func.substr(discrepancies.c.detail + " | resolved: " + resolution, 1, 500)))
    return bool(changed.rowcount)


# Checks of our own books ---------------------------------------------------------------------


def counted_twice(conn: Connection, peer: str, *, above_height: int = 0) -> list[str]:
    """Refs (transfer or relocation ids) with more than one clearing entry for this link, an
    hour counted twice, among the refs of the clearing entries above journal height
    `above_height` (0: the link's whole history). Each such ref's entries are counted over the
    whole history (`ix_journal_entries_settling_ref`), so a duplicate is found by the first
    check after its second entry, however old its first."""
    clearing = clearing_account(peer)
    recent_entry, recent_posting = journal_entries.alias("recent_entry"), postings.alias(
        "recent_posting")
    recent = (
        select(recent_entry.c.ref)
        .select_from(recent_posting.join(
            recent_entry, recent_entry.c.height == recent_posting.c.entry_height))
        .where(recent_posting.c.account_code == clearing,
               recent_posting.c.entry_height > above_height,
               recent_entry.c.kind.in_([str(kind) for kind in _SETTLING_KINDS]),
               recent_entry.c.reverses_height.is_(None)))
    # Driven by the refs (the partial ref index), not by the clearing account's postings: those
    # are the link's whole history.
    moves_clearing = exists().where(postings.c.entry_height == journal_entries.c.height,
                                    postings.c.account_code == clearing)
    rows = conn.execute(
        select(journal_entries.c.ref)
        .where(SETTLING_ENTRY, journal_entries.c.ref.in_(recent), moves_clearing,
               journal_entries.c.reverses_height.is_(None))
        .group_by(journal_entries.c.ref)
        .having(func.count(func.distinct(journal_entries.c.height)) > 1))
    return sorted(str(row.ref) for row in rows)


def counted_twice_since_check(conn: Connection, peer: str, index: int) -> tuple[list[str], int]:
    """`counted_twice` for the clearing entries since the link's last check (the newest
    earlier window's `books_checked_height`; none: the whole history), and the journal height
    it covered. Reads only: a snapshot may run it off the writer (node/reconcile/prepare.py);
    `mark_books_checked` then records the height with the window's statement."""
    above = conn.execute(
        select(windows.c.books_checked_height)
        .where(windows.c.peer_node_id == peer, windows.c.window_index < index,
               windows.c.books_checked_height.is_not(None))
        .order_by(windows.c.window_index.desc()).limit(1)).scalar_one_or_none()
    head = conn.execute(select(func.max(journal_entries.c.height))).scalar_one_or_none()
    return counted_twice(conn, peer, above_height=int(above or 0)), int(head or 0)


def mark_books_checked(conn: Connection, peer: str, index: int, height: int) -> None:
    conn.execute(update(windows).where(
        windows.c.peer_node_id == peer, windows.c.window_index == index).values(
        books_checked_height=height))


def counted_twice_in_window(conn: Connection, peer: str, index: int) -> list[str]:
    """`counted_twice_since_check`, and the height checked up to recorded on window `index`,
    in the same write."""
    found, head = counted_twice_since_check(conn, peer, index)
    mark_books_checked(conn, peer, index, head)
    return found


def ledger_position(conn: Connection, peer: str) -> int:
    """Our settled position with `peer` from the ledger: minutes it owes us."""
    return -store.clearing_balance(conn, peer)
