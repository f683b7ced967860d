"""The database's bad days, told apart from bugs: a database that does not answer (PostgreSQL
restarted or killed, its connections cut, SQLite's lock held past the busy timeout) and storage
that is full (SQLite's "database or disk is full", PostgreSQL's disk_full). Both end by
themselves or by an operator's hand, and nothing was written: every write is one transaction,
rolled back whole. So a client is told to come back (503 database_unavailable, 507 storage_full,
each with Retry-After), never given a 500 internal_error (docs/operations.md, "Bad days").

`storage_fault` is the one place that reads the driver's errors; node/api/problems.py and the
readiness check ask it. `disk_low` is the readiness check's look at the data folder's free space.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlalchemy.exc import DBAPIError, DisconnectionError

from node.errors import ErrorCode, NodeError

DATABASE_RETRY_AFTER_S = 5  # a restarted PostgreSQL answers again within seconds
STORAGE_RETRY_AFTER_S = 60  # space comes back when an operator frees it
# Readiness says "not ready" below this much free space in the data folder: enough for the
# write-ahead log to be checkpointed and a few batches to commit.
FREE_BYTES_MIN = 64 * 1024 * 1024
# Decided from the driver's own error code, never from the message (which holds the statement's
# parameters: a member's memo could say "disk full"). Anything else is a bug: a 500 with its
# traceback, never hidden as a bad day.
SQLITE_FULL_CODES = frozenset({"SQLITE_FULL"})
SQLITE_UNAVAILABLE_CODES = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN",
                                      "SQLITE_IOERR", "SQLITE_PROTOCOL", "SQLITE_NOTADB"})
PG_FULL_STATES = frozenset({"53100"})  # disk_full
# connection exceptions (08), insufficient resources (53), admin/crash shutdown and cannot
# connect now (57P01-57P03)
PG_UNAVAILABLE_CLASSES = ("08", "53", "57P01", "57P02", "57P03")
DRIVER_MODULES = frozenset({"sqlite3", "psycopg", "psycopg2"})
# The errors the API answers with `storage_fault` beside the other coded errors (its own
# handler; anything storage_fault does not recognise still ends as a 500).
DATABASE_ERRORS: tuple[type[Exception], ...] = (DBAPIError, DisconnectionError, sqlite3.Error)


class DatabaseUnavailable(NodeError):
    def __init__(self, detail: str) -> None:
        super().__init__(ErrorCode.DATABASE_UNAVAILABLE, detail)
        self.retry_after_s = DATABASE_RETRY_AFTER_S


class StorageFull(NodeError):
    def __init__(self, detail: str) -> None:
        super().__init__(ErrorCode.STORAGE_FULL, detail)
        self.retry_after_s = STORAGE_RETRY_AFTER_S


def _driver_error(exc: BaseException) -> BaseException | None:
    """The DB-API driver's own exception: SQLAlchemy's wrapped `orig`, or the driver's error
    raised as it is (a commit the driver runs itself)."""
    if isinstance(exc, DBAPIError):
        return exc.orig
    return exc if type(exc).__module__.split(".")[0] in DRIVER_MODULES else None


def _kind(original: BaseException) -> str | None:
    """"full", "unavailable" or None, from the driver's error code alone."""
    name = getattr(original, "sqlite_errorname", None)
    if isinstance(name, str):
        base = "_".join(name.split("_")[:2])  # SQLITE_IOERR_WRITE -> SQLITE_IOERR
        if name in SQLITE_FULL_CODES:
            return "full"
        return "unavailable" if base in SQLITE_UNAVAILABLE_CODES else None
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if isinstance(state, str):
        if state in PG_FULL_STATES:
            return "full"
        return "unavailable" if state.startswith(PG_UNAVAILABLE_CLASSES) else None
    return None


def storage_fault(exc: BaseException) -> NodeError | None:
    """The client's answer for a database or storage failure; None for anything else (a bug,
    which stays a 500 with its traceback in the log)."""
    original = _driver_error(exc)
    kind = None if original is None else _kind(original)
    if kind == "full":
        return StorageFull("the node's storage is full; nothing was written. An operator must "
                           "free space; try again later")
    lost = isinstance(exc, DBAPIError) and exc.connection_invalidated
    if kind == "unavailable" or lost or isinstance(exc, DisconnectionError):
        return DatabaseUnavailable("the node's database does not answer now; nothing was "
                                   "written. Try again shortly")
    # psycopg raises OperationalError without a SQLSTATE when it cannot connect at all
    if (original is not None and type(original).__name__ == "OperationalError"
            and getattr(original, "sqlite_errorname", None) is None
            and not (getattr(original, "sqlstate", None) or getattr(original, "pgcode", None))):
        return DatabaseUnavailable("the node's database cannot be reached; nothing was "
                                   "written. Try again shortly")
    return None


def disk_low(folder: Path, *, free_min: int = FREE_BYTES_MIN) -> StorageFull | None:
    """StorageFull when the folder's file system has less than `free_min` bytes free."""
    free = shutil.disk_usage(folder).free
    if free >= free_min:
        return None
    return StorageFull(f"{free // (1024 * 1024)} MiB free in {folder}, below the "
                       f"{free_min // (1024 * 1024)} MiB a node needs to write")
