"""The access log for an audit (docs/records.md, "Personal data and members' rights"):

    hourbridge access-log export --data DIR [--since DATE] [--until DATE] [--member ID]
                                 [--format jsonl|csv] [--out FILE]
    hourbridge access-log verify --data DIR
    hourbridge access-log prune --data DIR

`export` writes the rows (who, which member, what, which fields, when, allowed or refused, and
each row's hashes, so an auditor can check the chain) with since <= time < until, in UTC.
`verify` recomputes the whole chain from its anchor: exit 0 verified, 1 not (every problem
printed). `prune` removes rows older than 180 days, keeping the chain verifiable. They open the
database directly, read-only but for `prune`, and may run beside a serving node.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer

from node.cli.output import err
from node.clock import SystemClock
from node.config import load_config
from node.datadir import PRIVATE_FILE_MODE
from node.db.engine import Database
from node.db.migrate import require_migrated
from node.privacy import access_log

access_log_app = typer.Typer(help="Export, verify and prune the access log of personal data.",
                             no_args_is_help=True)
DataOpt = Annotated[
    Path, typer.Option("--data", envvar="HOURBRIDGE_DATA", help="the node's data folder")
]
COLUMNS = ("seq", "member_local_id", "actor", "action", "fields", "result", "at_ms", "at",
           "prev_hash", "row_hash")


class Format(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


def parse_time_ms(text: str) -> int:
    """A date (2026-06-01) or an ISO time (2026-06-01T08:00:00+08:00); UTC when no zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD) or an ISO time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


@contextmanager
def _database(data: Path) -> Iterator[Database]:
    db = Database(load_config(data).existing_database_url())
    try:
        require_migrated(db)
        yield db
    finally:
        db.dispose()


def _iso(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


def write_rows(out: TextIO, rows: Iterator[access_log.LogRow], fmt: Format) -> int:
    count = 0
    writer = csv.writer(out) if fmt is Format.CSV else None
    if writer is not None:
        writer.writerow(COLUMNS)
    for row in rows:
        record = {**row.as_dict(), "at": _iso(row.at_ms)}
        if writer is not None:
            writer.writerow([record[name] for name in COLUMNS])
        else:
            out.write(json.dumps({name: record[name] for name in COLUMNS},
                                 ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


@access_log_app.command("export")
def export_cmd(
    data: DataOpt,
    since: Annotated[str | None, typer.Option(help="from this date or time (UTC)")] = None,
    until: Annotated[str | None, typer.Option(help="before this date or time (UTC)")] = None,
    member: Annotated[str | None, typer.Option(help="only rows about this local id")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="jsonl or csv")] = Format.JSONL,
    out_file: Annotated[Path | None, typer.Option("--out", help="file (default: stdout)")]
    = None,
) -> None:
    """Export the access log's rows for an audit."""
    since_ms = parse_time_ms(since) if since else None
    until_ms = parse_time_ms(until) if until else None
    with _database(data) as db, db.read() as conn:
        rows = access_log.rows(conn, since_ms=since_ms, until_ms=until_ms,
                               member_local_id=member)
        if out_file is None:
            count = write_rows(sys.stdout, rows, fmt)
        else:
            # who read whose data: private like the database it came from (mode 0600)
            descriptor = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                                 PRIVATE_FILE_MODE)
            os.fchmod(descriptor, PRIVATE_FILE_MODE)  # also when the file was there before
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
                count = write_rows(out, rows, fmt)
    err.print(f"exported {count} row(s)", highlight=False)


@access_log_app.command("verify")
def verify_cmd(data: DataOpt) -> None:
    """Recompute the access log's hash chain from its anchor."""
    with _database(data) as db, db.read() as conn:
        verified = access_log.verify(conn)
    if not verified.ok:
        err.print("[red]NOT VERIFIED[/]: the access log was changed", highlight=False)
        for problem in verified.problems:
            err.print(f"  - {problem}", highlight=False, markup=False)
        raise typer.Exit(1)
    typer.echo(f"verified: {verified.rows} row(s) after anchor {verified.anchor_seq}; "
               f"head {verified.last_seq} {verified.last_hash}")


@access_log_app.command("prune")
def prune_cmd(data: DataOpt) -> None:
    """Remove rows older than 180 days; the chain stays verifiable from its new anchor."""
    with _database(data) as db, db.write() as conn:
        removed = access_log.prune(conn, now_ms=SystemClock().now_ms())
    typer.echo(f"removed {removed} row(s) older than {access_log.RETENTION_DAYS} days")
