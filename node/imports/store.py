"""An import's rows against the node's database: which are known, which conflict, and the
writes, chunk by chunk (docs/decisions.md, "Bulk import (issue 14)").

 1. `classify` reads what the node holds (source ids imported before for this kind and
    programme, and the members the rows name) and sorts every row into new, already there
    (same source id, same content hash), or wrong (a source id imported with other content, a
    member number taken, a member unknown or not active, a station not in the node's registry,
    a record that would take a member over the policy's balance cap). Nothing is written.
 2. `write` imports the new rows in chunks of CHUNK_ROWS, each chunk one write command
    (node/db/batch.py): the member or the `earned` grant, and its `import_rows` row, commit
    together. Each chunk reads its source ids again first, so a row imported meanwhile (a
    second import run at once) is skipped or refused, never written twice. A records chunk
    also reads its members' balances again and holds each row to the balance cap: hours paid
    or granted since the dry run (or since the chunk before) may leave no room. Such a row is
    not written and becomes the row error `over_cap` of the receipt; the others are written.
 3. A crash or a refusal part-way leaves whole chunks behind. Running the same command again
    resumes: the rows of committed chunks are "already there".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from node.access import Principal
from node.db.fast import insert_row
from node.db.rows import MemberRow
from node.db.schema import balances, import_rows, members, stations
from node.errors import NodeError
from node.imports.columns import Kind, Row
from node.imports.sheet import ImportRefused, RowError
from node.ledger.model import AccountKind, member_account
from node.ledger.system_ids import SYSTEM_MEMBER_IDS
from node.runtime import Node
from node.states import MEMBER_ACTIVE, MEMBER_FLOOR_MINUTES
from node.stations.registry import registry_in_use
from protocol.credit import CreditClass

# One chunk is one transaction: short enough that a serving node's other writes wait well under
# a second for the lock, long enough that commits do not dominate.
CHUNK_ROWS = 500
# SQLite allows 32 766 bound parameters in one statement; stay far below for PostgreSQL too.
IN_LIST_MAX = 1_000
FILE_NAME_CHARS_MAX = 100
GRANT_ID_PREFIX = "imp-"


@dataclass(frozen=True)
class Classified:
    new: list[Row]
    known: list[Row]
    errors: list[RowError]


@dataclass(frozen=True)
class Target:
    """Where the rows go: the kind, the programme they came from, who imports, the file."""

    kind: Kind
    programme: str
    principal: Principal
    file_name: str
    # The policy's caps.balance_minutes: a records import never takes a member over it.
    balance_cap_minutes: int | None = None


def grant_id(programme: str, source_id: str) -> str:
    """A grant id fixed by the row's origin: the grant service's own idempotency holds too."""
    digest = hashlib.sha256(f"{programme}\x00{source_id}".encode()).hexdigest()
    return GRANT_ID_PREFIX + digest[:40]


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), IN_LIST_MAX):
        yield list(items[start:start + IN_LIST_MAX])


def _imported(conn: Connection, target: Target, source_ids: Sequence[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for part in _chunks(source_ids):
        query = select(import_rows).where(
            import_rows.c.kind == str(target.kind), import_rows.c.programme == target.programme,
            import_rows.c.source_id.in_(part))
        found.update({row.source_id: row for row in conn.execute(query)})
    return found


def _members(conn: Connection, local_ids: Sequence[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for part in _chunks(sorted(set(local_ids))):
        query = select(members.c.local_id, members.c.status, members.c.relocated_to).where(
            members.c.local_id.in_(part))
        found.update({row.local_id: row for row in conn.execute(query)})
    return found


def _conflict(row: Row, before: Any) -> RowError | None:
    if before.content_hash == row.content_hash:
        return None
    return RowError(row.number, "source_id", "conflict",
                    f"source id {row.source_id} was imported before (row {before.row_number} "
                    f"of {before.file_name}) with different content: correct the member or "
                    "record on the node, or give the row a new source id")


def _member_problem(kind: Kind, row: Row, member: Any | None) -> RowError | None:
    local_id = str(row.values["local_id"])
    if kind is Kind.MEMBERS:
        if local_id in SYSTEM_MEMBER_IDS:
            return RowError(row.number, "local_id", "reserved",
                            f"{local_id} is the id of an account the node owns")
        if member is not None:
            return RowError(row.number, "local_id", "exists",
                            f"member {local_id} is registered on this node already")
        return None
    if member is None:
        return RowError(row.number, "local_id", "unknown",
                        f"no member {local_id} on this node: import the members first")
    if member.relocated_to is not None or member.status != MEMBER_ACTIVE:
        return RowError(row.number, "local_id", "inactive",
                        f"member {local_id} is not active here (moved or deactivated)")
    return None


def _held(conn: Connection, local_ids: Sequence[str]) -> dict[str, int]:
    """What each named member holds now, all classes together."""
    codes = {member_account(local_id): local_id for local_id in set(local_ids)}
    held = dict.fromkeys(codes.values(), 0)
    for part in _chunks(sorted(codes)):
        query = select(balances.c.account_code, func.sum(balances.c.balance_minutes)).where(
            balances.c.account_code.in_(part)).group_by(balances.c.account_code)
        held.update({codes[code]: int(total) for code, total in conn.execute(query)})
    return held


class CapRoom:
    """The balance cap row by row: what each member named holds now, plus the rows admitted
    so far. Read inside the transaction that writes (a chunk) or checks (the dry run)."""

    def __init__(self, conn: Connection, target: Target, rows: list[Row]) -> None:
        self.cap = target.balance_cap_minutes if target.kind is Kind.RECORDS else None
        self.held = ({} if self.cap is None
                     else _held(conn, [str(row.values["local_id"]) for row in rows]))

    def refuse(self, row: Row) -> RowError | None:
        """None and the row counted, or the row's `over_cap` error."""
        if self.cap is None:
            return None
        local_id, minutes = str(row.values["local_id"]), int(row.values["minutes"])
        if self.held[local_id] + minutes > self.cap:
            return RowError(row.number, "minutes", "over_cap",
                            f"member {local_id} would hold {self.held[local_id] + minutes} "
                            f"minutes, over this policy's cap of {self.cap}")
        self.held[local_id] += minutes
        return None


