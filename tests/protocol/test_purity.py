"""protocol/ is pure: it never imports node/, and never reads a clock or does I/O itself."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PROTOCOL = Path(__file__).resolve().parents[2] / "protocol"
SOURCES = sorted(PROTOCOL.rglob("*.py"))
# Modules whose import alone would bring a database, network or clock into the standard.
FORBIDDEN_MODULES = {
    "node",
    "sqlalchemy",
    "httpx",
    "fastapi",
    "apscheduler",
    "requests",
    "socket",
    "time",
    "datetime",
    "random",
    "secrets",
    "uuid",
    "asyncio",
    "os",
    "subprocess",
}
CLOCK_CALL = re.compile(
    r"\b(time\.(time|monotonic|perf_counter)|datetime\.(now|utcnow|today)|"
    r"date\.today|time_ns)\s*\("
)


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_scan_sees_the_package() -> None:
    assert len(SOURCES) > 20
    assert "protocol" in _imported_roots(PROTOCOL / "envelope.py")


def test_protocol_imports_nothing_impure() -> None:
    offenders = {
        path.relative_to(PROTOCOL).as_posix(): sorted(_imported_roots(path) & FORBIDDEN_MODULES)
        for path in SOURCES
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_protocol_reads_no_clock() -> None:
    hits = [
        f"{path.relative_to(PROTOCOL)}:{number}"
        for path in SOURCES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CLOCK_CALL.search(line)
    ]
    assert hits == []


def test_the_checks_would_catch_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import time\nfrom node.ledger import x\nnow = time.time()\n")
    assert _imported_roots(bad) & FORBIDDEN_MODULES == {"time", "node"}
    assert CLOCK_CALL.search(bad.read_text().splitlines()[2])
