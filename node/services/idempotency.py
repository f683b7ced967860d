"""Client-chosen ids as idempotency keys: same id and body → the stored result; same id with a
different body → a Conflict with a precise code (never a silent second write).

`open_command` is the preamble every idempotent command for a member runs, in one order."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, select
from sqlalchemy.engine import Connection

from node.access import Principal, require_act_for
from node.db.fast import FastStatement
from node.errors import Conflict, ErrorCode
from node.services.members import load_member, require_active
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


@dataclass(frozen=True)
class Opened:
    """A command past its preamble: the member it acts for, and the record stored for its id
    before (a replay: answer with it, write nothing) or None (a new command: go on)."""

    member: Any
    existing: Any | None


def open_command(
    conn: Connection, principal: Principal, *, member: str | Any, table: Table, record_id: str,
    body_hash: str, conflict: ErrorCode,
) -> Opened:
    """Load the member (`member` is a local id, or a row already loaded), check the principal
    may act for them, find a record stored under this id (a Conflict if its body differs), and,
    for a new command only, require the member to be active: a retry after the member moved or
    was deactivated still gets its stored answer."""
    row = load_member(conn, member) if isinstance(member, str) else member
    require_act_for(principal, local_id=row.local_id, station=row.station)
    existing = find_existing(conn, table, record_id=record_id, body_hash=body_hash,
                             conflict=conflict)
    if existing is None:
        require_active(row)
    return Opened(row, existing)
