"""The base of every row class: its table, its fields in column order, and its enums."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar, Self

from sqlalchemy import Table

from node.states import STORED


@dataclass(slots=True, kw_only=True)
class Row:
    """What every row class shares. FIELDS and ENUMS are filled in once, below the classes."""

    TABLE: ClassVar[Table]
    FIELDS: ClassVar[tuple[str, ...]] = ()  # the dataclass fields, in order: the columns
    ENUMS: ClassVar[tuple[tuple[str, type[StrEnum]], ...]] = ()  # (column, its enum)

    def values(self) -> dict[str, Any]:
        """The insert parameters, one per column. Not dataclasses.asdict: this runs on every
        transfer, and asdict deep-copies each value."""
        return {name: getattr(self, name) for name in self.FIELDS}

    @classmethod
    def from_row(cls, row: Any) -> Self:
        """A stored row with every column selected, its lifecycle columns as their enums."""
        values = row._asdict()
        for column, enum in cls.ENUMS:
            if values[column] is not None:
                values[column] = enum(values[column])
        return cls(**values)


def registered(*classes: type[Row]) -> dict[str, type[Row]]:
    """Fill in each class's FIELDS and ENUMS; the classes by their table's name."""
    for row in classes:
        row.FIELDS = tuple(field.name for field in fields(row))
        row.ENUMS = tuple((column, enum) for (table, column), enum in STORED.items()
                          if table == row.TABLE.name)
    return {row.TABLE.name: row for row in classes}
