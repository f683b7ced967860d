"""Where the benchmark scripts record their tables: a marked section of docs/performance.md, and
(`--json FILE`) their figures for scripts/bench.py, which sets them beside one another."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

PERFORMANCE_DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def write_section(start: str, end: str, section: str, *, new_heading: str,
                  path: Path = PERFORMANCE_DOC) -> Path:
    """Replace the text between the `start` and `end` markers (both in `section`) with
    `section`; without markers yet, append it under `new_heading` (which may carry an intro)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    if start in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n{new_heading}\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def write_json(path: Path, command: str, **figures: Any) -> None:
    """The figures of one run, dataclasses as dicts, with the command that measured them."""
    def plain(value: Any) -> Any:
        if is_dataclass(value) and not isinstance(value, type):
            return asdict(value) | ({"rate": value.rate} if hasattr(value, "rate") else {})
        return [plain(item) for item in value] if isinstance(value, list) else value

    payload = {"command": command} | {name: plain(value) for name, value in figures.items()}
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
