"""The access log: who read or changed which member's personal data, when, and whether the node
allowed it (PIPL art. 51; the cybersecurity law's six months of logs).

Append-only and hash-chained: row `seq` carries the hash of row `seq - 1` (`prev_hash`) and its
own hash over its canonical content, so a row changed, removed or slipped in breaks the chain.
`access_log_head` (one row) holds the last row's seq and hash, taken with a row lock at every
append, which serialises appends on PostgreSQL as SQLite's single writer does, and lets `verify`
notice rows cut from the end. A row names fields, never their values.

prune   rows older than RETENTION_DAYS go, from the start of the chain only: the hash of the
        last row pruned becomes the anchor (`anchor_seq`, `anchor_hash`), where verification
        of what remains begins. A row younger than the retention is never removed.
verify  recomputes every row; problems come back as data, one sentence each, beancount-style.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from node.db.schema import access_log, access_log_head
from node.errors import ErrorCode, FixedCodeError

GENESIS_HASH = "0" * 64
RETENTION_DAYS = 180
DAY_MS = 86_400_000
RETENTION_MS = RETENTION_DAYS * DAY_MS
FIELDS_CHARS_MAX = 300
READ_CHUNK_ROWS = 2_000  # rows verify and export hold in memory at once
PROBLEMS_MAX = 100  # problems verify reports at most; the first is the one that matters
HEAD_ID = 1


class Action(StrEnum):
    READ = "read"
    CHANGE = "change"
    EXPORT = "export"
    ERASE = "erase"


class Result(StrEnum):
    ALLOWED = "allowed"
    REFUSED = "refused"


class AccessLogInvalid(FixedCodeError):
    CODE = ErrorCode.ACCESS_LOG_INVALID


@dataclass(frozen=True)
class LogRow:
    seq: int
    member_local_id: str
    actor: str
    action: str
    fields: str
    result: str
    at_ms: int
    prev_hash: str
    row_hash: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def content_hash(*, seq: int, member_local_id: str, actor: str, action: str, fields: str,
                 result: str, at_ms: int, prev_hash: str) -> str:
    """SHA-256 of the row's canonical JSON (sorted keys, no spaces, UTF-8)."""
    content = {"seq": seq, "member": member_local_id, "actor": actor, "action": action,
               "fields": fields, "result": result, "at_ms": at_ms, "prev_hash": prev_hash}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _head(conn: Connection, *, lock: bool) -> Any:
    query = select(access_log_head).where(access_log_head.c.id == HEAD_ID)
    row = conn.execute(query.with_for_update() if lock else query).one_or_none()
    if row is None:  # a database made before the head row: start the chain
        conn.execute(insert(access_log_head).values(
            id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH, anchor_seq=0,
            anchor_hash=GENESIS_HASH))
        row = conn.execute(query).one()
    return row


def append(conn: Connection, *, member_local_id: str, actor: str, action: Action,
           fields: Iterable[str], result: Result, now_ms: int) -> int:
    """One row, in the caller's transaction; its seq."""
    head = _head(conn, lock=True)
    seq: int = head.last_seq + 1
    named = ",".join(fields)[:FIELDS_CHARS_MAX]
    row_hash = content_hash(seq=seq, member_local_id=member_local_id, actor=actor,
                            action=str(action), fields=named, result=str(result), at_ms=now_ms,
                            prev_hash=head.last_hash)
    conn.execute(insert(access_log).values(
        seq=seq, member_local_id=member_local_id, actor=actor, action=str(action),
        fields=named, result=str(result), at_ms=now_ms, prev_hash=head.last_hash,
        row_hash=row_hash))
    conn.execute(update(access_log_head).where(access_log_head.c.id == HEAD_ID)
                 .values(last_seq=seq, last_hash=row_hash))
    return seq


