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
from pathlib import Path

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from node.errors import ErrorCode, NodeError

DATABASE_RETRY_AFTER_S = 5  # a restarted PostgreSQL answers again within seconds
STORAGE_RETRY_AFTER_S = 60  # space comes back when an operator frees it
# Readiness says "not ready" below this much free space in the data folder: enough for the
# write-ahead log to be checkpointed and a few batches to commit.
FREE_BYTES_MIN = 64 * 1024 * 1024
SQLITE_FULL = "database or disk is full"
PG_DISK_FULL = "53100"  # SQLSTATE disk_full
NO_SPACE = "No space left on device"
DRIVER_MODULES = frozenset({"sqlite3", "psycopg", "psycopg2"})


class DatabaseUnavailable(NodeError):
    def __init__(self, detail: str) -> None:
        super().__init__(ErrorCode.DATABASE_UNAVAILABLE, detail)
        self.retry_after_s = DATABASE_RETRY_AFTER_S


class StorageFull(NodeError):
    def __init__(self, detail: str) -> None:
        super().__init__(ErrorCode.STORAGE_FULL, detail)
        self.retry_after_s = STORAGE_RETRY_AFTER_S


def _full(exc: BaseException) -> bool:
    original = getattr(exc, "orig", None)
    code = getattr(original, "pgcode", None) or getattr(original, "sqlstate", None)
    return code == PG_DISK_FULL or SQLITE_FULL in str(exc) or NO_SPACE in str(exc)


def _raw_driver_error(exc: BaseException, *names: str) -> bool:
    """A DB-API driver's own error of one of these class names, not wrapped by SQLAlchemy (a
    commit the driver runs itself raises it as it is)."""
    return (type(exc).__module__.split(".")[0] in DRIVER_MODULES
            and type(exc).__name__ in names)


def storage_fault(exc: BaseException) -> NodeError | None:
    """The client's answer for a database or storage failure; None for anything else (a bug,
    which stays a 500 with its traceback in the log)."""
    driver = isinstance(exc, DBAPIError) or _raw_driver_error(exc, "OperationalError")
    if driver and _full(exc):
        return StorageFull("the node's storage is full; nothing was written. An operator must "
                           "free space; try again later")
    lost = isinstance(exc, DBAPIError) and exc.connection_invalidated
    if (lost or isinstance(exc, (OperationalError, InterfaceError, DisconnectionError))
            or _raw_driver_error(exc, "OperationalError", "InterfaceError")):
        return DatabaseUnavailable("the node's database does not answer now; nothing was "
                                   "written. Try again shortly")
    return None


def disk_low(folder: Path, *, free_min: int = FREE_BYTES_MIN) -> StorageFull | None:
    """StorageFull when the folder's file system has less than `free_min` bytes free."""
    free = shutil.disk_usage(folder).free
    if free >= free_min:
        return None
    return StorageFull(f"{free // (1024 * 1024)} MiB free in {folder}, below the "
                       f"{free_min // (1024 * 1024)} MiB a node needs to write")