def _over_cap(conn: Connection, target: Target, new: list[Row]) -> list[RowError]:
    """The rows that would take a member over the balance cap, in file order."""
    room = CapRoom(conn, target, new)
    return [error for row in new if (error := room.refuse(row)) is not None]


def _unknown_stations(conn: Connection, target: Target, new: list[Row]) -> list[RowError]:
    """Members naming a station this node has not registered (or closed), once it keeps a
    registry (node/stations/registry.py): as registering one by one would refuse them."""
    if target.kind is not Kind.MEMBERS or not registry_in_use(conn):
        return []
    active = {row.id for row in conn.execute(select(stations.c.id).where(stations.c.active))}
    return [RowError(row.number, "station", "unknown",
                     f"{row.values['station']} is not a registered, active station of this "
                     "node: register it first, or correct the row")
            for row in new if row.values.get("station") and row.values["station"] not in active]


def classify(conn: Connection, target: Target, rows: list[Row]) -> Classified:
    """Step 1: new, already there, or wrong, for every row (see the module's docstring)."""
    before = _imported(conn, target, [row.source_id for row in rows])
    named = _members(conn, [str(row.values["local_id"]) for row in rows])
    new: list[Row] = []
    known: list[Row] = []
    errors: list[RowError] = []
    for row in rows:
        if row.source_id in before:
            error = _conflict(row, before[row.source_id])
            bucket = known
        else:
            error = _member_problem(target.kind, row, named.get(str(row.values["local_id"])))
            bucket = new
        if error is not None:
            errors.append(error)
        else:
            bucket.append(row)
    late = _over_cap(conn, target, new) + _unknown_stations(conn, target, new)
    return Classified(new, known, errors + late)


# Compiled once (node/db/fast.py): 50 000 rows make SQLAlchemy's per-statement work count.
_INSERT_IMPORT_ROW = insert_row(import_rows)
_INSERT_MEMBER = insert_row(members)


def _import_row(target: Target, row: Row, *, made: str, now_ms: int) -> dict[str, Any]:
    return {"kind": str(target.kind), "programme": target.programme,
            "source_id": row.source_id, "content_hash": row.content_hash, "target": made,
            "file_name": target.file_name[:FILE_NAME_CHARS_MAX], "row_number": row.number,
            "imported_by": target.principal.actor, "imported_at_ms": now_ms}


