"""Migrations create exactly the tables node/db/schema.py describes, and a node refuses an
unmigrated database with a message that says what to run."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from typer.testing import CliRunner

from node.cli.main import app
from node.db.schema import metadata
from node.errors import ConfigError, ErrorCode
from node.runtime import Node, open_node
from tests.support import make_config, node_key


def test_migrated_schema_matches_the_table_definitions(node: Node) -> None:
    with node.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_node_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    config = make_config(tmp_path / "n", "sh-pudong")
    (tmp_path / "n" / "node.db").touch()  # an empty SQLite database: no node opens a missing one
    with pytest.raises(ConfigError) as err:
        open_node(config, key=node_key("sh-pudong"))
    assert err.value.code == ErrorCode.NOT_MIGRATED
    assert "hourbridge migrate" in err.value.detail


def test_serve_refuses_an_unmigrated_database_with_a_clear_message(tmp_path: Path) -> None:
    runner = CliRunner()
    data = tmp_path / "node"
    result = runner.invoke(app, ["init", "--node-id", "nj-gulou", "--region", "320106",
                                 "--url", "http://127.0.0.1:9", "--data", str(data)])
    assert result.exit_code == 0, result.output
    (data / "node.db").unlink()
    # There but empty; a missing file: tests/node/cli/test_database_location.py.
    (data / "node.db").touch()
    result = runner.invoke(app, ["serve", "--data", str(data)])
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)
    assert "hourbridge migrate" in str(result.exception)
