"""Alembic, driven from code: `hourbridge migrate` and the start-up check."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from node.db.engine import Database
from node.errors import ConfigError, ErrorCode, require

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@cache
def head_revision() -> str:
    """The newest revision in the migrations folder, read once per process (loading the
    revision scripts costs about 25 ms, and every node's start asks)."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None, "the migrations folder has no head revision"
    return head


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database) -> None:
    if current_revision(db) == head_revision():
        return  # nothing to run: Alembic would load every revision script to learn as much
    config = _alembic_config()
    with db.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        # SQLite adds a constraint by rebuilding the table (batch mode); dropping the old copy
        # of a table other rows refer to fails while foreign keys are enforced. The pragma has
        # no effect inside a transaction, so it is set on the driver's connection first, and
        # the keys are checked before the revisions commit.
        raw: Any = conn.connection.driver_connection
        require(raw is not None, "the database connection is closed")
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    require(not broken, f"a migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def require_migrated(db: Database) -> None:
    """Refuse to run on a database that is not at the newest schema revision."""
    current, head = current_revision(db), head_revision()
    if current != head:
        raise ConfigError(
            f"database {db.engine.url.render_as_string(hide_password=True)} is at schema "
            f"revision {current or 'none (empty)'}, this node needs {head}: "
            "run `hourbridge migrate --data DIR` first",
            code=ErrorCode.NOT_MIGRATED,
        )
