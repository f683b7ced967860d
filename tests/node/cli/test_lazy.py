"""`hourbridge` imports a command's module only when that command runs (node/cli/lazy.py): the
authority's, the portal's and the offline commands never load the node's app or database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("node.runtime", "node.api.app", "fastapi", "node.db.migrate")

PROBE = """
import json, os, sys
from typer.testing import CliRunner
from node.cli.main import app
result = CliRunner().invoke(app, sys.argv[1:])
heavy = os.environ["HEAVY"].split()
print(json.dumps({"exit": result.exit_code, "loaded": [m for m in heavy if m in sys.modules]}))
"""


def loaded_by(*args: str) -> dict[str, object]:
    """Run the command in a fresh interpreter; which heavy modules did it import?"""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          check=True, env={**os.environ, "HEAVY": " ".join(HEAVY)})
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [["--version"], ["directory", "--help"],
                                  ["portal", "--help"], ["verify-report", "--help"]])
def test_light_commands_leave_the_node_unloaded(args: list[str]) -> None:
    assert loaded_by(*args) == {"exit": 0, "loaded": []}


def test_a_node_command_loads_what_it_needs() -> None:
    # The check above can fail: `token --help` is a node command and loads the node.
    assert "node.runtime" in loaded_by("token", "--help")["loaded"]
