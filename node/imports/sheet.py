"""Reading an import file: a CSV or an .xlsx workbook's first sheet, as a header and rows.

Rows keep the number a person sees in a spreadsheet program (the header is row 1), so every
error names the row to open. Wholly blank rows are skipped without renumbering the others.
Cells come back as they were typed: text stripped of surrounding blanks, numbers and dates as
the workbook stores them (columns.py decides what each column accepts).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from node.errors import ErrorCode, FixedCodeError

# Ten years of a large programme's paper records fit easily; a bigger file is split first.
FILE_BYTES_MAX = 64 * 1024 * 1024
ROWS_MAX = 200_000
COLUMNS_MAX = 40
SUFFIXES = (".csv", ".xlsx")

Cell = str | int | float | dt.date | None


class ImportRefused(FixedCodeError):
    """An import file that cannot be imported: unreadable, or with rows that are wrong
    (`errors` names each one by row and column)."""

    CODE = ErrorCode.IMPORT_REFUSED

    def __init__(self, detail: str, errors: list[RowError] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []


class SheetTooLong(ImportRefused):
    """A file with more rows than its reader takes: reading stops at the limit."""

    CODE = ErrorCode.IMPORT_TOO_MANY_ROWS

    def __init__(self, name: str, rows_max: int) -> None:
        super().__init__(f"{name} has more than {rows_max} rows: split it")
        self.rows_max = rows_max


@dataclass(frozen=True)
class RowError:
    row: int  # as numbered in the spreadsheet: the header is row 1
    column: str  # the column's name as the file spells it ("" for the whole row)
    problem: str  # a stable word: missing, malformed, out_of_range, duplicate, conflict, ...
    message: str


@dataclass(frozen=True)
class Sheet:
    name: str
    sha256: str
    size_bytes: int
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[Cell, ...]], ...]  # (row number, cells in header order)
    errors: tuple[RowError, ...]  # rows with values right of the last named column


def read_sheet(path: Path, *, rows_max: int = ROWS_MAX) -> Sheet:
    """The file's header and its non-blank rows; ImportRefused when it cannot be read, and
    SheetTooLong as soon as a row past `rows_max` (at most ROWS_MAX) is met."""
    rows_max = min(rows_max, ROWS_MAX)
    if path.suffix.lower() not in SUFFIXES:
        raise ImportRefused(f"{path.name}: import reads {' or '.join(SUFFIXES)} files")
    if not path.is_file():
        raise ImportRefused(f"{path}: no such file")
    size = path.stat().st_size
    if size > FILE_BYTES_MAX:
        raise ImportRefused(f"{path.name} has {size} bytes, more than {FILE_BYTES_MAX}: split it")
    data = path.read_bytes()
    lines = _xlsx_lines(data, path.name) if path.suffix.lower() == ".xlsx" else _csv_lines(data)
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[Cell, ...]]] = []
    errors: list[RowError] = []
    for number, raw in enumerate(lines, start=1):
        cells = tuple(_clean(cell) for cell in raw)
        if header is None:
            header = _header(cells, path.name)
            continue
        if all(cell is None for cell in cells):
            continue
        if len(rows) >= rows_max:
            raise SheetTooLong(path.name, rows_max)
        width = len(header)
        if any(cell is not None for cell in cells[width:]):
            errors.append(RowError(number, "", "extra_cells",
                                   "values right of the last named column"))
        rows.append((number, cells[:width] + (None,) * (width - len(cells))))
    if header is None:
        raise ImportRefused(f"{path.name} is empty: the first row names the columns")
    return Sheet(path.name, hashlib.sha256(data).hexdigest(), size, header, tuple(rows),
                 tuple(errors))


def _csv_lines(data: bytes) -> list[list[str]]:
    """UTF-8 (with or without Excel's byte-order mark), else GB 18030, which Chinese Excel
    writes when it saves "CSV" without saying UTF-8."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise ImportRefused("the CSV is neither UTF-8 nor GB 18030 text") from exc
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ImportRefused(f"the CSV cannot be read: {exc}") from exc


def _xlsx_lines(data: bytes, name: str) -> list[tuple[Cell, ...]]:
    from openpyxl import load_workbook  # only .xlsx imports pay for loading it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise ImportRefused(f"{name} is not a readable .xlsx workbook: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        return [tuple(_xlsx_cell(value) for value in row)
                for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _xlsx_cell(value: object) -> Cell:
    if isinstance(value, dt.datetime):
        return value.date()
    if value is None or isinstance(value, str | int | float | dt.date):
        return value
    return str(value)


def _clean(cell: Cell) -> Cell:
    if isinstance(cell, str):
        text = cell.strip()
        return text or None
    if isinstance(cell, bool):
        return str(cell)
    return cell


def _header(cells: tuple[Cell, ...], name: str) -> tuple[str, ...]:
    names = [str(cell) if cell is not None else "" for cell in cells]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise ImportRefused(f"{name}: the first row must name the columns")
    if len(names) > COLUMNS_MAX:
        raise ImportRefused(f"{name} has {len(names)} columns, more than {COLUMNS_MAX}")
    return tuple(names)

