"""`init` records where the node's database lives; no later command opens a new, empty one
(issue 15, "The IT person")."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from node.cli.main import app
from node.config import DATABASE_URL_ENV, NodeConfig, database_record, load_config, save_config
from node.errors import ConfigError
from tests.node.cli.directory_support import CLEAN_ENV, hb

NO_URL = {DATABASE_URL_ENV: None}


def init(data: Path, env: dict[str, str | None]) -> None:
    hb("init", "--node-id", "sh-pudong", "--region", "310115", "--url", "http://127.0.0.1:8711",
       "--data", data, env=env)


def refused(*args: object, env: dict[str, str | None]) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args], env={**CLEAN_ENV, **env})
    assert isinstance(result.exception, ConfigError), (result.output, result.exception)
    return result.exception.detail


def recorded(data: Path) -> dict[str, object]:
    return tomllib.loads((data / "node.toml").read_text(encoding="utf-8"))


@pytest.fixture
def env_node(tmp_path: Path) -> tuple[Path, dict[str, str | None]]:
    """A node initialised with its database URL in HOURBRIDGE_DATABASE_URL (an SQLite file
    outside the data folder: PostgreSQL takes the same path through the code)."""
    data = tmp_path / "node"
    (tmp_path / "db").mkdir()
    env: dict[str, str | None] = {DATABASE_URL_ENV: f"sqlite:///{tmp_path / 'db' / 'node.db'}"}
    init(data, env)
    return data, env


def test_init_records_an_environment_url_as_such_and_never_the_url(
    env_node: tuple[Path, dict[str, str | None]]
) -> None:
    data, env = env_node
    config = recorded(data)
    assert config["database_location"] == "environment"
    assert config["database_kind"] == "sqlite"
    assert str(env[DATABASE_URL_ENV]) not in (data / "node.toml").read_text(encoding="utf-8")
    hb("token", "list", "--data", data, env=env)  # with the variable, the node opens


def test_a_missing_variable_is_named_and_no_database_is_created(
    env_node: tuple[Path, dict[str, str | None]]
) -> None:
    data, _ = env_node
    for command in (("token", "list"), ("migrate",), ("verify-ledger",), ("keys", "list")):
        detail = refused(*command, "--data", data, env=NO_URL)
        assert f"{DATABASE_URL_ENV} is not set" in detail, command
        assert "migrate" not in detail
    assert not (data / "node.db").exists()


def test_a_missing_sqlite_file_is_an_error_not_a_new_database(tmp_path: Path) -> None:
    data = tmp_path / "node"
    init(data, NO_URL)
    assert recorded(data)["database_location"] == "data_folder"
    (data / "node.db").unlink()
    for command in (("migrate",), ("token", "list"), ("verify-ledger",)):
        detail = refused(*command, "--data", data, env=NO_URL)
        assert detail.startswith(f"no database at {data.resolve() / 'node.db'}"), detail
        assert "only `hourbridge init` creates one" in detail
    assert not (data / "node.db").exists()


def test_a_database_of_another_kind_than_recorded_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "node"
    init(data, NO_URL)
    postgres = {DATABASE_URL_ENV: "postgresql+psycopg://hb:secret@127.0.0.1:1/hb"}
    detail = refused("token", "list", "--data", data, env=postgres)
    assert "records a sqlite database" in detail and "is postgresql" in detail
    assert "secret" not in detail


def test_an_old_node_toml_without_the_record_opens_as_before(
    env_node: tuple[Path, dict[str, str | None]]
) -> None:
    data, env = env_node
    path = data / "node.toml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("database_")),
                    encoding="utf-8")
    assert load_config(data, env={}).database_location == ""
    hb("token", "list", "--data", data, env=env)


def test_the_record_keeps_a_password_out_of_node_toml(tmp_path: Path) -> None:
    url = "postgresql+psycopg://hb:s3cr3t-pw@db.example:5432/hb"
    location, kind = database_record(database_url_option="", env={DATABASE_URL_ENV: url})
    assert (location, kind) == ("environment", "postgresql")
    save_config(NodeConfig(node_id="sh-pudong", region="310115", url="http://h",
                           database_location=location, database_kind=kind,
                           data_dir=str(tmp_path)))
    assert "s3cr3t-pw" not in (tmp_path / "node.toml").read_text(encoding="utf-8")
    assert database_record(database_url_option=url, env={})[0] == "node_toml"
    assert database_record(database_url_option="", env={}) == ("data_folder", "sqlite")
