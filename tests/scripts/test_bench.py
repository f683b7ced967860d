"""`./scripts/bench --quick`: every benchmark runs at smoke-test sizes and the one table comes out
well formed, in a file of the test's own (never the real docs/performance.md)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIMITS = {"plain FastAPI request rate", "raw sqlite3, 1 per commit", "hash every leaf",
          "Ed25519 verify, transaction of 100 prepares",
          "Ed25519 sign, transaction of 100 prepares"}
NUMBER = r"[\d,]+(?:\.\d+)?"


def test_the_wrapper_bootstraps_and_runs_the_driver() -> None:
    wrapper = ROOT / "scripts" / "bench"
    assert os.access(wrapper, os.X_OK)
    text = wrapper.read_text()
    assert "_bootstrap.sh" in text and "scripts/bench.py" in text


def test_quick_refuses_to_write_the_real_docs() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench.py"), "--quick"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--out" in done.stderr


@pytest.mark.slow
def test_quick_run_writes_one_well_formed_table(tmp_path: Path) -> None:
    out = tmp_path / "performance.md"
    out.write_text("# Performance\n\n## Something else\n\nkept as it was\n")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench.py"), "--quick",
                           "--out", str(out)], capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    text = out.read_text()
    assert "## Something else\n\nkept as it was" in text
    assert text.count("<!-- bench:start -->") == text.count("<!-- bench:end -->") == 1
    section = text.split("<!-- bench:start -->")[1].split("<!-- bench:end -->")[0]
    assert "Command: `./scripts/bench --quick`" in section
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]  # no header
    assert len(rows) >= 9
    limits = set()
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 6, row
        _figure, measured, limit, limit_measured, ratio, command = cells
        assert re.fullmatch(f"{NUMBER} (transfers/s|s)", measured), row
        assert re.fullmatch(f"{NUMBER} (transfers/s|requests/s|prepares/s|s)", limit_measured), row
        assert float(ratio) > 0, row
        assert re.fullmatch(r"`\.venv/bin/python scripts/bench_\w+\.py [^`]+`", command), row
        limits.add(limit)
    assert limits >= LIMITS
    # The ratio is what was measured: figure ÷ limit for rates.
    first = [cell.strip() for cell in rows[0].strip("|").split("|")]
    value, limit_value = (float(first[i].split()[0].replace(",", "")) for i in (1, 3))
    assert float(first[4]) == pytest.approx(value / limit_value, abs=0.002)
