"""One vocabulary of states (issue 20): every stored lifecycle is an enum in node/states.py, the
database refuses any other value, and no quoted state literal is compared anywhere else in
node/ (a misspelt `"comitted"` would silently never match)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from sqlalchemy import CheckConstraint, insert, update
from sqlalchemy.exc import IntegrityError

from node.db.schema import members, metadata
from node.runtime import Node
from node.states import STORED

ROOT = Path(__file__).resolve().parents[2]
NODE = ROOT / "node"
# Where the words may be spelt out: their one definition, and the revisions that must keep
# meaning what they meant.
EXEMPT = (NODE / "states.py", NODE / "migrations")
WORDS = "|".join(sorted({state.value for enum in STORED.values() for state in enum}))
QUOTED = rf"""["'](?:{WORDS})["']"""
# A quoted state compared, tested for membership, matched in SQL or written to a state column.
STATE_LITERAL = re.compile(
    rf"(?:==|!=)\s*{QUOTED}"
    rf"|{QUOTED}\s*(?:==|!=)"
    rf"|\bin_\(\s*[(\[{{]?\s*{QUOTED}"
    rf"|\b(?:not\s+)?in\s*[(\[{{]\s*{QUOTED}"
    rf"|frozenset\(\s*[(\[{{]\s*{QUOTED}"
    rf"|\b(?:state|status|outcome)\s*=\s*{QUOTED}"
    rf"|\bIN\s*\(\s*'(?:{WORDS})'"
)

# `for side in ("sent", "received")` walks words, it tests no state.
LOOP = re.compile(r"\bfor\s+[\w\s,()]+?\s+in\b")


def literal_states(source: str) -> list[str]:
    """The lines of a module that spell a stored state in a comparison, a membership test, a
    where-clause or a write."""
    return [f"{number}: {line.strip()}" for number, line in enumerate(source.splitlines(), 1)
            if STATE_LITERAL.search(LOOP.sub("for _ over", line))]


def _sources() -> list[Path]:
    return [path for path in sorted(NODE.rglob("*.py"))
            if not any(path == exempt or exempt in path.parents for exempt in EXEMPT)]


def test_no_quoted_state_literals_in_node() -> None:
    found = {str(path.relative_to(ROOT)): lines for path in _sources()
             if (lines := literal_states(path.read_text(encoding="utf-8")))}
    assert found == {}, "compare with the enums of node/states.py instead"


@pytest.mark.parametrize("line", [
    'if row.state == "committed":',
    "if 'in_doubt' != state:",
    'query.where(transfers.c.state.in_(("pending", "in_doubt")))',
    'if state in ("open", "accepted"):',
    'DONE = frozenset({"completed", "paid"})',
    'conn.execute(update(t).values(status="closed"))',
    """OPEN = text("transfers.state IN ('pending', 'in_doubt')")""",
])
def test_the_check_catches_a_synthetic_violation(line: str) -> None:
    assert literal_states(f"x = 1\n{line}\n") == [f"2: {line}"]


@pytest.mark.parametrize("line", [
    "if row.state == TransferState.COMMITTED:",
    'totals = {"open": 0, "closed": 0}',  # report fields that share a word with a state
    'legs = (Posting("pending", credit_class, -amount),)',  # the pending account
    'counts = {side: 0 for side in ("sent", "received")}',
])
def test_the_check_leaves_other_uses_of_the_words_alone(line: str) -> None:
    assert literal_states(line) == []


def _revision_checks() -> dict[tuple[str, str], tuple[str, ...]]:
    """The constrained values every revision copied: 0008 for the columns it had, and each later
    revision (`CHECKS`) for the constrained columns it adds. A column copied twice is a later
    revision widening its lifecycle: it keeps every earlier value, in order, and adds."""
    copied: dict[tuple[str, str], tuple[str, ...]] = {}
    for path in sorted((NODE / "migrations" / "versions").glob("0*.py")):
        spec = importlib.util.spec_from_file_location(f"revision_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        revision = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(revision)
        for table, columns in getattr(revision, "CHECKS", {}).items():
            for column, values in columns.items():
                earlier = copied.get((table, column), ())
                assert values[:len(earlier)] == earlier, (table, column)
                copied[(table, column)] = values
    return copied


def test_schema_and_migration_check_every_stored_lifecycle() -> None:
    copied = _revision_checks()
    assert ("members", "status") in copied  # the walk reached revision 0008
    assert copied == {key: tuple(enum) for key, enum in STORED.items()}
    for (table, column), enum in STORED.items():
        checks = {c.name: str(c.sqltext) for c in metadata.tables[table].constraints
                  if isinstance(c, CheckConstraint)}
        values = ", ".join(f"'{state.value}'" for state in enum)
        assert checks.get(f"ck_{table}_{column}") == f"{column} IN ({values})"


def test_the_database_refuses_an_unknown_state(node: Node) -> None:
    row = {"local_id": "m-check", "display_name": "Check", "status": "active",
           "created_at_ms": 0}
    with node.db.engine.begin() as conn:
        conn.execute(insert(members).values(row))
    with pytest.raises(IntegrityError), node.db.engine.begin() as conn:
        conn.execute(insert(members).values({**row, "local_id": "m-bad", "status": "dormant"}))
    with pytest.raises(IntegrityError), node.db.engine.begin() as conn:
        conn.execute(update(members).where(members.c.local_id == "m-check")
                     .values(status="Active"))
