"""One error tree (issue 20): every exception class defined in node/ descends from NodeError
(an expected error with a stable code) or is InvariantViolation (a bug: never caught).

A new `class SomethingFailed(Exception)` would escape the single place that maps errors to HTTP
and the batch writer's savepoint rule (node/db/batch.py rolls back a NodeError's command alone).
"""

from __future__ import annotations

import importlib
import inspect
import types
from pathlib import Path

from node.errors import ErrorCode, FixedCodeError, InvariantViolation, NodeError

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = ("node.migrations",)  # Alembic's scripts: run by Alembic, not imported


def _modules() -> list[types.ModuleType]:
    """Every module under node/, found by file so that a folder without __init__.py counts."""
    names = [".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
             for path in sorted((ROOT / "node").rglob("*.py"))]
    return [importlib.import_module(name) for name in names if not name.startswith(SKIPPED)]


def outside_the_tree(modules: list[types.ModuleType]) -> list[str]:
    """Exception classes defined in these modules that are neither NodeErrors nor
    InvariantViolation, as `module.Class`."""
    strays = set()
    for module in modules:
        for name, value in vars(module).items():
            if not (inspect.isclass(value) and issubclass(value, BaseException)):
                continue
            if value.__module__ != module.__name__:
                continue  # imported, checked where it is defined
            if not issubclass(value, (NodeError, InvariantViolation)):
                strays.add(f"{module.__name__}.{name}")
    return sorted(strays)


def test_every_exception_of_the_node_is_in_the_one_tree() -> None:
    modules = _modules()
    assert len(modules) > 100  # the walk reached the whole package
    assert outside_the_tree(modules) == []


def test_the_check_finds_an_exception_outside_the_tree() -> None:
    module = types.ModuleType("node.fake")

    class Stray(ValueError):
        pass

    class Fine(NodeError):
        pass

    Stray.__module__ = Fine.__module__ = "node.fake"
    module.Stray, module.Fine = Stray, Fine  # type: ignore[attr-defined]
    assert outside_the_tree([module]) == ["node.fake.Stray"]


def test_every_fixed_code_class_names_a_code_of_its_own() -> None:
    """A FixedCodeError subclass without CODE would fail only when first raised; two sharing
    one would make the code ambiguous in logs and CLI output."""
    classes = {cls for module in _modules() for cls in vars(module).values()
               if inspect.isclass(cls) and issubclass(cls, FixedCodeError)
               and cls is not FixedCodeError}
    assert len(classes) >= 8
    for cls in classes:
        assert isinstance(cls.__dict__.get("CODE"), ErrorCode), cls
    assert len({cls.CODE for cls in classes}) == len(classes)
