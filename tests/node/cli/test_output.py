"""Output through a pipe at `COLUMNS=80` (docker compose exec, narrow SSH, `| grep`): the key
line an operator sends to the authority stays whole on one line, and tables keep whole values
(issue 15, "The IT person"; node/cli/output.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from node.cli.output import PIPED_WIDTH, out
from tests.node.cli.directory_support import NODES, hb

NARROW = {"COLUMNS": "80"}
KEY_LINE = re.compile(r"^ed25519:[A-Za-z0-9_-]+=[A-Za-z0-9_-]{43}  valid \S+ \S+ UTC → open"
                      r"  \(signs now\)$")


def test_keys_list_prints_the_key_line_whole_through_a_pipe(node_data: dict[str, Path]) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("HOURBRIDGE_")}, **NARROW}
    listed = subprocess.run(
        [sys.executable, "-m", "node.cli.main", "keys", "list", "--data",
         str(node_data["sh-pudong"])],
        capture_output=True, text=True, timeout=60, env=env, check=True)
    lines = listed.stdout.splitlines()
    assert len(lines) == 1 and KEY_LINE.match(lines[0]), listed.stdout
    assert len(lines[0]) > 80  # the width it used to be cut at


def test_directory_show_keeps_every_row_whole_at_80_columns(auth: Path) -> None:
    shown = hb("directory", "show", "--authority", auth, env=NARROW).stdout
    for node_id, (region, url, name) in NODES.items():
        rows = [line for line in shown.splitlines() if node_id in line]
        assert len(rows) == 1, shown
        assert all(value in rows[0] for value in (region, url, name, "active")), rows[0]
        assert re.search(r"ed25519:\S+ \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ → open", rows[0])
    assert max(len(line) for line in shown.splitlines()) > 80


def test_off_a_terminal_the_console_is_unbounded() -> None:
    assert not out.is_terminal  # pytest captures stdout
    assert out.width == PIPED_WIDTH
