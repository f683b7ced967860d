"""What the import page shows of a checked file, in the reader's language: the counts, the
minutes in 小时/分, every error by row and column in words, and the rows that did not change.

The words come from the service's stable problem word (node/imports/columns.py, store.py); the
few figures a sentence needs (the row a value repeats, the file a source id came from) are read
from the service's detail, whose wording tests/node/console/test_import_page.py pins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from node.console import i18n
from node.imports.columns import (
    COLUMNS,
    DOCUMENT_CHARS_MAX,
    NAME_CHARS_MAX,
    SOURCE_ID_CHARS_MAX,
    Kind,
    Row,
)
from node.imports.run import Checked
from node.imports.sheet import COLUMNS_MAX, ImportRefused, RowError
from node.runtime import Node

# A file with more errors than this is mostly wrong: the first ones show what to fix.
ERRORS_SHOWN_MAX = 200
KNOWN_SHOWN_MAX = 100
_CHARS_MAX = {"source_id": SOURCE_ID_CHARS_MAX, "local_id": 64, "station": 64,
              "display_name": NAME_CHARS_MAX, "document": DOCUMENT_CHARS_MAX}
_ROW = re.compile(r"row (\d+)")
_CONFLICT = re.compile(r"\(row (\d+) of (.*)\) with different content")
# The service's refusals of a whole file, by a phrase of their detail, and the page's words.
_REFUSALS = (
    ("not a readable .xlsx", "imports.refused.xlsx"),
    ("neither UTF-8 nor GB 18030", "imports.refused.encoding"),
    ("the CSV cannot be read", "imports.refused.csv"),
    (" is empty", "imports.refused.empty"),
    ("must name the columns", "imports.refused.empty"),
    ("columns, more than", "imports.refused.columns"),
    ("programme ", "imports.refused.programme"),
    ("does not issue earned hours", "imports.refused.no_earned"),
)


@dataclass(frozen=True)
class ErrorLine:
    row: int
    column: str
    problem: str  # in words
    code: str  # the service's stable word, for the page's data attribute and tests


def canonical_column(kind: Kind, column: str) -> str:
    """The column's own name for a heading as the file spells it (会员编号 → local_id)."""
    by_heading = {c.heading: c.name for c in COLUMNS[kind]}
    return by_heading.get(column, column.lower())


def _shown_column(lang: str, kind: Kind, column: str) -> str:
    if not column:
        return i18n.translate(lang, "imports.whole_row")
    headings = {c.name: c.heading for c in COLUMNS[kind]}
    heading = headings.get(column)
    if lang == "zh" and heading is not None:
        return f"{column}（{heading}）"
    return column


def _values(node: Node, error: RowError, name: str) -> dict[str, Any]:
    conflict = _CONFLICT.search(error.message)
    found = conflict or _ROW.search(error.message)
    headings = {c.name: c.heading for kind in Kind for c in COLUMNS[kind]}
    return {
        "row": found.group(1) if found else "?",
        "file": conflict.group(2) if conflict else "",
        "count": _CHARS_MAX.get(name, 0),
        "heading": headings.get(name, name),
        "problem": error.problem,
        "names": "、".join(category.name for category in node.timebank.policy.categories),
    }


def problem_text(node: Node, lang: str, kind: Kind, error: RowError) -> str:
    """One error in words: `problem.<word>.<column>`, else `problem.<word>`, else the sentence
    of a node error code (a write refused at import time), else a sentence naming the word."""
    catalogue = i18n.CATALOGUE[lang]
    name = canonical_column(kind, error.column)
    values = _values(node, error, name)
    for key in (f"problem.{error.problem}.{name}", f"problem.{error.problem}"):
        if key in catalogue:
            return catalogue[key].format(**values)
    if f"error.{error.problem}" in catalogue:
        return catalogue[f"error.{error.problem}"]
    return catalogue["problem.other"].format(**values)


def error_lines(node: Node, lang: str, kind: Kind, errors: list[RowError]) -> list[ErrorLine]:
    return [ErrorLine(error.row, _shown_column(lang, kind, error.column),
                      problem_text(node, lang, kind, error), error.problem)
            for error in errors[:ERRORS_SHOWN_MAX]]


def refusal_key(refused: ImportRefused) -> tuple[str, dict[str, Any]]:
    """The page's words for a file refused as a whole (unreadable, no header, ...)."""
    for phrase, key in _REFUSALS:
        if phrase in refused.detail:
            return key, {"count": COLUMNS_MAX}
    return "imports.refused.other", {}


def _minutes(rows: list[Row]) -> int:
    return sum(int(row.values.get("minutes", 0)) for row in rows)


def checked_view(node: Node, lang: str, checked: Checked) -> dict[str, Any]:
    """The dry run's result as the template shows it."""
    kind = checked.target.kind
    return {
        "file": checked.sheet.name, "kind": str(kind), "programme": checked.target.programme,
        "read": len(checked.sheet.rows), "new": len(checked.new), "known": len(checked.known),
        "error_rows": len({error.row for error in checked.errors}),
        "new_minutes": _minutes(checked.new), "known_minutes": _minutes(checked.known),
        "records": kind is Kind.RECORDS,
        "errors": error_lines(node, lang, kind, checked.errors),
        "errors_more": max(0, len(checked.errors) - ERRORS_SHOWN_MAX),
        "unchanged": [(row.number, row.source_id) for row in checked.known[:KNOWN_SHOWN_MAX]],
        "unchanged_more": max(0, len(checked.known) - KNOWN_SHOWN_MAX),
    }


def refused_view(node: Node, lang: str, kind: Kind, file: str,
                 errors: list[RowError]) -> dict[str, Any]:
    """An import refused for rows in error: the errors (no counts: the file was not sorted)."""
    return {
        "file": file, "kind": str(kind), "programme": "", "read": None, "new": None,
        "known": None, "error_rows": len({error.row for error in errors}),
        "new_minutes": 0, "known_minutes": 0, "records": kind is Kind.RECORDS,
        "errors": error_lines(node, lang, kind, errors),
        "errors_more": max(0, len(errors) - ERRORS_SHOWN_MAX),
        "unchanged": [], "unchanged_more": 0,
    }
