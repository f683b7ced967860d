"""Rows of reconciliation: settlement windows and the discrepancies found in them."""

from __future__ import annotations

from dataclasses import dataclass

from node.db import schema
from node.db.rows.base import Row
from node.states import DiscrepancyOutcome, DiscrepancyStatus, WindowState

# reconciliation (node/reconcile/records.py) ---------------------------------------------------

@dataclass(slots=True, kw_only=True)
class WindowRow(Row):
    TABLE = schema.windows
    peer_node_id: str
    window_index: int
    outgoing_cut: int
    incoming_cut: int
    closing_position_minutes: int
    state: WindowState
    statement: str
    peer_statement: str | None
    record: str | None
    digests_exchanged: int
    closed_at_ms: int
    reconciled_at_ms: int | None
    books_checked_height: int | None = None


@dataclass(slots=True, kw_only=True)
class DiscrepancyRow(Row):
    TABLE = schema.discrepancies
    id: str
    peer_node_id: str
    window_index: int
    kind: str
    outcome: DiscrepancyOutcome
    status: DiscrepancyStatus
    debtor_node: str | None
    transfer_id: str | None
    detail: str
    evidence: str | None
    found_at_ms: int
    closed_at_ms: int | None
    closed_by: str | None


@dataclass(slots=True, kw_only=True)
class SightingRow(Row):
    """When the responder first saw cuts it told to come back (node/reconcile/sightings.py)."""

    TABLE = schema.reconcile_sightings
    peer_node_id: str
    window_index: int
    outgoing_cut: int
    incoming_cut: int
    first_seen_ms: int
