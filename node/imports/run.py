"""One import, start to end: read the file, check every row, then (unless a dry run) write
the new rows chunk by chunk and sign a receipt.

    check(node, kind, path, programme)            the dry run: every error, nothing written
    run_import(node, kind, path, programme, ...)  refuses the file if any row is wrong;
                                                   else imports it and returns the receipt
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.access import Principal
from node.imports import receipt, store
from node.imports.columns import Context, Kind, Row, category_names, parse_rows
from node.imports.sheet import ROWS_MAX, ImportRefused, RowError, Sheet, read_sheet
from node.runtime import Node
from protocol.credit import CreditClass

PROGRAMME_CHARS_MAX = 64
_PROGRAMME = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")


@dataclass(frozen=True)
class Checked:
    """A file checked against the node: its rows sorted into new and already there, and every
    error by row and column (empty: the file may be imported)."""

    sheet: Sheet
    target: store.Target
    new: list[Row]
    known: list[Row]
    errors: list[RowError]


@dataclass(frozen=True)
class Imported:
    checked: Checked
    written: int
    receipt: dict[str, Any]


def programme_of(node: Node, programme: str | None) -> str:
    """The programme the rows' source ids belong to: given, or the node policy's programme.
    Source ids are unique within one programme and kind, whatever file they come in."""
    name = programme if programme is not None else node.timebank.policy.programme
    if not _PROGRAMME.match(name):
        raise ImportRefused(f"programme {name!r}: 1 to {PROGRAMME_CHARS_MAX} characters, no "
                            "control characters (pass --programme)")
    return name


def _context(node: Node) -> Context:
    policy = node.timebank.policy
    offset = dt.timedelta(minutes=policy.service.utc_offset_minutes)
    now = dt.datetime.fromtimestamp(node.clock.now_ms() / 1000, dt.UTC) + offset
    return Context(today=now.date(), categories=category_names(policy.categories))


def check(node: Node, kind: Kind, path: Path, *, programme: str | None,
          principal: Principal, rows_max: int = ROWS_MAX) -> Checked:
    """Read and check every row; write nothing. A file of more than `rows_max` rows is
    refused as its reading reaches the limit (SheetTooLong)."""
    if kind is Kind.RECORDS and not node.timebank.policy.allows(CreditClass.EARNED):
        raise ImportRefused("this node's policy does not issue earned hours (credit.classes): "
                            "historical records cannot be imported")
    sheet = read_sheet(path, rows_max=rows_max)
    target = store.Target(kind, programme_of(node, programme), principal, sheet.name,
                          balance_cap_minutes=node.timebank.policy.caps.balance_minutes)
    rows, errors = parse_rows(kind, sheet, _context(node))
    with node.db.read() as conn:
        classified = store.classify(conn, target, rows)
    errors = sorted([*errors, *classified.errors], key=lambda e: (e.row, e.column))
    return Checked(sheet, target, classified.new, classified.known, errors)


def run_import(node: Node, kind: Kind, path: Path, *, programme: str | None,
               principal: Principal,
               progress: Callable[[int], None] = lambda done: None,
               started: Callable[[Checked], None] = lambda checked: None,
               rows_max: int = ROWS_MAX) -> Imported:
    """Check, then import every new row and sign the receipt. ImportRefused (nothing written)
    when any row is wrong. `started` hears the checked file before the first write;
    `progress` the rows handled after each chunk."""
    checked = check(node, kind, path, programme=programme, principal=principal,
                    rows_max=rows_max)
    if checked.errors:
        raise ImportRefused(f"{checked.sheet.name}: {len(checked.errors)} errors; nothing was "
                            "imported (see them with --dry-run)", checked.errors)
    started(checked)
    done = store.write(node, checked.target, checked.new, progress)
    refused = len(done.refused)
    counts = receipt.Counts(imported=done.rows,
                            already_there=len(checked.new) + len(checked.known) - done.rows
                            - refused,
                            imported_minutes=done.minutes, refused=done.refused)
    document = receipt.build(checked.sheet, kind=kind, programme=checked.target.programme,
                             node_id=node.config.node_id, issued_at_ms=node.clock.now_ms(),
                             counts=counts, key=node.signer.key())
    return Imported(checked, done.rows, document)
