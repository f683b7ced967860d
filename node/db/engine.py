"""Engines and transactions for SQLite (default) and PostgreSQL.

All ledger writes are serialised: `Database.write()` opens a transaction that holds the write
lock before any read happens (SQLite `BEGIN IMMEDIATE`; PostgreSQL `SELECT ... FOR UPDATE` on the
single `ledger_head` row). The hash chain needs a total order anyway, and reading balances only
after the lock is what makes concurrent transfers from one account unable to overdraw it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import Connection

from node.db.schema import ledger_head

log = logging.getLogger("hourbridge.db")
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_CACHE_KIB = 8 * 1024
PG_POOL_SIZE = 10
WAL_CHECKPOINT_INTERVAL_S = 1.0
# Past this size the background checkpoint waits for readers and restarts the log (below).
WAL_RESTART_BYTES = 64 * 1024 * 1024
CHECKPOINT_STOP_TIMEOUT_S = 10.0


def make_engine(url: str, *, background_checkpoints: bool = False) -> Engine:
    """The node's engine. `hide_parameters`: a database error's message never carries the
    statement's values (a member's name, a contact), so a log line of it holds no personal
    data."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, background_checkpoints=background_checkpoints)
    return create_engine(url, pool_size=PG_POOL_SIZE, max_overflow=10, pool_pre_ping=True,
                         hide_parameters=True)


def _sqlite_engine(url: str, *, background_checkpoints: bool) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=8,
        max_overflow=8,
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see `_on_begin`).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # A larger page cache than the default 2 MiB keeps the ledger's hot B-tree pages
        # (balances, head, index tops) in memory. Not much larger: every pooled connection has
        # its own, and an append-only journal keeps touching new pages, so at 64 MiB the caches
        # filled with cold pages and a node's memory grew for as long as the node ran
        # (docs/performance.md, "Sustained load and memory").
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        if background_checkpoints:
            cursor.execute("PRAGMA wal_autocheckpoint=0")  # WalCheckpointer does it instead
        # A log that was restarted is cut back to this size instead of keeping its high mark.
        cursor.execute(f"PRAGMA journal_size_limit={WAL_RESTART_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("hb_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class LongReads:
    """The snapshots open now (`Database.snapshot`: long reads off the writer, a settlement
    window's statement), and a lock a TRUNCATE checkpoint holds so that none opens while it
    runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._lock:
            self._open += 1
        try:
            yield
        finally:
            with self._lock:
                self._open -= 1

    @contextmanager
    def none_open(self) -> Iterator[bool]:
        """Whether no snapshot is open, none opening until the block ends."""
        with self._lock:
            yield self._open == 0


class WalCheckpointer:
    """Runs SQLite's WAL checkpoints in a thread of their own.

    By default SQLite checkpoints inside whichever commit takes the log past 1,000 pages: that
    commit copies the pages into the database file and fsyncs it. In a serving node that commit
    belongs to a batch of transfers, and everyone in the batch waits. Here a background thread
    checkpoints every `interval_s` instead (PASSIVE: it never blocks the writer), and sqlite3
    releases the GIL while it copies and fsyncs.

    A PASSIVE checkpoint cannot copy frames a reader may still need, and the log only starts
    over when one has copied everything; under steady load some reader always is, so the log
    (and the shared-memory index mapped into the process) would grow without end. When the log
    passes WAL_RESTART_BYTES the thread runs a TRUNCATE checkpoint instead: it waits for the
    readers of older snapshots (new writers wait meanwhile, for the length of short reads) and
    starts the log over at zero bytes.

    A TRUNCATE checkpoint holds off new writers while it waits for readers, for up to the busy
    timeout: behind a snapshot read of seconds (`LongReads`) that would stall every write. So
    while a snapshot is open the round stays PASSIVE and the log grows a little longer; the
    TRUNCATE runs at the first round with none open, and none opens while it runs.
    """

    def __init__(self, engine: Engine, *, interval_s: float,
                 long_reads: LongReads | None = None) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self.long_reads = long_reads or LongReads()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hourbridge-wal", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        """Every round, for as long as the node runs: a round that fails (a full disk, a file
        that cannot be written now) is logged when failures start and tried again next round,
        so the log is folded back as soon as space returns instead of growing for good."""
        failing = False
        while not self._stop.wait(self.interval_s):
            try:
                self.checkpoint()
            except Exception as exc:  # a checkpoint is retried, never the end of the thread
                if not failing:
                    log.error("WAL checkpoint failed, retrying every %.0f s: %s",
                              self.interval_s, exc)
                failing = True
                continue
            if failing:
                log.warning("WAL checkpoint works again")
            failing = False

    def checkpoint(self) -> str:
        """One round: PASSIVE, then TRUNCATE if the log is still past its limit. Returns the
        mode that ran last."""
        with self.engine.connect() as conn:
            _busy, frames, _copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
            page_size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
            if frames * page_size <= WAL_RESTART_BYTES:
                return "PASSIVE"
            with self.long_reads.none_open() as quiet:
                if not quiet:
                    return "PASSIVE"
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").all()
            return "TRUNCATE"

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=CHECKPOINT_STOP_TIMEOUT_S)


class Database:
    def __init__(self, url: str, *, background_checkpoints: bool = False) -> None:
        """`background_checkpoints`: for a long-running node on SQLite (see WalCheckpointer)."""
        self.url = url
        self.engine = make_engine(url, background_checkpoints=background_checkpoints)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.long_reads = LongReads()
        self._checkpointer = (
            WalCheckpointer(self.engine, interval_s=WAL_CHECKPOINT_INTERVAL_S,
                            long_reads=self.long_reads)
            if background_checkpoints and self.is_sqlite
            else None
        )
        # SQLite's own busy handler waits by sleeping in growing steps (up to 100 ms), which
        # wrecks throughput when threads of one process queue for the write lock. Writers in this
        # process queue on a mutex instead; BEGIN IMMEDIATE still guards against other processes.
        self._write_mutex: AbstractContextManager[object] = (
            threading.Lock() if self.is_sqlite else nullcontext()
        )

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read transaction whose every statement sees the same committed state: SQLite's
        deferred transaction already does (in WAL mode it holds one snapshot from its first
        read); PostgreSQL needs REPEATABLE READ, which its default READ COMMITTED is not. For
        work that reads a lot off the writer (a settlement window's statement)."""
        with self.long_reads.reading(), self.engine.connect() as conn:
            if not self.is_sqlite:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that holds the node's write lock from its first statement to commit."""
        with self._write_mutex, self.engine.connect() as conn:
            conn.execution_options(hb_write=True)
            with conn.begin():
                if not self.is_sqlite:
                    conn.execute(select(ledger_head.c.id).with_for_update()).all()
                yield conn

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.engine.dispose()
