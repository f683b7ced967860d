"""What each kind of import file holds, and each row checked on its own (no database).

A column is found by its English name or its Chinese heading (`会员编号` for `local_id`), so a
station's own spreadsheet needs no renaming. A column whose heading starts with `#` is a note
for people and is ignored; any other unknown column is refused, so nothing an operator believes
imported (a phone number, say) is silently dropped.

Every value is normalised (numbers typed as text, dates typed as `2019/3/2`, a Chinese category
name for its code) and the row's content hash is taken over the normalised values: the same
record typed a little differently is still the same record on a re-import.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from node.errors import ErrorCode, NodeError
from node.imports.sheet import Cell, ImportRefused, RowError, Sheet
from protocol.addresses import LOCAL_ID_PATTERN
from protocol.canonical import canonical_bytes, sha256_hex

SOURCE_ID_CHARS_MAX = 64
NAME_CHARS_MAX = 200
DOCUMENT_CHARS_MAX = 200
BIRTH_YEAR_MIN = 1900
# One line of a paper register is one day's service at most; a register that sums months
# must be split into its visits (or days) before import.
RECORD_MINUTES_MAX = 24 * 60
# The first Chinese time banks date from the late 1990s; an earlier date is a typing error.
RECORD_DATE_MIN = dt.date(1990, 1, 1)
NOTE_PREFIX = "#"

_LOCAL_ID = re.compile(LOCAL_ID_PATTERN)
_TEXT = re.compile(r"^[^\x00-\x1f\x7f]*$")
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


class Kind(StrEnum):
    MEMBERS = "members"
    RECORDS = "records"


class CellInvalid(NodeError):
    """One cell refused; `problem` is the stable word shown in the error table."""

    def __init__(self, problem: str, detail: str) -> None:
        super().__init__(ErrorCode.VALIDATION_FAILED, detail)
        self.problem = problem


@dataclass(frozen=True)
class Context:
    """What row checks need from outside the file: this year and the policy's categories
    (code → code, by code and by each of its names)."""

    today: dt.date
    categories: Mapping[str, str]


Parser = Callable[[Cell, Context], str | int]


@dataclass(frozen=True)
class Column:
    name: str
    heading: str  # the Chinese heading accepted for it
    parse: Parser
    required: bool = True


@dataclass(frozen=True)
class Row:
    number: int
    source_id: str
    values: dict[str, str | int]
    content_hash: str


def _text(cell: Cell, chars_max: int) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = cell.isoformat() if isinstance(cell, dt.date) else str(cell)
    if len(text) > chars_max:
        raise CellInvalid("too_long", f"more than {chars_max} characters")
    if not _TEXT.match(text):
        raise CellInvalid("malformed", "control characters are not allowed")
    return text


def _source_id(cell: Cell, ctx: Context) -> str:
    return _text(cell, SOURCE_ID_CHARS_MAX)


def _local_id(cell: Cell, ctx: Context) -> str:
    text = _text(cell, 64)
    if not _LOCAL_ID.match(text):
        raise CellInvalid("malformed", "lowercase letters, digits, '.', '_' and '-' only "
                          "(a member number such as 'a1027')")
    return text


def _name(cell: Cell, ctx: Context) -> str:
    return _text(cell, NAME_CHARS_MAX)


def _document(cell: Cell, ctx: Context) -> str:
    return _text(cell, DOCUMENT_CHARS_MAX)


def _whole(cell: Cell) -> int:
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    if isinstance(cell, str) and re.fullmatch(r"[0-9]{1,9}", cell):
        return int(cell)
    raise CellInvalid("malformed", "a whole number is expected")


def _birth_year(cell: Cell, ctx: Context) -> int:
    year = _whole(cell)
    if not BIRTH_YEAR_MIN <= year <= ctx.today.year:
        raise CellInvalid("out_of_range", f"a year from {BIRTH_YEAR_MIN} to {ctx.today.year}")
    return year


def _minutes(cell: Cell, ctx: Context) -> int:
    minutes = _whole(cell)
    if not 0 < minutes <= RECORD_MINUTES_MAX:
        raise CellInvalid("out_of_range", f"minutes from 1 to {RECORD_MINUTES_MAX}")
    return minutes


def _day(cell: Cell) -> dt.date:
    if isinstance(cell, dt.date):
        return cell
    found = _DATE.match(str(cell))
    try:
        if found:
            return dt.date(*(int(part) for part in found.groups()))
    except ValueError:
        pass
    raise CellInvalid("malformed", "a date such as 2019-03-02 or 2019/3/2")


def _date(cell: Cell, ctx: Context) -> str:
    day = _day(cell)
    if not RECORD_DATE_MIN <= day <= ctx.today:
        raise CellInvalid("out_of_range", f"a date from {RECORD_DATE_MIN} to today")
    return day.isoformat()


def _category(cell: Cell, ctx: Context) -> str:
    code = ctx.categories.get(str(cell).strip().lower())
    if code is None:
        raise CellInvalid("unknown", "not a service category of this node's policy: "
                          + ", ".join(sorted(set(ctx.categories.values()))))
    return code


COLUMNS: dict[Kind, tuple[Column, ...]] = {
    Kind.MEMBERS: (
        Column("source_id", "来源编号", _source_id),
        Column("local_id", "会员编号", _local_id),
        Column("display_name", "姓名", _name),
        Column("birth_year", "出生年份", _birth_year),
        Column("station", "服务站", _local_id),
    ),
    Kind.RECORDS: (
        Column("source_id", "来源编号", _source_id),
        Column("local_id", "会员编号", _local_id),
        Column("minutes", "分钟", _minutes),
        Column("date", "日期", _date),
        Column("category", "服务类别", _category),
        Column("document", "来源文件", _document),
    ),
}


def category_names(categories: list[Any]) -> dict[str, str]:
    """Every way a spreadsheet may name a policy category (code, full name, each word of the
    name: `生活照料` for "Daily living 生活照料"), lowercased, to its code."""
    names: dict[str, str] = {}
    for category in categories:
        names[category.code.lower()] = category.code
        names[category.name.lower()] = category.code
        for word in category.name.split():
            if not word.isascii():
                names.setdefault(word.lower(), category.code)
    return names


def locate(kind: Kind, header: tuple[str, ...]) -> tuple[dict[str, int], list[RowError]]:
    """Where each column of `kind` is in the header, and the header's problems (row 1)."""
    wanted = {c.name: c for c in COLUMNS[kind]}
    by_heading = {c.heading: c.name for c in COLUMNS[kind]}
    found: dict[str, int] = {}
    errors = []
    for index, heading in enumerate(header):
        if heading.startswith(NOTE_PREFIX):
            continue
        name = by_heading.get(heading, heading.lower())
        if name not in wanted:
            errors.append(RowError(1, heading or f"column {index + 1}", "unknown_column",
                                   f"not a column of a {kind} file (a note's heading starts "
                                   f"with {NOTE_PREFIX})"))
        elif name in found:
            errors.append(RowError(1, heading, "duplicate_column", "named twice"))
        else:
            found[name] = index
    for column in COLUMNS[kind]:
        if column.required and column.name not in found:
            errors.append(RowError(1, column.name, "missing_column",
                                   f"a {kind} file needs it (or {column.heading})"))
    return found, errors


