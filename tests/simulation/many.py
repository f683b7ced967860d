"""Many seeds in parallel processes, and the summary of what they did (scripts/simulate).

Each seed runs in a fresh temporary folder inside a worker process; a worker returns only
plain data (the seed's failure report, counts and trace digest), so results do not depend on
which worker ran which seed.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from tests.simulation.run import STEPS, simulate


@dataclass(frozen=True)
class SeedResult:
    seed: int
    digest: str
    counts: dict[str, int]
    report: str | None  # the failure and its replay command, None when the seed passed


@dataclass
class Summary:
    steps: int
    seeds: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[SeedResult] = field(default_factory=list)
    elapsed_s: float = 0.0

    def add(self, result: SeedResult) -> None:
        self.seeds += 1
        self.counts.update(result.counts)
        if result.report is not None:
            self.failures.append(result)

    def table(self) -> str:
        c = self.counts
        rate = self.seeds / self.elapsed_s if self.elapsed_s else 0.0
        rows = [
            ("seeds run", f"{self.seeds} ({rate:.1f} seeds/s, {self.elapsed_s:.1f} s)"),
            ("steps per seed", str(self.steps)),
            ("cross-node transfers committed", str(c["transfers:cross:committed"])),
            ("cross-node transfers rejected", str(c["transfers:cross:rejected"])),
            ("cross-node transfers expired", str(c["transfers:cross:expired"])),
            ("  of them routed through hubs, committed", str(c["transfers:routed:committed"])),
            ("  routed, rejected", str(c["transfers:routed:rejected"])),
            ("legs forwarded by hubs, committed", str(c["legs:forwarded:committed"])),
            ("local transfers committed", str(c["transfers:local:committed"])),
            ("member requests refused", str(sum(v for k, v in c.items() if k.startswith("api:")
                                                and k not in _API_ACCEPTED))),
        ]
        faults = sorted((k, v) for k, v in c.items() if not k.startswith(_NOT_FAULTS))
        rows += [(f"fault: {k}", str(v)) for k, v in faults if not k.startswith("crash:")]
        rows += [(k.replace(":", ": ", 1), str(v)) for k, v in faults if k.startswith("crash:")]
        rows.append(("failures", str(len(self.failures))))
        width = max(len(k) for k, _ in rows)
        lines = [f"{k:<{width}}  {v}" for k, v in rows]
        lines += ["  " + str(failure.report).replace("\n", "\n    ")
                  for failure in self.failures[:50]]
        if len(self.failures) > 50:
            lines.append(f"  ... and {len(self.failures) - 50} more")
        return "\n".join(lines)


_API_ACCEPTED = {"api:pending", "api:committed", "api:batch_201", "api:batch_200"}
_NOT_FAULTS = ("action:", "api:", "pump:", "transfers:", "legs:")


def run_seed(job: tuple[int, int, tuple[str, ...], bool, bool]) -> SeedResult:
    seed, steps, plant, adversary, liar = job
    outcome = simulate(seed, steps=steps, plant=plant, adversary=adversary, liar=liar)
    return SeedResult(seed, outcome.digest, dict(outcome.counts),
                      None if outcome.failure is None else outcome.report())


def results(seeds: Iterable[int], *, steps: int = STEPS, plant: Sequence[str] = (),
            jobs: int = 1, adversary: bool = False,
            liar: bool = False) -> Iterator[SeedResult]:
    """Each seed's result, in seed order. `adversary`: with the stolen-key adversary; `liar`:
    with a lying hub."""
    work = [(seed, steps, tuple(plant), adversary, liar) for seed in seeds]
    if jobs <= 1:
        yield from map(run_seed, work)
        return
    # spawn, not fork: the caller may hold threads (pytest-xdist, a node's writer).
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        yield from pool.imap(run_seed, work, chunksize=2)


def run_many(seeds: Sequence[int], *, steps: int = STEPS, plant: Sequence[str] = (),
             jobs: int = 1, progress: Callable[[str], None] | None = None,
             adversary: bool = False, liar: bool = False) -> Summary:
    summary = Summary(steps=steps)
    started = time.monotonic()  # for the seeds/s figure only; the runs never read a clock
    every = max(1, len(seeds) // 50)
    for result in results(seeds, steps=steps, plant=plant, jobs=jobs, adversary=adversary,
                          liar=liar):
        summary.add(result)
        if progress is not None and (summary.seeds % every == 0 or result.report):
            elapsed = time.monotonic() - started
            progress(f"{summary.seeds}/{len(seeds)} seeds, {len(summary.failures)} failed, "
                     f"{summary.seeds / elapsed:.1f} seeds/s")
    summary.elapsed_s = time.monotonic() - started
    return summary


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else (os.cpu_count() or 1))


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    from tests.simulation.bugs import BUGS

    parser = argparse.ArgumentParser(
        prog="scripts/simulate",
        description="Deterministic simulation of a federation under faults (docs/testing.md).")
    parser.add_argument("--seed", type=int, help="run this one seed (with -v: its trace)")
    parser.add_argument("--seeds", type=int, default=200, help="how many seeds (default 200)")
    parser.add_argument("--first", type=int, default=0, help="the first seed (default 0)")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"per seed (default {STEPS})")
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help="worker processes (default: one per core)")
    parser.add_argument("--plant", action="append", default=[], choices=sorted(BUGS),
                        help="plant a bug for the run (to see the simulation find it)")
    parser.add_argument("--adversary", action="store_true",
                        help="the first node's signing key is stolen (tests/simulation/"
                             "adversary.py)")
    parser.add_argument("--liar", action="store_true",
                        help="a star round js-hub, which lies about legs (tests/simulation/"
                             "liar.py)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print every step of a single seed, and the node logs")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.seeds < 1 or args.jobs < 1:
        parser.error("--steps, --seeds and --jobs must be at least 1")
    if args.seed is not None:
        outcome = simulate(args.seed, steps=args.steps, plant=args.plant, verbose=args.verbose,
                           adversary=args.adversary, liar=args.liar)
        print(f"digest {outcome.digest}")
        print(outcome.report() if outcome.failure else f"seed {args.seed} passed")
        return 1 if outcome.failure else 0
    seeds = range(args.first, args.first + args.seeds)
    summary = run_many(seeds, steps=args.steps, plant=args.plant, jobs=args.jobs,
                       progress=lambda line: print(line, file=sys.stderr, flush=True),
                       adversary=args.adversary, liar=args.liar)
    print(summary.table())
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
