"""The kit judges a target by the standard alone: node/conformance/ imports protocol/, httpx,
cryptography and the standard library, and of node/ only node.errors (KitError is a ConfigError,
so that it belongs to the node's one error tree: tests/node/test_error_tree.py)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

KIT = Path(__file__).resolve().parents[3] / "node" / "conformance"
ALLOWED = {"protocol", "httpx", "cryptography", "node.conformance", "node.errors", "__future__"}


def imported(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def outside(names: set[str]) -> set[str]:
    return {name for name in names
            if name.split(".")[0] not in sys.stdlib_module_names
            and not any(name == a or name.startswith(a + ".") for a in ALLOWED)}


def test_the_kit_imports_only_the_standard_and_its_transport() -> None:
    found = set().union(*(imported(path.read_text(encoding="utf-8"))
                          for path in KIT.glob("*.py")))
    assert "protocol.transaction" in found
    assert outside(found) == set()


def test_the_check_would_catch_a_node_import() -> None:
    assert outside(imported("from node.db.schema import links\nimport node.services\n")) == {
        "node.db.schema", "node.services"}