def append_many(conn: Connection, *, member_local_ids: Iterable[str], actor: str,
                action: Action, fields: Iterable[str], result: Result, now_ms: int) -> int:
    """One row per member (a list read: the same actor, fields and moment), chained as `append`
    chains them but with one head update and one multi-row insert; how many."""
    ids = list(member_local_ids)
    if not ids:
        return 0
    head = _head(conn, lock=True)
    named = ",".join(fields)[:FIELDS_CHARS_MAX]
    seq, prev_hash, values = head.last_seq, head.last_hash, []
    for member_local_id in ids:
        seq += 1
        row_hash = content_hash(seq=seq, member_local_id=member_local_id, actor=actor,
                                action=str(action), fields=named, result=str(result),
                                at_ms=now_ms, prev_hash=prev_hash)
        values.append({"seq": seq, "member_local_id": member_local_id, "actor": actor,
                       "action": str(action), "fields": named, "result": str(result),
                       "at_ms": now_ms, "prev_hash": prev_hash, "row_hash": row_hash})
        prev_hash = row_hash
    conn.execute(insert(access_log), values)
    conn.execute(update(access_log_head).where(access_log_head.c.id == HEAD_ID)
                 .values(last_seq=seq, last_hash=prev_hash))
    return len(ids)


def _row(row: Any) -> LogRow:
    return LogRow(seq=row.seq, member_local_id=row.member_local_id, actor=row.actor,
                  action=row.action, fields=row.fields, result=row.result, at_ms=row.at_ms,
                  prev_hash=row.prev_hash, row_hash=row.row_hash)


def rows(conn: Connection, *, since_ms: int | None = None, until_ms: int | None = None,
         member_local_id: str | None = None) -> Iterator[LogRow]:
    """Rows in chain order, `since_ms` <= at_ms < `until_ms`, read in chunks."""
    after = 0
    while True:
        query = (select(access_log).where(access_log.c.seq > after)
                 .order_by(access_log.c.seq).limit(READ_CHUNK_ROWS))
        if since_ms is not None:
            query = query.where(access_log.c.at_ms >= since_ms)
        if until_ms is not None:
            query = query.where(access_log.c.at_ms < until_ms)
        if member_local_id is not None:
            query = query.where(access_log.c.member_local_id == member_local_id)
        chunk = [_row(row) for row in conn.execute(query)]
        yield from chunk
        if len(chunk) < READ_CHUNK_ROWS:
            return
        after = chunk[-1].seq


@dataclass(frozen=True)
class Verified:
    rows: int
    anchor_seq: int
    last_seq: int
    last_hash: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(conn: Connection) -> Verified:
    """Every row from the anchor on: contiguous, chained, its hash its content's."""
    head = _head(conn, lock=False)
    problems: list[str] = []
    expected_seq, expected_prev, count = head.anchor_seq + 1, head.anchor_hash, 0
    for row in rows(conn):
        count += 1
        if row.seq != expected_seq:
            problems.append(f"row {expected_seq} is missing (next is {row.seq})")
        if row.prev_hash != expected_prev:
            problems.append(f"row {row.seq} does not follow the row before it")
        recomputed = content_hash(seq=row.seq, member_local_id=row.member_local_id,
                                  actor=row.actor, action=row.action, fields=row.fields,
                                  result=row.result, at_ms=row.at_ms, prev_hash=row.prev_hash)
        if recomputed != row.row_hash:
            problems.append(f"row {row.seq} was changed after it was written")
        expected_seq, expected_prev = row.seq + 1, row.row_hash
    if (expected_seq - 1, expected_prev) != (head.last_seq, head.last_hash):
        problems.append(f"the log ends at row {expected_seq - 1}, its head says "
                        f"{head.last_seq}: rows were cut from the end")
    return Verified(rows=count, anchor_seq=head.anchor_seq, last_seq=head.last_seq,
                    last_hash=head.last_hash, problems=tuple(problems[:PROBLEMS_MAX]))


def prune(conn: Connection, *, now_ms: int) -> int:
    """Remove the rows older than RETENTION_DAYS at the start of the chain; how many went."""
    cutoff_ms = now_ms - RETENTION_MS
    head = _head(conn, lock=True)
    first_young = conn.execute(select(func.min(access_log.c.seq)).where(
        access_log.c.at_ms >= cutoff_ms)).scalar_one()
    last_old = head.last_seq if first_young is None else first_young - 1
    if last_old <= head.anchor_seq:
        return 0
    anchor = conn.execute(select(access_log.c.row_hash).where(
        access_log.c.seq == last_old)).scalar_one()
    removed = conn.execute(delete(access_log).where(access_log.c.seq <= last_old)).rowcount
    conn.execute(update(access_log_head).where(access_log_head.c.id == HEAD_ID)
                 .values(anchor_seq=last_old, anchor_hash=anchor))
    return int(removed)
