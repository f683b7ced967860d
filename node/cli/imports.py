"""Bulk import from the command line (docs/records.md, "Importing"):

    hourbridge import members FILE --data DIR [--dry-run] [--programme NAME] [--receipt PATH]
    hourbridge import records FILE --data DIR [--dry-run] [--programme NAME] [--receipt PATH]
    hourbridge verify-import-receipt RECEIPT --directory FILE [--spreadsheet FILE] [--anchor KEY]

FILE is a .csv or an .xlsx workbook (its first sheet). A dry run prints every error by row and
column and writes nothing. An import refuses the whole file if any row is wrong, else imports
the new rows with a progress bar on stderr and writes a signed receipt. Exit codes: 0 done (or
a clean dry run), 1 rows in error or a receipt that does not verify, 2 a usage error (no such
file, an unreadable workbook, no node).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from node.access import Principal, Role
from node.cli.output import err, out
from node.cli.reports import AnchorOpt, DirectoryOpt, _directory
from node.config import load_config
from node.errors import ConfigError
from node.imports import receipt
from node.imports.columns import Kind
from node.imports.run import Checked, Imported, check, run_import
from node.imports.sheet import ImportRefused, RowError
from node.runtime import Node, open_node

import_app = typer.Typer(help="Bulk import of a programme's members and service records "
                         "(.csv or .xlsx).", no_args_is_help=True)
OPERATOR = Principal(Role.ADMIN, "cli")
# A file with more errors than this is mostly wrong: the first ones show what to fix.
ERRORS_SHOWN_MAX = 500

FileArg = Annotated[Path, typer.Argument(help="the .csv or .xlsx file")]
DataOpt = Annotated[
    Path, typer.Option("--data", envvar="HOURBRIDGE_DATA", help="the node's data folder")
]
DryRunOpt = Annotated[bool, typer.Option(
    "--dry-run", help="check every row and print the errors; write nothing")]
ProgrammeOpt = Annotated[str | None, typer.Option(
    help="the programme the source ids belong to (default: the node policy's programme)")]
ReceiptOpt = Annotated[Path | None, typer.Option(
    "--receipt",
    help="where to write the signed receipt (default: beside the file, named with the time)")]


def _errors_table(errors: list[RowError]) -> None:
    table = Table("row", "column", "problem", "detail")
    for error in errors[:ERRORS_SHOWN_MAX]:
        table.add_row(str(error.row), error.column, error.problem, error.message)
    out.print(table)
    if len(errors) > ERRORS_SHOWN_MAX:
        out.print(f"… and {len(errors) - ERRORS_SHOWN_MAX} more errors", highlight=False)


def _dry_run(node: Node, kind: Kind, file: Path, programme: str | None) -> None:
    checked = check(node, kind, file, programme=programme, principal=OPERATOR)
    summary = (f"{checked.sheet.name}: {len(checked.sheet.rows)} rows read, "
               f"{len(checked.new)} to import, {len(checked.known)} already there, "
               f"{len(checked.errors)} errors (programme {checked.target.programme})")
    if checked.errors:
        _errors_table(checked.errors)
        out.print(f"{summary}; nothing was written", highlight=False, markup=False)
        raise typer.Exit(1)
    out.print(f"{summary}; dry run, nothing was written", highlight=False, markup=False)


def _receipt_folder(file: Path, receipt_path: Path | None) -> None:
    """Refuse before importing, not after, when the receipt could not be written."""
    folder = (receipt_path or file).resolve().parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise ConfigError(f"cannot write the receipt into {folder}: pass --receipt PATH")


def _import(node: Node, kind: Kind, file: Path, programme: str | None,
            receipt_path: Path | None) -> Imported:
    _receipt_folder(file, receipt_path)
    progress = Progress(TextColumn("importing {task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=False)
    task = progress.add_task(file.name, total=None)

    def started(checked: Checked) -> None:
        progress.reset(task, total=len(checked.new))
        progress.start()

    try:
        done = run_import(node, kind, file, programme=programme, principal=OPERATOR,
                          started=started,
                          progress=lambda rows: progress.advance(task, rows))
    finally:
        progress.stop()
    path = receipt_path or file.with_name(
        f"{file.name}.receipt-{done.receipt['issued_at_ms']}.json")
    receipt.write(path, done.receipt)
    _warn_if_unlisted(node, done.receipt)
    rows = done.receipt["rows"]
    out.print(f"{file.name}: {rows['read']} rows read, {rows['imported']} imported, "
              f"{rows['already_there']} already there"
              + (f", {rows['refused']} refused as over the balance cap by the time they were "
                 "written (rows " + ", ".join(str(e["row"]) for e in done.receipt["row_errors"])
                 + ")" if rows.get("refused") else "")
              + (f", {done.receipt['imported_minutes']} minutes granted as earned hours"
                 if kind is Kind.RECORDS else "")
              + f"; signed receipt {path}", highlight=False, markup=False)
    return done


def _warn_if_unlisted(node: Node, document: dict[str, Any]) -> None:
    """An auditor checks the receipt against the federation directory: a key the directory
    does not list as valid when the receipt was signed fails there (standard §5.2)."""
    directory = node.federation.current()
    (key_id,) = document["signatures"][node.config.node_id]
    if directory is None:
        err.print(f"note: this node holds no federation directory; the receipt verifies against "
                  f"a directory that lists key {key_id} as valid at {document['issued_at_ms']}",
                  highlight=False, markup=False)
        return
    entry = directory.node(node.config.node_id)
    record = entry.key(key_id) if entry is not None else None
    if record is None or not record.valid_at(document["issued_at_ms"]):
        err.print(f"warning: the directory this node holds does not list its key {key_id} as "
                  "valid now, so the receipt will not verify: have the node listed (hourbridge "
                  "directory add-node) before importing", highlight=False, markup=False)


def _command(kind: Kind, file: Path, data: Path, dry_run: bool, programme: str | None,
             receipt_path: Path | None) -> None:
    node = open_node(load_config(data))
    try:
        if dry_run:
            _dry_run(node, kind, file, programme)
        else:
            _import(node, kind, file, programme, receipt_path)
    except ImportRefused as exc:
        if not exc.errors:
            raise
        _errors_table(exc.errors)
        err.print(f"[red]not imported[/] {exc.detail}", highlight=False)
        raise typer.Exit(1) from exc
    finally:
        node.close()


@import_app.command("members")
def import_members(file: FileArg, data: DataOpt, dry_run: DryRunOpt = False,
                   programme: ProgrammeOpt = None, receipt_path: ReceiptOpt = None) -> None:
    """Register members: source_id, local_id, display_name, birth_year, station."""
    _command(Kind.MEMBERS, file, data, dry_run, programme, receipt_path)


@import_app.command("records")
def import_records(file: FileArg, data: DataOpt, dry_run: DryRunOpt = False,
                   programme: ProgrammeOpt = None, receipt_path: ReceiptOpt = None) -> None:
    """Historical service records as earned hours: source_id, local_id, minutes, date,
    category, document."""
    _command(Kind.RECORDS, file, data, dry_run, programme, receipt_path)


def verify_import_receipt_cmd(
    file: Annotated[Path, typer.Argument(help="the receipt (.json)")],
    directory_file: DirectoryOpt,
    spreadsheet: Annotated[Path | None, typer.Option(
        help="the imported file: its hash, rows and minutes are recomputed")] = None,
    anchor: AnchorOpt = None,
) -> None:
    """Verify an import receipt offline: its signature by the node, and, given the
    spreadsheet, the file's SHA-256, row count, minute total and first and last source id."""
    _, directory = _directory(directory_file, anchor)
    try:
        verified = receipt.verify_receipt(file, directory=directory, spreadsheet=spreadsheet)
    except receipt.ReceiptInvalid as exc:
        err.print(f"[red]NOT VERIFIED[/] {exc.path}:", highlight=False)
        for problem in exc.problems:
            err.print(f"  - {problem}", highlight=False, markup=False)
        raise typer.Exit(1) from exc
    out.print(f"verified: {verified.summary}", highlight=False, markup=False)
    if not anchor:
        keys = ", ".join(key.key_id for key in directory.authority_keys)
        err.print(f"warning: the directory was checked against its own authority key ({keys}), "
                  "not a pinned one: compare it with the authority's published key, or pass "
                  "--anchor", highlight=False, markup=False)
