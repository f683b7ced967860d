"""Statements compiled once per dialect and run on the driver's cursor.

A transfer runs about ten statements. Through SQLAlchemy's execution layer each costs ~40 µs of
bookkeeping (cache keys, events, result wrapping), several times what SQLite itself needs. The
money path therefore keeps SQLAlchemy as the one description of its SQL, compiles it once per
dialect, and hands the string straight to the driver inside the same transaction. Only plain
bound parameters are supported; code off the hot path uses SQLAlchemy as usual.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement

_Compiled = tuple[str, tuple[str, ...] | None, dict[str, Any], Any]


class FastStatement:
    def __init__(self, clause: ClauseElement) -> None:
        self.clause = clause
        # A SELECT's columns, or those an INSERT ... RETURNING gives back.
        selected = getattr(clause, "selected_columns", None)
        if selected is None:
            selected = getattr(clause, "exported_columns", None)
        names = [column.key for column in selected] if selected is not None else []
        # Rows come back as named tuples: attribute access like SQLAlchemy's Row.
        self.row_type = namedtuple("FastRow", names) if names else None
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.clause.compile(dialect=dialect)
            # positiontup exists on SQL compilers only; SQLAlchemy does not type it on Compiled.
            positions = getattr(compiled, "positiontup", None) or ()
            order = tuple(positions) if dialect.positional else None
            # Literals in the statement (`id == 1`) are bound parameters with a fixed value.
            fixed = {k: v for k, v in compiled.params.items() if v is not None}
            found = (compiled.string, order, fixed, self.row_type)
            self._compiled[dialect.name] = found
        return found

    @staticmethod
    def _args(
        order: tuple[str, ...] | None, fixed: dict[str, Any], params: Mapping[str, Any]
    ) -> Any:
        if fixed:
            params = {**fixed, **params}
        return params if order is None else tuple(params[name] for name in order)

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        """Run a SELECT; rows as named tuples."""
        sql, order, fixed, row_type = self._compile(conn.dialect)
        cursor = conn.connection.cursor()
        try:
            cursor.execute(sql, self._args(order, fixed, params))
            return [row_type._make(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def run(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run an INSERT, UPDATE or DELETE; returns the row count."""
        sql, order, fixed, _ = self._compile(conn.dialect)
        cursor = conn.connection.cursor()
        try:
            cursor.execute(sql, self._args(order, fixed, params))
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def run_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        sql, order, fixed, _ = self._compile(conn.dialect)
        cursor = conn.connection.cursor()
        try:
            cursor.executemany(sql, [self._args(order, fixed, row) for row in rows])
        finally:
            cursor.close()


def insert_row(table: Table) -> FastStatement:
    """INSERT of every column of `table`, parameters named after the columns."""
    return FastStatement(insert(table).values({c.name: bindparam(c.name) for c in table.columns}))


def in_params(count: int, prefix: str = "p") -> list[Any]:
    """`count` bound parameters p0..pN for an IN list of fixed length."""
    return [bindparam(f"{prefix}{i}") for i in range(count)]


def in_values(values: Sequence[Any], prefix: str = "p") -> dict[str, Any]:
    return {f"{prefix}{i}": value for i, value in enumerate(values)}
