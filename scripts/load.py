#!/usr/bin/env python3
"""Sustained load on two real node processes: throughput over time and each node's memory.

    .venv/bin/python scripts/load.py [--seconds 300] [--rate 300] [--interval 10]
        [--rss-slope-max 1.0] [--write-docs] [--svg FILE]

Two `hourbridge serve` processes (sh-pudong, nj-gulou) under one signed directory, with the
production retry timings, set up as scripts/bench_federation.py sets them up. Its load
generator (`_post_all`) offers `--rate` cross-node transfers per second for `--seconds`, half
made at each node to a member of the other, each request sent at its due time.

Every `--interval` seconds a line: transfers posted and committed in the interval (committed:
counted in each debtor node's database, read-only beside the running node), and each node's
resident memory (VmRSS from /proc/<pid>/status). At the end: the table, the RSS growth over
the second half of the run (least-squares slope, MB/min) against `--rss-slope-max` (the first
half is warm-up: caches and pools filling), a chart (SVG, hand-written: no plotting library),
and the books audited (tests/audit.py) after both nodes stopped. Exit status 1 if memory grew
faster than the limit, a transfer was refused or the books do not balance.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench_docs import PERFORMANCE_DOC, write_section
from bench_federation import CREDITORS, DEBTORS, GRANT_MINUTES, A, B, Phase, _post_all
from load_chart import svg_chart
from rich.progress import Progress

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.integration.processes import Cluster, check_books  # noqa: E402

DOC_START = "<!-- load:start -->"
DOC_END = "<!-- load:end -->"
HEADING = "## Sustained load and memory"
INTRO = ("What `scripts/load.py` measures: two node processes under a fixed offered rate of "
         "cross-node transfers (half made at each node) for minutes, the transfers committed per "
         "interval and each node's resident memory (VmRSS). Memory must stay flat: the "
         "least-squares growth over the second half of the run must stay under the limit.")
CHART = ROOT / "docs" / "performance-load.svg"
DRAIN_S = 120.0


@dataclass
class Sample:
    t_s: float
    posted: int  # in the interval
    committed: int  # in the interval
    rss_mb: dict[str, float] = field(default_factory=dict)
    db_mb: dict[str, float] = field(default_factory=dict)  # the SQLite file and its WAL


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def db_mb(path: Path) -> float:
    files = [path, path.with_name(path.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists()) / 2**20


def committed(cluster: Cluster) -> int:
    return sum(int(node.query("SELECT count(*) FROM transfers WHERE state = 'committed'")[0][0])
               for node in cluster.nodes.values())


def slope_per_min(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) points, in MB per minute."""
    n = len(points)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in points) / var if var else 0.0


def second_half_slopes(samples: list[Sample], nodes: list[str]) -> dict[str, float]:
    end = samples[-1].t_s
    late = [s for s in samples if s.t_s >= end / 2]
    return {n: slope_per_min([(s.t_s, s.rss_mb[n]) for s in late]) for n in nodes}


class Sampler:
    """Samples every `interval` seconds in a thread of its own, printing a line each time."""

    def __init__(self, cluster: Cluster, phase: Phase, interval: float) -> None:
        self.cluster = cluster
        self.phase = phase
        self.interval = interval
        self.samples: list[Sample] = []
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        started = time.monotonic()
        last_posted, last_committed = 0, committed(self.cluster)
        while not self.halt.wait(self.interval - (time.monotonic() - started) % self.interval):
            posted, done = len(self.phase.post_ms), committed(self.cluster)
            sample = Sample(time.monotonic() - started, posted - last_posted,
                            done - last_committed,
                            {n: rss_mb(node.process.pid) for n, node in self.cluster.nodes.items()
                             if node.process is not None},
                            {n: db_mb(node.db_path) for n, node in self.cluster.nodes.items()})
            last_posted, last_committed = posted, done
            self.samples.append(sample)
            print(f"[{sample.t_s:6.1f} s] posted {sample.posted / self.interval:7.1f}/s, "
                  f"committed {sample.committed / self.interval:7.1f}/s, RSS "
                  + ", ".join(f"{n} {mb:6.1f} MB (database {sample.db_mb[n]:6.1f} MB)"
                              for n, mb in sample.rss_mb.items()),
                  flush=True)


def load(cluster: Cluster, args: argparse.Namespace, phase: Phase) -> None:
    count = round(args.rate * args.seconds)

    async def both_ways() -> None:
        with Progress(disable=True) as progress:
            task = progress.add_task("load", total=count)
            await asyncio.gather(*(
                _post_all(node.port, node.token, phase, f"{node.node_id}-", concurrency=16,
                          rate=args.rate / 2, progress=progress, task=task, count=count // 2,
                          reverse=node is cluster[B])
                for node in (cluster[A], cluster[B])))

    asyncio.run(both_ways())


