#!/usr/bin/env python3
"""Where a node's memory goes under load: the Python heap against SQLite's own allocations.

    .venv/bin/python scripts/memory_probe.py [--transfers 8000] [--every 1000]

Two nodes in this process (tests/federation.py: the real services, exchange and database, an
in-process network, a fake clock) move `--transfers` cross-node transfers, settling every 100.
Every `--every` transfers it prints the Python heap (tracemalloc), the memory SQLite has
allocated (`sqlite3_memory_used()`, read through ctypes from the library the sqlite3 module
uses: page caches, statements) and this process's RSS. At the end it lists the source lines
whose allocations grew most between the second sample and the last. The test network keeps a
copy of every transaction it delivered (for tests' assertions), so growth there is the
harness's, not the node's. scripts/load.py measures RSS of real node processes; this says what
that RSS is made of.
"""

from __future__ import annotations

import _sqlite3
import argparse
import ctypes
import gc
import sys
import tempfile
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.federation import Federation  # noqa: E402

SH, NJ = "sh-pudong", "nj-gulou"
MEMBERS = 20
SETTLE_EVERY = 100


def sqlite_memory_mb() -> float:
    library = ctypes.CDLL(_sqlite3.__file__)
    library.sqlite3_memory_used.restype = ctypes.c_int64
    return float(library.sqlite3_memory_used()) / 2**20


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=8_000)
    parser.add_argument("--every", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hourbridge-memory-") as folder:
        fed = Federation(Path(folder), [SH, NJ], members=MEMBERS, grant_minutes=10_000_000)
        tracemalloc.start()
        snapshots = []
        try:
            for i in range(args.transfers):
                fed.send(f"m{i % MEMBERS}@{SH}", f"m{i * 7 % MEMBERS}@{NJ}", 1)
                if (i + 1) % SETTLE_EVERY == 0:
                    fed.settle()
                if (i + 1) % args.every == 0:
                    fed.settle()
                    gc.collect()
                    snapshots.append(tracemalloc.take_snapshot())
                    heap_mb = tracemalloc.get_traced_memory()[0] / 2**20
                    print(f"{i + 1:8,} transfers: Python heap {heap_mb:7.1f} MB, SQLite "
                          f"{sqlite_memory_mb():7.1f} MB, RSS {rss_mb():7.1f} MB", flush=True)
        finally:
            fed.close()
    if len(snapshots) >= 3:
        print("largest growth by source line, second sample to last:")
        for stat in snapshots[-1].compare_to(snapshots[1], "lineno")[:8]:
            print(f"  {stat}")


if __name__ == "__main__":
    main()