def parse_rows(kind: Kind, sheet: Sheet, ctx: Context) -> tuple[list[Row], list[RowError]]:
    """Every row checked on its own and within the file (a source id or a member number
    twice); rows with any error are left out of the first list."""
    where, errors = locate(kind, sheet.header)
    if errors:
        return [], errors
    errors += sheet.errors
    overflowing = {error.row for error in sheet.errors}
    rows: list[Row] = []
    first_row: dict[tuple[str, str], int] = {}
    for number, cells in sheet.rows:
        values, problems = _parse_row(kind, number, cells, where, sheet.header, ctx)
        errors += problems
        if problems or number in overflowing:
            continue
        repeats = _repeats(kind, number, values, first_row, sheet.header, where)
        errors += repeats
        if not repeats:
            rows.append(Row(number, str(values["source_id"]), values, content_hash(kind, values)))
    return rows, errors


def _parse_row(kind: Kind, number: int, cells: tuple[Cell, ...], where: dict[str, int],
               header: tuple[str, ...], ctx: Context) -> tuple[dict[str, str | int],
                                                               list[RowError]]:
    values: dict[str, str | int] = {}
    errors = []
    for column in COLUMNS[kind]:
        index = where.get(column.name)
        cell = cells[index] if index is not None else None
        if cell is None:
            if column.required:
                errors.append(RowError(number, _shown(column.name, header, where), "missing",
                                       "empty"))
            continue
        try:
            values[column.name] = column.parse(cell, ctx)
        except CellInvalid as exc:
            errors.append(RowError(number, _shown(column.name, header, where), exc.problem,
                                   exc.detail))
    return values, errors


def _repeats(kind: Kind, number: int, values: dict[str, str | int],
             first_row: dict[tuple[str, str], int], header: tuple[str, ...],
             where: dict[str, int]) -> list[RowError]:
    # A members file registers each member number once; a records file may list many
    # records of one member, so only its source ids must be unique.
    keys = ["source_id", "local_id"] if kind is Kind.MEMBERS else ["source_id"]
    errors = []
    for key in keys:
        earlier = first_row.setdefault((key, str(values[key])), number)
        if earlier != number:
            errors.append(RowError(number, _shown(key, header, where), "duplicate",
                                   f"also on row {earlier}"))
    return errors


def _shown(name: str, header: tuple[str, ...], where: dict[str, int]) -> str:
    """The column as the file names it, so the operator finds it."""
    index = where.get(name)
    return header[index] if index is not None else name


def content_hash(kind: Kind, values: dict[str, str | int]) -> str:
    return sha256_hex(canonical_bytes({"kind": str(kind), **values}))


def totals(kind: Kind, sheet: Sheet) -> tuple[int, int, str | None, str | None]:
    """What a receipt states of a file, from the file alone (no policy, no database): its rows,
    its minutes (a records file's), its first and last source id. ImportRefused when a cell
    these need does not read."""
    where, errors = locate(kind, sheet.header)
    if errors:
        raise ImportRefused(f"{errors[0].column}: {errors[0].message}", errors)
    minutes = 0
    ids: list[str] = []
    for number, cells in sheet.rows:
        try:
            source = cells[where["source_id"]]
            if source is None:
                raise CellInvalid("missing", "no source id")
            ids.append(_text(source, SOURCE_ID_CHARS_MAX))
            if kind is Kind.RECORDS:
                minutes += _whole(cells[where["minutes"]])
        except (CellInvalid, KeyError) as exc:
            raise ImportRefused(f"row {number}: {exc}") from exc
    return len(sheet.rows), minutes, (ids[0] if ids else None), (ids[-1] if ids else None)
