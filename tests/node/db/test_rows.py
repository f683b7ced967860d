"""One typed row per table the money path writes (node/db/rows.py), each held to its table: the
same column names, `| None` exactly where the column is nullable, the Python type of the column's
type, and the enum of node/states.py on a stored lifecycle column. A table the money path starts
to write fails here until it has a row class, and a test shows the check names what it catches."""

from __future__ import annotations

import ast
import types
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any, get_type_hints

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
)

from node.db import rows
from node.db.fast import FastStatement, insert_row
from node.db.rows import ROWS, Row, TransferRow
from node.db.schema import metadata, transfers
from node.runtime import Node
from node.states import STORED, TransferState, WindowState

ROOT = Path(__file__).resolve().parents[3]
NODE = ROOT / "node"

# The tables a transfer, a relocation, a payment request or a reconciliation writes.
MONEY_PATH = ("journal_entries", "postings", "accounts", "balances", "members",
              "system_accounts", "transfers",
              "remote_transfers", "out_transactions", "in_transactions", "links", "outbox",
              "in_messages", "relocations", "relocations_in", "payment_requests",
              "payment_requests_in", "windows", "discrepancies", "reconcile_sightings")
# The modules of the money path: every table they write has its row class.
WRITERS = (NODE / "ledger" / "journal.py", NODE / "services" / "transfers.py",
           NODE / "services" / "outgoing.py", NODE / "services" / "payments.py",
           NODE / "services" / "relocation.py", NODE / "services" / "members.py",
           NODE / "services" / "system_accounts.py", *sorted((NODE / "exchange").glob("*.py")),
           *sorted((NODE / "reconcile").glob("*.py")))
UNTYPED: set[str] = set()

# BigInteger is an Integer and Text a String.
PYTHON_TYPES: tuple[tuple[type[Any], type], ...] = ((Boolean, bool), (Integer, int), (String, str))


def mismatches(row: type, table: Table, enums: dict[str, type[StrEnum]]) -> list[str]:
    """What differs between a row class and its table; `enums`: the enum each lifecycle column
    holds."""
    hints = get_type_hints(row)
    declared = {field.name: hints[field.name] for field in fields(row)}
    columns = {column.name: column for column in table.columns}
    found = [f"column {name} has no field" for name in columns if name not in declared]
    found += [f"field {name} has no column" for name in declared if name not in columns]
    for name, hint in declared.items():
        column = columns.get(name)
        if column is None:
            continue
        args = hint.__args__ if isinstance(hint, types.UnionType) else (hint,)
        nullable = type(None) in args
        python = [arg for arg in args if arg is not type(None)]
        if nullable != column.nullable:
            found.append(f"{name}: the column is {'' if column.nullable else 'not '}nullable, "
                         f"the field is {_named(hint)}")
        wanted = enums.get(name) or next(
            (py for sql, py in PYTHON_TYPES if isinstance(column.type, sql)), None)
        if python != [wanted]:
            found.append(f"{name}: a {column.type} column holds {_named(wanted)}, "
                         f"the field is {_named(hint)}")
    return found


def _named(hint: Any) -> str:
    return hint.__name__ if isinstance(hint, type) else str(hint)


def _enums(table: str) -> dict[str, type[StrEnum]]:
    return {column: enum for (name, column), enum in STORED.items() if name == table}


def test_every_money_path_table_has_its_row_class() -> None:
    assert sorted(ROWS) == sorted(MONEY_PATH)
    for name, row in ROWS.items():
        assert row.TABLE is metadata.tables[name]


def test_each_row_class_matches_its_table() -> None:
    found = {name: problems for name, row in ROWS.items()
             if (problems := mismatches(row, row.TABLE, _enums(name)))}
    assert found == {}


def test_from_row_reads_every_lifecycle_column_as_its_enum() -> None:
    for name, row in ROWS.items():
        for column, enum in _enums(name).items():
            assert issubclass(enum, str) and (column, enum) in row.ENUMS


def test_every_row_class_is_registered_with_its_fields() -> None:
    defined = {value for value in vars(rows).values()
               if isinstance(value, type) and issubclass(value, Row) and value is not Row}
    assert defined == set(ROWS.values())
    for row in defined:
        assert tuple(field.name for field in fields(row)) == row.FIELDS


def _inserted_tables(source: str) -> set[str]:
    """The tables a module inserts into: `insert(t)`, `insert_row(t)`, `t.insert()`."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"insert", "insert_row"} and node.args:
            target = node.args[0]
            names.add(target.id if isinstance(target, ast.Name) else ast.unparse(target))
        elif isinstance(func, ast.Attribute) and func.attr == "insert" and not node.args:
            names.add(ast.unparse(func.value))
    return names


def test_the_money_path_writes_no_table_without_a_row_class() -> None:
    written = set().union(*(_inserted_tables(path.read_text(encoding="utf-8"))
                            for path in WRITERS))
    assert set(MONEY_PATH) | UNTYPED <= written
    assert written - set(MONEY_PATH) - UNTYPED == set()


def test_a_row_goes_in_and_comes_back_with_its_enum(node: Node) -> None:
    row = TransferRow(id="t-row", debtor="alice@a", creditor="bob@a", amount_minutes=30,
                      memo="tea", state=TransferState.COMMITTED, reason_code=None,
                      request_hash="0" * 64, entry_height=None, actor="alice@a",
                      created_at_ms=1, updated_at_ms=2)
    with node.db.engine.begin() as conn:
        insert_row(transfers).run(conn, row.values())
        stored = conn.execute(select(transfers).where(transfers.c.id == "t-row")).one()
        fast = FastStatement(select(transfers).where(transfers.c.id == "t-row")).rows(conn, {})
    assert type(stored.state) is str and stored.state == TransferState.COMMITTED.value
    for read in (TransferRow.from_row(stored), TransferRow.from_row(fast[0])):
        assert read == row and type(read.state) is TransferState


def test_the_checks_would_catch_a_mismatch() -> None:
    table = Table("things", MetaData(), Column("id", String(8), primary_key=True),
                  Column("count", BigInteger, nullable=False),
                  Column("note", Text, nullable=True), Column("state", String(16)),
                  Column("gone", Integer, nullable=False))

    @dataclass(frozen=True)
    class ThingRow:
        id: str
        count: str
        note: str
        state: str | None
        extra: int

    assert mismatches(ThingRow, table, {"state": WindowState}) == [
        "column gone has no field",
        "field extra has no column",
        "count: a BIGINT column holds int, the field is str",
        "note: the column is nullable, the field is str",
        "state: a VARCHAR(16) column holds WindowState, the field is str | None",
    ]
    writer = ("def write(conn):\n    conn.execute(insert(tb_kin).values(x=1))\n"
              "    names.insert(0, 'x')\n    return insert_row(grants), tb_audit.insert()\n")
    assert _inserted_tables(writer) == {"tb_kin", "grants", "tb_audit"}
