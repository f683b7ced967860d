"""Client-chosen ids as idempotency keys: same id and body → the stored result; same id with a
different body → a Conflict with a precise code (never a silent second write)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, select
from sqlalchemy.engine import Connection

from node.db.fast import FastStatement
from node.errors import Conflict, ErrorCode
from protocol.canonical import canonical_bytes, sha256_hex


def request_hash(body: dict[str, Any]) -> str:
    return sha256_hex(canonical_bytes(body))


@lru_cache(maxsize=8)
def _by_id(table: Table) -> FastStatement:
    return FastStatement(select(table).where(table.c.id == bindparam("id")))


def find_existing(
    conn: Connection, table: Table, *, record_id: str, body_hash: str, conflict: ErrorCode
) -> Any | None:
    """The stored record for this id (a named tuple), or None if the id is new."""
    rows = _by_id(table).rows(conn, {"id": record_id})
    row = rows[0] if rows else None
    if row is not None and row.request_hash != body_hash:
        raise Conflict(conflict, f"id {record_id} was used before with a different request body")
    return row
