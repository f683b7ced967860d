"""The database's bad days (node/db/faults.py), with a real database each time: a SQLite file
that cannot grow (SQLite's own "database or disk is full", made with `max_page_count`), a
PostgreSQL database that refuses every connection, and the WAL checkpoint thread after a failed
round. A client gets 507 storage_full or 503 database_unavailable with Retry-After, never a
500; nothing is half-written; the node serves again without a restart."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from node.api.app import create_app
from node.api.routes import health
from node.db.engine import WalCheckpointer
from node.db.faults import (
    DATABASE_RETRY_AFTER_S,
    STORAGE_RETRY_AFTER_S,
    DatabaseUnavailable,
    StorageFull,
    disk_low,
    storage_fault,
)
from node.runtime import Node
from tests.conftest import NodeFactory
from tests.factories import add_members, grant
from tests.node.api.support import db_digest
from tests.support import REQUIRE_PG_ENV, pg_url

TRANSFERS_TRIED = 400


def client(node: Node) -> TestClient:
    token = node.tokens.create(role="admin", label="admin").token
    return TestClient(create_app(node), raise_server_exceptions=False,
                      headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def sqlite_node(make_node: NodeFactory) -> Iterator[Node]:
    node = make_node("sh-pudong")
    add_members(node, "alice", "bob")
    grant(node, "alice", 10_000)
    yield node


def cap_file_growth(node: Node) -> Any:
    """Every new connection may not grow the database file past its size now."""
    with node.db.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")
    sa.event.listen(node.db.engine, "connect", on_connect)
    node.db.engine.dispose()  # the pooled connections reopen under the cap
    return on_connect


def test_a_full_sqlite_file_is_507_with_retry_after_and_writes_nothing(
        sqlite_node: Node) -> None:
    http = client(sqlite_node)
    on_connect = cap_file_growth(sqlite_node)
    refused = None
    for i in range(TRANSFERS_TRIED):
        before = db_digest(sqlite_node)
        answer = http.post("/api/v1/transfers", json={"id": f"t-{i}", "from": "alice",
                                                       "to": "bob", "amount_minutes": 1})
        if answer.status_code != 201:
            refused = answer
            break
    assert refused is not None, f"{TRANSFERS_TRIED} transfers fitted: the cap did not bind"
    assert refused.status_code == 507, refused.text
    assert refused.json()["code"] == "storage_full"
    assert refused.headers["retry-after"] == str(STORAGE_RETRY_AFTER_S)
    assert db_digest(sqlite_node) == before  # the refused transfer left no trace
    sa.event.remove(sqlite_node.db.engine, "connect", on_connect)
    sqlite_node.db.engine.dispose()  # space is back
    again = http.post("/api/v1/transfers", json={"id": f"t-{i}", "from": "alice", "to": "bob",
                                                 "amount_minutes": 1})
    assert again.status_code == 201, again.text
    verified = sqlite_node.ledger_admin.verify()
    assert verified.ok and verified.entries > i, verified.problems  # every committed one whole
    assert http.get("/api/v1/members/bob/balance").json()["available_minutes"] == i + 1


def test_readiness_says_storage_full_when_the_data_folder_is_nearly_full(
        sqlite_node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    http = client(sqlite_node)
    assert http.get("/readyz").status_code == 200
    monkeypatch.setattr(health, "disk_low", partial(disk_low, free_min=1 << 62))
    answer = http.get("/readyz")
    assert answer.status_code == 507 and answer.json()["code"] == "storage_full", answer.text
    assert isinstance(disk_low(sqlite_node.config.data_path, free_min=1 << 62), StorageFull)
    assert disk_low(sqlite_node.config.data_path, free_min=1) is None


def test_other_errors_stay_bugs() -> None:
    assert storage_fault(ValueError("a bug")) is None


@pytest.mark.postgres
def test_a_postgresql_that_refuses_connections_is_503_then_serves_again(
        make_node: NodeFactory) -> None:
    if pg_url() is None:
        if os.environ.get(REQUIRE_PG_ENV) == "1":
            pytest.fail("PostgreSQL tests are required but HOURBRIDGE_TEST_PG_URL is not set")
        pytest.skip("set HOURBRIDGE_TEST_PG_URL to run the outage of a PostgreSQL database")
    node = make_node("sh-pudong", backend="postgresql")
    add_members(node, "alice", "bob")
    grant(node, "alice", 600)
    http = client(node)
    name = node.db.engine.url.database
    admin = sa.create_engine(node.db.engine.url.set(database="postgres"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # the outage: no connection to her database is allowed
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
    try:
        for path in ("/api/v1/members/alice/balance", "/readyz"):
            answer = http.get(path)
            assert answer.status_code == 503, answer.text
            assert answer.json()["code"] == "database_unavailable"
            assert answer.headers["retry-after"] == str(DATABASE_RETRY_AFTER_S)
        moved = http.post("/api/v1/transfers", json={"id": "t-out", "from": "alice",
                                                      "to": "bob", "amount_minutes": 60})
        assert moved.status_code == 503 and moved.json()["code"] == "database_unavailable"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.dispose()
    moved = http.post("/api/v1/transfers", json={"id": "t-out", "from": "alice", "to": "bob",
                                                  "amount_minutes": 60})
    assert moved.status_code == 201, moved.text  # no restart: the pool reconnects
    assert http.get("/api/v1/members/bob/balance").json()["available_minutes"] == 60


def test_the_checkpoint_thread_outlives_a_failed_round(sqlite_node: Node) -> None:
    rounds: list[str] = []
    done = threading.Event()

    class Flaky(WalCheckpointer):
        def checkpoint(self) -> str:
            rounds.append("tried")
            if len(rounds) == 1:
                raise sa.exc.OperationalError("PRAGMA wal_checkpoint", {},
                                              Exception("database or disk is full"))
            done.set()
            return super().checkpoint()

    flaky = Flaky(sqlite_node.db.engine, interval_s=0.01)
    try:
        assert done.wait(timeout=10), "no round after the failed one"
        assert flaky._thread.is_alive()
    finally:
        flaky.stop()
    assert len(rounds) >= 2


def _refused(sql: str, **params: str) -> Exception:
    """The error a real SQLite raises for `sql` on a table t (id primary key, memo)."""
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, memo TEXT)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1, 'x')"))
        try:
            conn.execute(sa.text(sql), params)
        except Exception as exc:
            return exc
    raise AssertionError(f"{sql} did not fail")


@pytest.mark.parametrize(("sql", "params"), [
    ("SELECT * FROM no_such_table", {}),  # a missing migration or a typo
    ("SELEC 1", {}),  # a syntax error
    ("INSERT INTO t VALUES (1, :m)", {"m": "No space left on device"}),  # user text
    ("INSERT INTO t VALUES (1, :m)", {"m": "database or disk is full"}),
])
def test_bugs_stay_bugs_whatever_the_message_says(sql: str, params: dict[str, str]) -> None:
    """Decided from the driver's error code, never from the text (which holds parameters)."""
    assert storage_fault(_refused(sql, **params)) is None


