"""Client-chosen ids as idempotency keys: same id and body → the stored result; same id with a
different body → a Conflict with a precise code (never a silent second write)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection, Row

from node.errors import Conflict, ErrorCode
from protocol.canonical import canonical_bytes, sha256_hex


def request_hash(body: dict[str, Any]) -> str:
    return sha256_hex(canonical_bytes(body))


def find_existing(
    conn: Connection, table: Table, *, record_id: str, body_hash: str, conflict: ErrorCode
) -> Row[Any] | None:
    row = conn.execute(select(table).where(table.c.id == record_id)).one_or_none()
    if row is not None and row.request_hash != body_hash:
        raise Conflict(conflict, f"id {record_id} was used before with a different request body")
    return row