def markdown(samples: list[Sample], slopes: dict[str, float], args: argparse.Namespace,
             shared: str) -> str:
    nodes = list(slopes)
    every = max(1, len(samples) // 12)  # about a dozen rows, always the last
    shown = [s for i, s in enumerate(samples) if i % every == 0 or s is samples[-1]]
    rate = sum(s.committed for s in samples) / samples[-1].t_s
    lines = [
        DOC_START,
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores{shared}, Python "
        f"{platform.python_version()}; {args.rate:g} transfers/s offered for {args.seconds:g} s, "
        f"half made at each node; {rate:,.0f} committed per second over the run.",
        "",
        f"Command: `.venv/bin/python scripts/load.py --seconds {args.seconds:g} --rate "
        f"{args.rate:g} --interval {args.interval:g} --write-docs`",
        "",
        f"![throughput and memory over time]({CHART.name})",
        "",
        "| time | posted/s | committed/s | " + " | ".join(f"RSS {n}" for n in nodes) + " | "
        + " | ".join(f"database {n}" for n in nodes) + " |",
        "|---:|---:|---:|" + "---:|" * 2 * len(nodes),
        *(f"| {s.t_s:.0f} s | {s.posted / args.interval:,.0f} | "
          f"{s.committed / args.interval:,.0f} | "
          + " | ".join(f"{s.rss_mb[n]:.1f} MB" for n in nodes) + " | "
          + " | ".join(f"{s.db_mb[n]:.1f} MB" for n in nodes) + " |" for s in shown),
        "",
        *(f"RSS growth of {n} over the second half: {slope:+.2f} MB/min (limit "
          f"{args.rss_slope_max:g}): **{'flat' if slope <= args.rss_slope_max else 'GROWS'}**."
          for n, slope in slopes.items()),
        DOC_END,
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--rate", type=float, default=300.0, help="transfers/s offered in all")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds per sample")
    parser.add_argument("--rss-slope-max", type=float, default=1.0,
                        help="MB/min of RSS growth allowed over the second half")
    parser.add_argument("--write-docs", action="store_true",
                        help="record the table in docs/performance.md, the chart beside it")
    parser.add_argument("--svg", type=Path, help="write the chart here (default with "
                        f"--write-docs: docs/{CHART.name})")
    parser.add_argument("--shared", action="store_true",
                        help="say in the docs that other work shared the machine")
    args = parser.parse_args()
    if args.seconds < 4 * args.interval:
        parser.error("--seconds must cover at least four intervals")
    folder = Path(tempfile.mkdtemp(prefix="hourbridge-load-"))
    cluster = Cluster(folder / "fed", [A, B], env={})
    phase = Phase("sustained", round(args.rate * args.seconds), both_ways=True)
    try:
        cluster.start()
        cluster.seed(A, [f"m{i}" for i in range(DEBTORS)], minutes=GRANT_MINUTES)
        cluster.seed(B, [f"m{i}" for i in range(CREDITORS)], minutes=GRANT_MINUTES)
        print(f"load: {args.rate:g} transfers/s for {args.seconds:g} s; a line every "
              f"{args.interval:g} s", flush=True)
        sampler = Sampler(cluster, phase, args.interval)
        sampler.thread.start()
        load(cluster, args, phase)
        sampler.halt.set()
        sampler.thread.join()
        cluster.wait_for(lambda: cluster.open_transfers(A) + cluster.open_transfers(B) == 0,
                         "the last transfers to commit", timeout_s=DRAIN_S)
        cluster.stop()
        totals = check_books(cluster)
        print(f"books balance: {totals}")
    finally:
        cluster.close()
        shutil.rmtree(folder, ignore_errors=True)
    samples = sampler.samples
    slopes = second_half_slopes(samples, sorted(cluster.nodes))
    shared = " (shared with other work at the time)" if args.shared else ""
    section = markdown(samples, slopes, args, shared)
    print(section)
    svg = args.svg or (CHART if args.write_docs else None)
    if svg is not None:
        svg.write_text(svg_chart([(s.t_s, s.committed / args.interval) for s in samples],
                                 {n: [(s.t_s, s.rss_mb[n]) for s in samples] for n in slopes}),
                       encoding="utf-8")
        print(f"chart written to {svg}")
    if args.write_docs:
        write_section(DOC_START, DOC_END, section, new_heading=f"{HEADING}\n\n{INTRO}",
                      path=PERFORMANCE_DOC)
        print(f"written to {PERFORMANCE_DOC}")
    flat = all(slope <= args.rss_slope_max for slope in slopes.values())
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