def test_a_postgresql_that_cannot_be_reached_is_unavailable() -> None:
    """psycopg's connection failure carries no SQLSTATE: still a bad day, not a bug."""
    psycopg = pytest.importorskip("psycopg")
    engine = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:9/x",  # discard: closed
                              connect_args={"connect_timeout": 2})
    with pytest.raises(sa.exc.OperationalError) as refused:
        engine.connect()
    assert isinstance(refused.value.orig, psycopg.OperationalError)
    assert isinstance(storage_fault(refused.value), DatabaseUnavailable)


def test_a_storage_fault_is_answered_inside_the_app_not_raised_to_the_server(
        sqlite_node: Node) -> None:
    """Starlette's catch-all for `Exception` answers and then raises the error again to the
    server, which logs a crash and drops the kept-alive connection: seen with real processes
    as a 507 followed by a reset. The database's errors have their own handler."""
    token = sqlite_node.tokens.create(role="admin", label="admin").token
    http = TestClient(create_app(sqlite_node), raise_server_exceptions=True,
                      headers={"Authorization": f"Bearer {token}"})
    cap_file_growth(sqlite_node)
    for i in range(TRANSFERS_TRIED):
        answer = http.post("/api/v1/transfers", json={"id": f"t-{i}", "from": "alice",
                                                       "to": "bob", "amount_minutes": 1})
        if answer.status_code != 201:
            break
    assert answer.status_code == 507 and answer.json()["code"] == "storage_full", answer.text


def test_the_database_handler_answers_bad_days_and_leaves_bugs_to_the_500(
        sqlite_node: Node) -> None:
    app = create_app(sqlite_node)
    raised = {"/bug": _refused("SELECT * FROM no_such_table"),
              "/full": sa.exc.OperationalError("COMMIT", {}, _full_error())}

    def boom(path: str) -> None:
        raise raised[path]
    for path in raised:
        app.add_api_route(path, partial(boom, path))
    http = TestClient(app, raise_server_exceptions=False)
    bug = http.get("/bug")
    assert bug.status_code == 500 and bug.json()["code"] == "internal_error", bug.text
    full = http.get("/full")
    assert full.status_code == 507 and full.json()["code"] == "storage_full", full.text


def _full_error() -> Exception:
    """SQLite's own "database or disk is full" (a file capped at its size now)."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (x)")
    conn.execute(f"PRAGMA max_page_count={conn.execute('PRAGMA page_count').fetchone()[0]}")
    try:
        conn.execute("INSERT INTO t VALUES (randomblob(100000))")
    except sqlite3.OperationalError as exc:
        assert exc.sqlite_errorname == "SQLITE_FULL"
        return exc
    finally:
        conn.close()
    raise AssertionError("the capped file took the row")


def test_an_outage_logs_one_line_each_and_no_values(
        sqlite_node: Node, caplog: pytest.LogCaptureFixture) -> None:
    """A refused write's log line names the fault, never the statement's values (personal data
    such as a member's name); the driver's traceback comes with the first refusal only."""
    http = client(sqlite_node)
    cap_file_growth(sqlite_node)
    caplog.set_level("WARNING", logger="hourbridge.api")
    memo = "王芳的电话 13800000000"
    codes = [http.post("/api/v1/transfers", json={
        "id": f"t-{i}", "from": "alice", "to": "bob", "amount_minutes": 1, "memo": memo,
    }).status_code for i in range(TRANSFERS_TRIED)]
    refused = [code for code in codes if code != 201]
    assert len(refused) >= 2 and set(refused) == {507}, codes
    lines = [r for r in caplog.records if "storage_full on POST" in r.getMessage()]
    assert len(lines) == len(refused)
    assert [r.exc_info is not None for r in lines].count(True) == 1
    assert not any(memo in r.getMessage() or "13800000000" in caplog.text for r in lines)
