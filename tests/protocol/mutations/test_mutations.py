"""The vectors catch every planted mistake (docs/standard.md §17, "Mutation table").

Each case copies protocol/ into a temporary folder, applies one mutation's edits there, and runs
vector_check.py against the copy in a subprocess with the copy first on PYTHONPATH: every check
named in the mutation's `caught_by` must fail. An unmutated copy must pass every check (so the
harness can fail), every edit's `old` text must occur exactly once (so a refactor that removes it
fails here rather than passing vacuously), and the table in the standard must list exactly these
mutations.

    .venv/bin/pytest -q -p no:cacheprovider -n 2 tests/protocol/mutations
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.protocol.mutations.catalogue import MUTATIONS, Edit, Mutation

ROOT = Path(__file__).resolve().parents[3]
PROTOCOL = ROOT / "protocol"
VECTORS = ROOT / "schemas" / "vectors"
CHECK = Path(__file__).with_name("vector_check.py")
STANDARD = ROOT / "docs" / "standard.md"
MUTATIONS_MIN = 25
CHECK_TIMEOUT_S = 60


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(PROTOCOL, tmp_path / "protocol",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return tmp_path


def _plant(root: Path, mutation: Mutation) -> None:
    for edit in mutation.edits:
        path = root / "protocol" / edit.file
        text = path.read_text(encoding="utf-8")
        assert text.count(edit.old) == 1, f"{mutation.name}: {edit.old!r} in {edit.file}"
        path.write_text(text.replace(edit.old, edit.new), encoding="utf-8")


def _failing_checks(root: Path) -> dict[str, str]:
    """Run the vector check against the package under `root`: failing check -> why."""
    # Not measured by the coverage run of protocol/: the copy is not the package under test.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("COV_CORE_", "COVERAGE_"))}
    env.update(PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [sys.executable, "-c", "import protocol, sys; print('package', protocol.__file__); "
         f"sys.argv = ['check', {str(VECTORS)!r}]; "
         f"exec(compile(open({str(CHECK)!r}).read(), 'vector_check', 'exec'))"],
        env=env, cwd=root, capture_output=True, text=True, timeout=CHECK_TIMEOUT_S,
    )
    lines = done.stdout.splitlines()
    assert lines and lines[0] == f"package {root / 'protocol' / '__init__.py'}", done.stdout
    failed = dict(line[len("FAIL "):].split(": ", 1) for line in lines if line.startswith("FAIL "))
    assert (done.returncode == 0) == (not failed), done.stdout + done.stderr
    return failed


def test_an_unmutated_copy_passes_every_check(tmp_path: Path) -> None:
    assert _failing_checks(_copy(tmp_path)) == {}


def test_a_planted_mistake_is_reported(tmp_path: Path) -> None:
    # The harness can fail: a copy whose signatures never verify fails the positive vectors.
    root = _copy(tmp_path)
    sabotage = Edit("signing.py", "        key.public_key.verify(raw, signing_bytes(obj))",
                    "        key.public_key.verify(raw, signing_bytes(obj) + b' ')")
    _plant(root, Mutation("sabotage", "signatures never verify", (sabotage,), ()))
    assert "positive/transfer.prepare" in _failing_checks(root)


def test_there_are_enough_mutations_with_unique_names() -> None:
    names = [mutation.name for mutation in MUTATIONS]
    assert len(names) >= MUTATIONS_MIN
    assert len(set(names)) == len(names)
    assert all(mutation.caught_by for mutation in MUTATIONS)


def test_every_edit_matches_the_reference_exactly_once() -> None:
    for mutation in MUTATIONS:
        for edit in mutation.edits:
            text = (PROTOCOL / edit.file).read_text(encoding="utf-8")
            assert text.count(edit.old) == 1, f"{mutation.name}: {edit.old!r} in {edit.file}"
            assert edit.new != edit.old


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_the_vectors_catch_the_mistake(mutation: Mutation, tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _plant(root, mutation)
    failed = _failing_checks(root)
    assert failed, f"{mutation.name} is not caught by any vector"
    missed = [name for name in mutation.caught_by if name not in failed]
    assert not missed, f"{mutation.name}: {missed} pass; failing: {sorted(failed)}"


_ROW = re.compile(r"^\| `([a-z0-9_]+)` \| (.+) \| (.+) \|$")


def _table_rows() -> dict[str, tuple[str, str]]:
    text = STANDARD.read_text(encoding="utf-8")
    section = text.split("### 17.1 Mutation table", 1)[1].split("\n## ", 1)[0]
    return {match[1]: (match[2], match[3]) for line in section.splitlines()
            if (match := _ROW.match(line))}


def test_the_standard_publishes_exactly_these_mutations() -> None:
    rows = _table_rows()
    assert list(rows) == [mutation.name for mutation in MUTATIONS]
    for mutation in MUTATIONS:
        mistake, vectors = rows[mutation.name]
        assert mistake == mutation.mistake, mutation.name
        assert vectors == ", ".join(f"`{name}`" for name in mutation.caught_by), mutation.name
