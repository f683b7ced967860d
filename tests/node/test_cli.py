"""The `hourbridge` command as an operator uses it: init, tokens, checkpoint, verify-ledger."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

HB = [sys.executable, "-m", "node.cli.main"]


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*HB, *args], capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("cli") / "sh"
    run("init", "--node-id", "sh-pudong", "--region", "310115",
        "--url", "http://127.0.0.1:8711", "--data", str(data))
    return data


def test_init_writes_config_key_and_database(data: Path) -> None:
    assert {p.name for p in data.iterdir()} >= {"node.toml", "signing_key.pem", "node.db"}
    assert 'node_id = "sh-pudong"' in (data / "node.toml").read_text()
    assert "port = 8711" in (data / "node.toml").read_text()
    again = run("init", "--node-id", "sh-pudong", "--region", "310115",
                "--url", "http://127.0.0.1:8711", "--data", str(data), check=False)
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr


def test_token_create_prints_a_token_stored_only_as_a_hash(data: Path) -> None:
    token = run("token", "create", "--data", str(data), "--role", "staff",
                "--station", "lujiazui").stdout.strip()
    assert token.startswith("hb_")
    with sqlite3.connect(data / "node.db") as conn:
        stored = [row[0] for row in conn.execute("SELECT secret_hash FROM api_tokens")]
    assert token not in stored and len(stored) == 1
    listing = run("token", "list", "--data", str(data)).stdout
    assert "lujiazui" in listing and token not in listing


def test_member_token_needs_an_existing_member(data: Path) -> None:
    result = run("token", "create", "--data", str(data), "--role", "member",
                 "--member", "ghost@sh-pudong", check=False)
    assert result.returncode == 2 and "no member ghost" in result.stderr


def test_verify_ledger_names_the_changed_entry(data: Path) -> None:
    from node.config import load_config
    from node.runtime import open_node
    from tests.factories import add_members, grant, transfer

    node = open_node(load_config(data))
    add_members(node, "alice", "bob")
    grant(node, "alice", 100)
    transfer(node, "alice", "bob", 25)
    node.close()
    run("checkpoint", "--data", str(data))
    assert "ledger OK: 2 entries" in run("verify-ledger", "--data", str(data)).stdout
    with sqlite3.connect(data / "node.db") as conn:
        conn.execute("UPDATE postings SET amount_minutes = 2500 WHERE entry_height = 2 "
                     "AND amount_minutes = 25")
    result = run("verify-ledger", "--data", str(data), check=False)
    assert result.returncode == 1
    assert "first bad: entry 2" in result.stderr and "entry_hash_mismatch" in result.stderr


@pytest.mark.postgres
def test_init_takes_the_database_url_from_the_environment_and_keeps_it_out_of_the_file(
    tmp_path: Path, pg_databases
) -> None:
    if pg_databases is None:
        pytest.skip("set HOURBRIDGE_TEST_PG_URL to run the PostgreSQL variant")
    with pg_databases.database(None) as url:
        env = {**os.environ, "HOURBRIDGE_DATABASE_URL": url}
        data = tmp_path / "pg-node"
        result = subprocess.run(
            [*HB, "init", "--node-id", "bj-chaoyang", "--region", "110105",
             "--url", "http://127.0.0.1:8713", "--data", str(data)],
            capture_output=True, text=True, timeout=60, env=env,
        )
        assert result.returncode == 0, result.stderr
        recorded = (data / "node.toml").read_text()
        assert url not in recorded and "postgresql+" not in recorded
        assert 'database_location = "environment"' in recorded
        assert 'database_kind = "postgresql"' in recorded
        assert not (data / "node.db").exists()
        verify = subprocess.run([*HB, "verify-ledger", "--data", str(data)],
                                capture_output=True, text=True, timeout=60, env=env)
        assert verify.returncode == 0 and "ledger OK: 0 entries" in verify.stdout
        # Without the variable: a clear error naming it, and no SQLite file in its place.
        bare = {k: v for k, v in env.items() if k != "HOURBRIDGE_DATABASE_URL"}
        missing = subprocess.run([*HB, "migrate", "--data", str(data)],
                                 capture_output=True, text=True, timeout=60, env=bare)
        assert missing.returncode == 2 and "HOURBRIDGE_DATABASE_URL is not set" in missing.stderr
        assert not (data / "node.db").exists()