def _add_member(node: Node, conn: Connection, row: Row, now_ms: int) -> str:
    """What MemberService.create writes for one member, inside the chunk's transaction."""
    local_id = str(row.values["local_id"])
    taken = conn.execute(select(members.c.local_id, members.c.status, members.c.relocated_to)
                         .where(members.c.local_id == local_id)).first()
    error = _member_problem(Kind.MEMBERS, row, taken)
    if error is not None:  # registered since the check, by staff or another import
        raise ImportRefused(f"row {row.number}: {error.message}", [error])
    _INSERT_MEMBER.run(conn, MemberRow(
        local_id=local_id, display_name=str(row.values["display_name"]),
        station=str(row.values["station"]), birth_year=int(row.values["birth_year"]),
        status=MEMBER_ACTIVE, created_at_ms=now_ms,
    ).values())
    node.ledger.create_account(conn, code=member_account(local_id), kind=AccountKind.MEMBER,
                               now_ms=now_ms, member_local_id=local_id,
                               floor_minutes=MEMBER_FLOOR_MINUTES)
    return local_id


def grant_reason(file_name: str, row: Row) -> str:
    """The grant's reason, which is also its journal memo: the row, its source id, date and
    category only. The file's name and the row's document column are free text a person typed
    (a name may be in them), so they stay out of the hash-chained journal: the signed receipt
    and import_rows name the file, and the source id leads back to the row."""
    del file_name  # named by the receipt, not the journal
    values = row.values
    return (f"import row {row.number} (source {row.source_id}): {values['date']} "
            f"{values['category']}")


def _add_record(node: Node, conn: Connection, target: Target, row: Row) -> str:
    made = grant_id(target.programme, row.source_id)
    apply = node.grants.command(
        target.principal, grant_id=made, local_id=str(row.values["local_id"]),
        amount_minutes=int(row.values["minutes"]), credit_class=CreditClass.EARNED,
        reason=grant_reason(target.file_name, row))
    apply(conn)
    return made


@dataclass(frozen=True)
class Written:
    """What `write` did: rows and minutes written, and the rows refused at write time (over
    the balance cap by then), by row and column."""

    rows: int
    minutes: int
    refused: list[RowError]


def _chunk_command(node: Node, target: Target,
                   chunk: list[Row]) -> Callable[[Connection], Written]:
    def apply(conn: Connection) -> Written:
        now_ms = node.clock.now_ms()
        before = _imported(conn, target, [row.source_id for row in chunk])
        room = CapRoom(conn, target, [row for row in chunk if row.source_id not in before])
        written = minutes = 0
        done: list[dict[str, Any]] = []
        refused: list[RowError] = []
        for row in chunk:
            if row.source_id in before:
                error = _conflict(row, before[row.source_id])
                if error is not None:
                    raise ImportRefused(f"row {row.number}: {error.message}", [error])
                continue  # imported meanwhile, by another run of the same file
            if (over := room.refuse(row)) is not None:
                refused.append(over)  # not written: the receipt names it
                continue
            try:
                made = (_add_member(node, conn, row, now_ms) if target.kind is Kind.MEMBERS
                        else _add_record(node, conn, target, row))
            except ImportRefused:
                raise
            except NodeError as exc:
                raise ImportRefused(f"row {row.number}: {exc.code}: {exc.detail}", [RowError(
                    row.number, "", str(exc.code), exc.detail)]) from exc
            done.append(_import_row(target, row, made=made, now_ms=now_ms))
            written += 1
            minutes += int(row.values.get("minutes", 0))
        if done:
            _INSERT_IMPORT_ROW.run_many(conn, done)
        return Written(written, minutes, refused)

    return apply


def write(node: Node, target: Target, rows: list[Row],
          progress: Callable[[int], None] = lambda done: None) -> Written:
    """Step 2: import `rows` chunk by chunk; the rows and minutes written (rows imported
    meanwhile by another run are skipped) and the rows refused as over the balance cap by the
    time their chunk was written. `progress` hears the rows handled per chunk."""
    written = minutes = 0
    refused: list[RowError] = []
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = rows[start:start + CHUNK_ROWS]
        done = node.writer.run(_chunk_command(node, target, chunk))
        written, minutes = written + done.rows, minutes + done.minutes
        refused += done.refused
        progress(len(chunk))
    return Written(written, minutes, refused)
