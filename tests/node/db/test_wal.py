"""The serving node's background WAL checkpoints keep SQLite's log bounded under steady load."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from node.db import engine as engine_module
from node.db.engine import Database, WalCheckpointer


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setattr(engine_module, "WAL_RESTART_BYTES", 64 * 1024)
    database = Database(f"sqlite:///{tmp_path / 'wal.db'}", background_checkpoints=True)
    assert database._checkpointer is not None
    database._checkpointer.stop()  # this test runs the rounds itself
    with database.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE rows (id INTEGER PRIMARY KEY, data TEXT)")
    return database


def write(db: Database, count: int) -> None:
    for i in range(count):
        with db.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO rows (data) VALUES (?)", ("x" * 1000 + str(i),))


def wal_bytes(tmp_path: Path) -> int:
    return os.path.getsize(tmp_path / "wal.db-wal")


def test_a_log_past_its_limit_is_truncated_once_readers_let_go(db: Database,
                                                               tmp_path: Path) -> None:
    rounds = WalCheckpointer(db.engine, interval_s=3600)
    try:
        reader = db.engine.connect()
        snapshot = reader.begin()
        reader.exec_driver_sql("SELECT count(*) FROM rows").one()  # holds an old snapshot
        write(db, 200)
        assert wal_bytes(tmp_path) > 64 * 1024
        # A PASSIVE round cannot copy what the reader may need: the log keeps growing.
        with db.engine.connect() as conn:
            _, frames, copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        assert copied < frames
        snapshot.rollback()
        reader.close()

        assert rounds.checkpoint() == "TRUNCATE"
        assert wal_bytes(tmp_path) == 0
        write(db, 3)
        assert rounds.checkpoint() == "PASSIVE"  # small again: no waiting for readers
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM rows").scalar_one() == 203
    finally:
        rounds.stop()
        db.dispose()


def test_a_long_snapshot_read_keeps_the_checkpoint_passive(db: Database,
                                                           tmp_path: Path) -> None:
    """A TRUNCATE checkpoint would hold off writers while it waits for a snapshot read of
    seconds (a settlement window's statement): while one is open the round stays PASSIVE,
    and the log is truncated at the first round after it."""
    rounds = WalCheckpointer(db.engine, interval_s=3600, long_reads=db.long_reads)
    try:
        with db.snapshot() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM rows").one()  # holds an old snapshot
            write(db, 200)
            assert wal_bytes(tmp_path) > 64 * 1024
            assert rounds.checkpoint() == "PASSIVE"  # at once, not after the busy timeout
        assert rounds.checkpoint() == "TRUNCATE"
        assert wal_bytes(tmp_path) == 0
    finally:
        rounds.stop()
        db.dispose()
