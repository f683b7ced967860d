"""`hourbridge --version` names the node's release and the standard's version and revision,
the same words /healthz, the HourBridge-Version header and node_info give (issue 19)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from typer.testing import CliRunner

from node.cli.main import app
from node.version import NODE_VERSION
from protocol.version import STANDARD_REVISION

ROOT = Path(__file__).resolve().parents[3]


def test_version_prints_release_and_standard_and_exits() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (f"hourbridge {NODE_VERSION} "
                                     f"(standard hourbridge/1, revision {STANDARD_REVISION})")


def test_the_release_is_written_once() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["dynamic"]["version"] == {"attr": "node.version.NODE_VERSION"}
