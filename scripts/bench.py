#!/usr/bin/env python3
"""Every benchmark in one run, each figure beside the limit measured in the same run.

    ./scripts/bench [--quick] [--out FILE] [--sections]

Runs, each in its own process and one after another (so they do not share the cores):
scripts/bench_ledger.py (local transfers: service layer, HTTP API, raw sqlite3),
scripts/bench_federation.py (cross-node transfers between two node processes, Ed25519 signing
and verifying, raw sqlite3) and scripts/bench_reconcile.py (finding differences in a window,
hashing every leaf). Then the plain FastAPI request rate (scripts/bench_limits.py:
fastapi_limit). Each script measures and checks as it always does and hands its figures over
with `--json`; this script only sets them side by side.

The table goes into docs/performance.md between `<!-- bench:start -->` and `<!-- bench:end -->`
(or into `--out`). `--sections` also lets each script rewrite its own section there. `--quick`
runs tiny sizes: a smoke test that everything runs and the table is well formed, not figures to
keep (it refuses to write the real docs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_docs import PERFORMANCE_DOC, write_section

SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS.parent))

from bench_limits import fastapi_limit  # noqa: E402  (needs the project root on the path)

DOC_START = "<!-- bench:start -->"
DOC_END = "<!-- bench:end -->"
HEADING = "## All benchmarks together"
INTRO = ("`./scripts/bench` runs the three benchmarks above one after another and the plain "
         "FastAPI limit, and sets each figure beside a limit measured in the same run. "
         "For rates the ratio is figure ÷ limit; for times it is the limit's time ÷ the "
         "figure's, so in both a ratio of 1 means as fast as the limit.")
FULL = {
    "ledger": ["--transfers", "30000"],
    "federation": ["--transfers", "20000", "--concurrency", "64", "--rate", "500",
                   "--rate-seconds", "10", "--batch", "50", "--both-ways"],
    "reconcile": ["--transfers", "1000000", "--differences", "10", "--seed", "2026"],
}
QUICK = {
    "ledger": ["--transfers", "300"],
    "federation": ["--transfers", "200", "--concurrency", "8", "--rate", "0", "--batch", "0"],
    "reconcile": ["--transfers", "3000", "--differences", "3", "--seed", "2026"],
}
FASTAPI_REQUESTS = {"full": 20_000, "quick": 640}


@dataclass
class Row:
    figure: str
    value: float
    unit: str
    limit: str
    limit_value: float
    limit_unit: str
    command: str
    time_like: bool = False  # seconds: smaller is faster

    @property
    def ratio(self) -> float:
        if self.time_like:
            return self.limit_value / self.value
        return self.value / self.limit_value


def run_script(name: str, args: list[str], folder: Path, *, sections: bool) -> dict[str, Any]:
    out = folder / f"{name}.json"
    command = [sys.executable, str(SCRIPTS / f"bench_{name}.py"), *args, "--json", str(out)]
    if sections:
        command.append("--write-docs")
    print(f"==> {' '.join(command[1:])}", flush=True)
    subprocess.run(command, check=True)
    return dict(json.loads(out.read_text(encoding="utf-8")))


def _named(items: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    return next(item for item in items if item["name"].startswith(prefix))


def rows(ledger: dict[str, Any], federation: dict[str, Any], reconcile: dict[str, Any],
         plain: float) -> list[Row]:
    fastapi = ("plain FastAPI request rate", plain, "requests/s")
    http = _named(ledger["results"], "node HTTP API")
    service = _named(ledger["results"], "node service layer")
    raw_one = _named(ledger["limits"], "raw sqlite3, 1 per commit")
    raw_batch = ledger["limits"][-1]
    out = [
        Row("local transfers, HTTP API", http["rate"], "transfers/s", *fastapi,
            ledger["command"]),
        Row("local transfers, HTTP API", http["rate"], "transfers/s", raw_one["name"],
            raw_one["rate"], "transfers/s", ledger["command"]),
        Row("local transfers, service layer", service["rate"], "transfers/s", raw_batch["name"],
            raw_batch["rate"], "transfers/s", ledger["command"]),
    ]
    verify = _named(federation["limits"], "Ed25519 verify, transaction of 100")
    sign = _named(federation["limits"], "Ed25519 sign, transaction of 100")
    fed_raw = federation["limits"][-1]
    first, command = federation["phases"][0], federation["command"]
    out += [
        Row(f"cross-node transfers, {first['name']}", first["rate"], "transfers/s", *fastapi,
            command),
        Row(f"cross-node transfers, {first['name']}", first["rate"], "transfers/s",
            fed_raw["name"], fed_raw["rate"], "transfers/s", command),
        *(Row(f"cross-node transfers, {phase['name']}", phase["rate"], "transfers/s",
              limit["name"], limit["rate"], "prepares/s", command)
          for phase in federation["phases"] for limit in (sign, verify)),
    ]
    leaf = _named(reconcile["measures"], "limit: hash every leaf")
    for name in ("reconcile (descent)", "build local index"):
        measure = _named(reconcile["measures"], name)
        out.append(Row(f"reconciliation, {name} of {reconcile['facts']['n']:,} transfers",
                       measure["seconds"], "s", leaf["name"].removeprefix("limit: "),
                       leaf["seconds"], "s", reconcile["command"], time_like=True))
    return out


def _figure(value: float, unit: str) -> str:
    return f"{value:.3f} {unit}" if unit == "s" else f"{value:,.0f} {unit}"


def markdown(table: list[Row], *, quick: bool, command: str, shared: bool = False) -> str:
    lines = [
        DOC_START,
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores"
        + (" (shared with other work at the time: read the ratios, not the rates)"
           if shared else "") + ", Python "
        f"{platform.python_version()}" + (" (--quick: smoke-test sizes, not figures to keep)"
                                          if quick else "") + ".",
        "",
        f"Command: `{command}`",
        "",
        "| figure | measured | limit, same run | limit measured | ratio | measured by |",
        "|---|---:|---|---:|---:|---|",
        *(f"| {row.figure} | {_figure(row.value, row.unit)} | {row.limit} | "
          f"{_figure(row.limit_value, row.limit_unit)} | {row.ratio:.3f} | `{row.command}` |"
          for row in table),
        DOC_END,
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--out", type=Path, default=PERFORMANCE_DOC,
                        help="the file to write the table into (default docs/performance.md)")
    parser.add_argument("--sections", action="store_true",
                        help="each script also rewrites its own section of docs/performance.md")
    parser.add_argument("--shared", action="store_true",
                        help="say in the docs that other work shared the machine")
    args = parser.parse_args()
    if args.quick and (args.sections or args.out.resolve() == PERFORMANCE_DOC.resolve()):
        parser.error("--quick figures are not for docs/performance.md: give --out FILE")
    sizes = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="hourbridge-bench-") as tmp:
        folder = Path(tmp)
        figures = {name: run_script(name, extra, folder, sections=args.sections)
                   for name, extra in sizes.items()}
    print("==> plain FastAPI request rate", flush=True)
    plain = fastapi_limit(FASTAPI_REQUESTS["quick" if args.quick else "full"])
    table = rows(figures["ledger"], figures["federation"], figures["reconcile"], plain.rate)
    command = "./scripts/bench" + (" --quick" if args.quick else "")
    section = markdown(table, quick=args.quick, command=command, shared=args.shared)
    print(section)
    path = write_section(DOC_START, DOC_END, section, new_heading=f"{HEADING}\n\n{INTRO}",
                         path=args.out)
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
