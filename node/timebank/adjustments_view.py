"""How a visit's corrections after payment read (corrections.py writes them): shared by the
request's own view (requests.py), the corrections service and the certificate's figures."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.db.schema import tb_service_adjustments
from node.states import CorrectionState

PENDING, POSTED = CorrectionState.PENDING, CorrectionState.POSTED
WITHDRAWN = CorrectionState.WITHDRAWN


def view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "request_id": row.request_id, "state": row.state,
            "reference": row.reference, "reason": row.reason,
            "duration_minutes": row.duration_minutes, "rounded_before": row.rounded_before,
            "rounded_after": row.rounded_after, "price_before": row.price_before,
            "price_after": row.price_after, "delta_minutes": row.price_after - row.price_before,
            "recorded_by": row.recorded_by, "recorded_at_ms": row.recorded_at_ms,
            "confirmed_by": row.confirmed_by, "confirmed_at_ms": row.confirmed_at_ms,
            "entry_height": row.entry_height, "withdrawn_by": row.withdrawn_by,
            "withdrawn_at_ms": row.withdrawn_at_ms, "withdraw_reason": row.withdraw_reason}


def of_request(conn: Connection, request_id: str) -> list[dict[str, Any]]:
    """A visit's corrections, oldest first."""
    rows = conn.execute(select(tb_service_adjustments).where(
        tb_service_adjustments.c.request_id == request_id).order_by(
        tb_service_adjustments.c.recorded_at_ms, tb_service_adjustments.c.id))
    return [view(row) for row in rows]
