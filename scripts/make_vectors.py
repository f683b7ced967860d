#!/usr/bin/env python3
"""Write the known-answer vectors of the HourBridge standard to schemas/vectors/.

Deterministic: fixed seeds, fixed times, Ed25519's deterministic signatures and sorted JSON, so
re-running produces identical files. tests/schemas/test_vectors.py checks the stored files equal
what this script produces. Files it did not generate (README.md) are left alone; generated files
that are no longer produced are removed.

    .venv/bin/python scripts/make_vectors.py [--out schemas/vectors]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from protocol.conformance.files import render_vector_files

GENERATED_DIRS = ("positive", "negative")
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "schemas" / "vectors"


def write_vectors(out: Path) -> list[Path]:
    files = render_vector_files()
    stale = [
        path
        for folder in GENERATED_DIRS
        for path in (out / folder).rglob("*.json")
        if path.relative_to(out).as_posix() not in files
    ]
    for path in stale:
        path.unlink()
    written = []
    for relative, text in sorted(files.items()):
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    written = write_vectors(args.out)
    print(f"wrote {len(written)} vector files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
