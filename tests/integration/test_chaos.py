"""The short run of scripts/chaos.py in CI: three real nodes, 12 deaths (SIGKILL and crash
points) under load, a fault-injecting proxy on every link; then healed, drained and checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
KILLS = 12


def test_a_short_chaos_run_loses_and_duplicates_nothing() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "chaos.py"), "--kills", str(KILLS),
         "--seed", "7", "--rate", "30", "--drain-s", "120"],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-4000:]
    survived = re.search(r"\| kills survived +\| (\d+) ", report)
    assert survived is not None and int(survived.group(1)) >= KILLS, report[-2000:]
    assert re.search(r"\| hours lost +\| 0 min \|", report), report[-2000:]
    assert re.search(r"\| hours duplicated +\| 0 min \|", report), report[-2000:]
    committed = re.search(r"\| committed +\| ([\d,]+) \(\d[\d,]* local, ([\d,]+) cross-node\)",
                          report)
    assert committed is not None, report[-2000:]
    assert int(committed.group(2).replace(",", "")) > 0, "no cross-node transfer committed"
    assert "books audit (tests/audit.py)       | passed" in report
