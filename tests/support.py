"""Building real nodes for tests: a fresh migrated database (SQLite file or a PostgreSQL
database cloned from a migrated template), a fixed signing key and a FakeClock."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher

from node.clock import FakeClock
from node.config import NodeConfig
from node.db.engine import Database
from node.db.migrate import upgrade
from node.exchange.transport import Transport
from node.runtime import Node, bootstrap_database, open_node
from protocol.directory import KeyRecord, key_text, sign_directory
from protocol.policy import DEFAULT_POLICY
from protocol.signing import SigningKey

PG_URL_ENV = "HOURBRIDGE_TEST_PG_URL"
REQUIRE_PG_ENV = "HOURBRIDGE_TEST_REQUIRE_PG"
START_MS = 1_780_000_000_000
# Members' PINs in tests' nodes are hashed with the cheapest Argon2id parameters: a test of who
# may sign in does not depend on the cost of the hash, and the default costs some 0.1 s a PIN.
# tests/node/people/test_pins.py tests the node's real parameters; `hourbridge serve` processes
# (tests/integration) use them.
CHEAP_PINS = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def pg_url() -> str | None:
    return os.environ.get(PG_URL_ENV) or None


def node_key(node_id: str) -> SigningKey:
    """Deterministic per node id, so failures reproduce."""
    seed = node_id.encode().ljust(32, b"\0")[:32]
    return SigningKey.from_seed(seed)


class PgDatabases:
    """Creates one database per test from a migrated template (fast: a file copy in Postgres)."""

    def __init__(self, admin_url: str) -> None:
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        suffix = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.template = f"hb_template_{suffix}_{os.getpid()}"
        self._templates: set[str] = set()
        self._lock = threading.Lock()

    def _url(self, name: str) -> str:
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def _ensure_template(self, node_id: str) -> str:
        name = f"{self.template}_{node_id.replace('-', '_')}"
        with self._lock:
            if name not in self._templates:
                with self.admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
                db = Database(self._url(name))
                bootstrap_database(db, node_id=node_id, now_ms=START_MS, key=node_key(node_id),
                                   key_file="signing_key.pem")
                db.dispose()
                self._templates.add(name)
        return name

    @contextmanager
    def database(self, node_id: str | None) -> Iterator[str]:
        """A database initialised for `node_id` (from its template), or empty for None."""
        template = f' TEMPLATE "{self._ensure_template(node_id)}"' if node_id else ""
        name = f"hb_t_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{template}')
        try:
            yield self._url(name)
        finally:
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        with self.admin.connect() as conn:
            for name in self._templates:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


AUTHORITY = SigningKey.from_seed(b"hourbridge test authority".ljust(32, b"\0"))
FEDERATION_ID = "cn-test"


def directory_document(
    node_ids: list[str], *, serial: int = 1, issued_at_ms: int = START_MS,
    status: dict[str, str] | None = None, caps: dict[str, int] | None = None,
    local_units: dict[str, tuple[str, int, int]] | None = None,
    policy: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A directory signed by the test authority listing `node_ids` with their test keys.

    `caps`: per-partner net debit cap by node id; `local_units`: (name, units, minutes);
    `policy`: values replacing the default policy's."""
    caps = caps or {}
    units = local_units or {}
    nodes = [
        {
            "node_id": node_id, "name": node_id, "region_code": "310115",
            "base_url": f"http://{node_id}.test", "status": (status or {}).get(node_id, "active"),
            "keys": [KeyRecord.for_key(node_key(node_id).verify_key(), valid_from_ms=0)
                     .model_dump(mode="json")],
            "local_unit": dict(zip(("name", "units", "minutes"),
                                   units.get(node_id, ("minute", 1, 1)), strict=True)),
            "net_debit_cap_per_partner_minutes": caps.get(node_id, 60_000),
            "net_debit_cap_overall_minutes": 120_000,
        }
        for node_id in sorted(node_ids)
    ]
    body = {
        "federation_id": FEDERATION_ID,
        "authority_keys": [KeyRecord.for_key(AUTHORITY.verify_key(), valid_from_ms=0)
                           .model_dump(mode="json")],
        "policy": {**DEFAULT_POLICY.model_dump(mode="json"), **(policy or {})},
        "nodes": nodes,
    }
    return sign_directory(body, authority=AUTHORITY, serial=serial, issued_at_ms=issued_at_ms)


def make_config(data_dir: Path, node_id: str, database_url: str = "") -> NodeConfig:
    """Test nodes pin the test authority, so a test can hand them a directory to hold."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return NodeConfig(
        node_id=node_id, region="310115", url=f"http://{node_id}.test", data_dir=str(data_dir),
        database_url=database_url, directory_anchors=[key_text(AUTHORITY.verify_key())],
    )


class SchemaTemplate:
    """A new SQLite database starts as a copy of one this process migrated: running the
    migrations costs about 0.16 s, copying the file 0.4 ms, and the suite builds thousands of
    nodes. `bootstrap_database` still runs on the copy: it finds the schema at head (its
    migration is then a check) and adds the node's own rows as always."""

    def __init__(self) -> None:
        self._file: Path | None = None
        self._lock = threading.Lock()

    def place(self, url: str) -> None:
        parsed = sa.engine.make_url(url)
        target = Path(parsed.database or "")
        if parsed.get_backend_name() != "sqlite" or not parsed.database \
                or parsed.database == ":memory:" or target.exists():
            return
        with self._lock:
            if self._file is None:
                folder = Path(tempfile.mkdtemp(prefix="hb-schema-"))
                atexit.register(shutil.rmtree, folder, ignore_errors=True)
                db = Database(f"sqlite:///{folder / 'schema.db'}")
                upgrade(db)
                db.dispose()  # the last connection closes: the log is checkpointed away
                assert not (folder / "schema.db-wal").exists()
                self._file = folder / "schema.db"
        shutil.copyfile(self._file, target)


SCHEMA_TEMPLATE = SchemaTemplate()


def build_node(config: NodeConfig, clock: FakeClock, *, bootstrap: bool,
               transport: Transport | None = None) -> Node:
    if bootstrap:
        SCHEMA_TEMPLATE.place(config.resolved_database_url())
        db = Database(config.resolved_database_url())
        bootstrap_database(db, node_id=config.node_id, now_ms=clock.now_ms(),
                           key=node_key(config.node_id), key_file=config.key_file)
        db.dispose()
    return open_node(config, clock=clock, key=node_key(config.node_id), transport=transport,
                     password_hasher=CHEAP_PINS)
