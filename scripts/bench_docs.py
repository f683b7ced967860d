"""Where the benchmark scripts record their tables: a marked section of docs/performance.md."""

from __future__ import annotations

from pathlib import Path

PERFORMANCE_DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def write_section(start: str, end: str, section: str, *, new_heading: str) -> Path:
    """Replace the text between the `start` and `end` markers (both in `section`) with
    `section`; without markers yet, append it under `new_heading` (which may carry an intro)."""
    path = PERFORMANCE_DOC
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    if start in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n{new_heading}\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
    return path
