"""`hourbridge serve` says one line on a healthy start and warns when the directory's unit
overrides the policy file's (issue 15, "The IT person")."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from node.cli import serve_start
from node.cli.serve_start import (
    EXIT_TRY_AGAIN,
    StartReport,
    announce,
    open_for_serving,
    start_report,
)
from node.clock import FakeClock
from node.db.faults import DatabaseUnavailable, StorageFull
from node.errors import ConfigError
from node.runtime import Node
from tests.node.cli.directory_support import hb
from tests.support import build_node, directory_document, make_config

ROOT = Path(__file__).resolve().parents[3]
BEIJING = ROOT / "examples" / "policies" / "beijing-2022.toml"  # 1 时间币 coin = 60 min
NODE = "bj-chaoyang"
START_WAIT_S = 60


@pytest.fixture
def beijing(tmp_path: Path, clock: FakeClock) -> Iterator[Node]:
    data = tmp_path / NODE
    config = make_config(data, NODE).model_copy(update={"policy_file": "policy.toml"})
    shutil.copy(BEIJING, data / "policy.toml")
    node = build_node(config, clock, bootstrap=True)
    yield node
    node.close()


def hold(node: Node, unit: tuple[str, int, int]) -> None:
    node.federation.accept(directory_document([NODE], local_units={NODE: unit}))


def test_a_directory_unit_other_than_the_policy_files_is_a_warning(beijing: Node) -> None:
    hold(beijing, ("minute", 1, 1))
    report = start_report(beijing, host="127.0.0.1", port=8700)
    [warning] = report.warnings
    assert warning.startswith("unit mismatch: the directory (serial 1) declares 1 minute = 1 min")
    assert "the policy file policy.toml says 1 时间币 coin = 60 min" in warning


def test_a_matching_unit_starts_with_one_line_and_no_warning(beijing: Node) -> None:
    hold(beijing, ("时间币 coin", 1, 60))
    report = start_report(beijing, host="0.0.0.0", port=8713)
    assert report.warnings == []
    assert report.line == (
        f"hourbridge: node {NODE} at http://{NODE}.test (listening on 0.0.0.0:8713); "
        "directory cn-test serial 1; "
        "policy '北京市养老服务时间银行 Beijing time bank (2022)' (policy.toml)")


def test_a_warning_goes_to_the_log_or_to_stderr_when_the_log_hides_it(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    report = StartReport(line="hourbridge: node x", warnings=["unit mismatch: w"])
    with caplog.at_level(logging.WARNING, logger="hourbridge.serve"):
        announce(report)
    assert [r.getMessage() for r in caplog.records] == ["unit mismatch: w"]
    assert capsys.readouterr().out == "hourbridge: node x\n"
    with caplog.at_level(logging.ERROR, logger="hourbridge.serve"):
        announce(report)
    assert capsys.readouterr().err == "warning: unit mismatch: w\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_prints_one_line_on_a_healthy_start(tmp_path: Path) -> None:
    data = tmp_path / NODE
    hb("init", "--node-id", NODE, "--region", "110105", "--url", "http://127.0.0.1:8713",
       "--data", data, env={"HOURBRIDGE_DATABASE_URL": None})
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOURBRIDGE_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "node.cli.main", "serve", "--data", str(data), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # the process flushes it before it listens
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=START_WAIT_S)
    assert line == (f"hourbridge: node {NODE} at http://127.0.0.1:8713 (listening on "
                    f"127.0.0.1:{port}); no directory yet; policy 'HourBridge default policy' "
                    "(built-in default)\n"), errors


def test_a_database_that_does_not_answer_stops_the_start_with_one_sentence(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad days at start (issue 17): exit 75, "try again", and what to do; not a traceback."""
    closed = "postgresql+psycopg://nobody@127.0.0.1:9/x?connect_timeout=2"  # discard: closed
    config = make_config(tmp_path / NODE, NODE, closed)
    with pytest.raises(typer.Exit) as stopped:
        open_for_serving(config)
    assert stopped.value.exit_code == EXIT_TRY_AGAIN == 75
    said = capsys.readouterr().err
    assert said.startswith("hourbridge: cannot start: database_unavailable:"), said
    assert "Bring the database back" in said


def test_other_errors_at_start_are_not_called_bad_days(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):  # a folder without a node: as before, not "try again"
        open_for_serving(make_config(tmp_path / "empty", NODE))


def test_a_full_disk_at_start_names_the_folder_and_the_free_space(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(tmp_path / NODE, NODE)
    monkeypatch.setattr(serve_start, "disk_low", lambda folder: StorageFull("low"))
    said = serve_start.start_refusal(config, DatabaseUnavailable("disk I/O error"))
    assert said.startswith(f"storage_full: the disk holding {config.data_path} is full (")
    assert said.endswith("Free space, then start the node again")
    # a PostgreSQL node whose data folder is low is told about its database, not the folder
    on_pg = config.model_copy(update={"database_url": "postgresql+psycopg://h/x"})
    said = serve_start.start_refusal(on_pg, DatabaseUnavailable("down"))
    assert said.startswith("database_unavailable: "), said
    # PostgreSQL's own disk full is the server's disk, not the node's folder
    said = serve_start.start_refusal(on_pg, StorageFull("53100"))
    assert said.startswith("storage_full: the database server's disk is full"), said
    # a SQLite node whose folder is gone gets the sentence, never a traceback
    gone = config.model_copy(update={"data_dir": str(tmp_path / "gone")})
    said = serve_start.start_refusal(gone, DatabaseUnavailable("unable to open"))
    assert said.startswith("database_unavailable: "), said
