"""Shared fixtures. `backend` runs a test on SQLite, and on PostgreSQL when
HOURBRIDGE_TEST_PG_URL names a server (CI sets it, and HOURBRIDGE_TEST_REQUIRE_PG=1 turns a
missing server into a failure instead of a skip)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from node.access import Role
from node.api.app import create_app
from node.clock import FakeClock
from node.runtime import Node
from tests.support import (
    REQUIRE_PG_ENV,
    START_MS,
    PgDatabases,
    build_node,
    make_config,
    pg_url,
)

NodeFactory = Callable[..., Node]


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases | None]:
    url = pg_url()
    if url is None:
        yield None
        return
    databases = PgDatabases(url)
    yield databases
    databases.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and pg_url() is None:
        if os.environ.get(REQUIRE_PG_ENV) == "1":
            pytest.fail("PostgreSQL tests are required but HOURBRIDGE_TEST_PG_URL is not set")
        pytest.skip("set HOURBRIDGE_TEST_PG_URL to run the PostgreSQL variant")
    return str(request.param)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START_MS)


@pytest.fixture
def make_node(
    tmp_path: Path, clock: FakeClock, pg_databases: PgDatabases | None
) -> Iterator[NodeFactory]:
    """make_node(node_id="sh-pudong", backend="sqlite") -> a migrated, initialised Node."""
    opened: list[Node] = []
    cleanups: list[Callable[[], None]] = []

    def factory(node_id: str = "sh-pudong", backend: str = "sqlite") -> Node:
        data = tmp_path / node_id
        url = ""
        if backend == "postgresql":
            assert pg_databases is not None
            context = pg_databases.database(node_id)
            url = context.__enter__()
            cleanups.append(lambda: context.__exit__(None, None, None))
        node = build_node(make_config(data, node_id, url), clock, bootstrap=True)
        opened.append(node)
        return node

    yield factory
    for node in opened:
        node.close()
    for cleanup in cleanups:
        cleanup()


@pytest.fixture
def node(make_node: NodeFactory, backend: str) -> Node:
    return make_node("sh-pudong", backend)


@pytest.fixture
def sqlite_node(make_node: NodeFactory) -> Node:
    return make_node("sh-pudong", "sqlite")


class Api:
    """A TestClient on a real node plus one token per role, for readable API tests."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.client = TestClient(create_app(node), raise_server_exceptions=False)
        self.tokens: dict[str, str] = {}

    def token(self, name: str, role: Role, **scope: str) -> str:
        if name not in self.tokens:
            self.tokens[name] = self.node.tokens.create(role=role, label=name, **scope).token
        return self.tokens[name]

    def headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    @property
    def admin(self) -> dict[str, str]:
        return self.headers(self.token("admin", Role.ADMIN))


@pytest.fixture
def api(sqlite_node: Node) -> Api:
    return Api(sqlite_node)
