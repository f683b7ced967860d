"""Functions stay short (issue 20): none in node/ or protocol/ is longer than 70 lines, except
Alembic migrations, which are written once and read as a whole. scripts/ is not held to it yet."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("node", "protocol")
EXEMPT = ROOT / "node" / "migrations"
FUNCTION_LINES_MAX = 70


def _long_functions(source: str, name: str) -> list[str]:
    """`name:line function (N lines)` for every function or method over the limit, counted
    from its `def` (decorators excluded) to its last line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno is not None
            lines = node.end_lineno - node.lineno + 1
            if lines > FUNCTION_LINES_MAX:
                found.append(f"{name}:{node.lineno} {node.name} ({lines} lines)")
    return found


def _sources() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if not path.is_relative_to(EXEMPT)
    )


def test_the_scan_sees_both_packages() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in _sources()}
    assert {"node/runtime.py", "protocol/transfer_machine.py"} <= names
    assert not any(name.startswith("node/migrations/") for name in names)


def test_no_function_is_over_70_lines() -> None:
    offenders = [
        hit
        for path in _sources()
        for hit in _long_functions(path.read_text(encoding="utf-8"),
                                   path.relative_to(ROOT).as_posix())
    ]
    assert offenders == []


def test_the_check_would_catch_a_long_function() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(70))
    too_long = f"class C:\n    async def long(self):\n{body.replace('    ', '        ')}"
    just_right = f"def fine():\n{''.join(body.splitlines(keepends=True)[:69])}"
    assert _long_functions(too_long, "bad.py") == ["bad.py:2 long (71 lines)"]
    assert _long_functions(just_right, "ok.py") == []
