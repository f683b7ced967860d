#!/usr/bin/env python3
"""Cross-node transfers per second between two real node processes on loopback (SQLite), the
commit latency at a fixed offered rate, and the limits they stand beside, measured in one run.

    .venv/bin/python scripts/bench_federation.py [--transfers 20000] [--concurrency 64]
        [--rate 500] [--rate-seconds 10] [--batch 50] [--both-ways] [--write-docs]
        [--profile DIR]

Two `hourbridge serve` processes (sh-pudong, nj-gulou) under one signed directory, set up by
tests/integration/processes.py as the process tests do. A lean asyncio HTTP/1.1 client in this
process POSTs transfers at sh-pudong to members of nj-gulou; each is reserved, queued, batched
into signed transactions by the sender loop, committed by nj-gulou and settled on its receipt.

* closed loop: `--transfers` transfers over `--concurrency` keep-alive connections, each sent
  as soon as the previous answer on its connection came. Transfers/s = transfers / (last commit
  at A - first request), both wall-clock times: the commit time is the transfer's
  `updated_at_ms` in A's database, which is read read-only beside the running node.
* fixed rate: `--rate` transfers/s for `--rate-seconds`, each request sent at its due time (or
  as soon as a connection is free). Commit latency = `updated_at_ms - created_at_ms` of each
  committed transfer in A's database: from the reservation to the applied receipt.
* `--batch N`: a closed-loop phase posting N transfers per request (POST /api/v1/transfers/batch).
* `--both-ways`: closed-loop phases with half the transfers made at each node, to the other.

Limits, in the same run: protocol.signing's Ed25519 sign and verify of a transaction holding
one prepare and one holding `batch_size_max` (100) prepares, and plain sqlite3 writing the rows
of one local transfer (scripts/bench_ledger.py) with a commit per transfer and with commits
grouped like the node's transactions. `--profile DIR` runs both nodes under cProfile and prints
where their time went (the figures of a profiled run are not written to the docs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvloop
from bench_docs import write_json, write_section
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_limits import (  # noqa: E402  (scripts/ is sys.path[0])
    DEBTORS,
    Limit,
    profile_nodes,
    show_profiles,
    signing_limits,
    sqlite_limits,
    stop_profiled,
)

from tests.integration.processes import Cluster, check_books  # noqa: E402

console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
A, B = "sh-pudong", "nj-gulou"
CREDITORS = 50
GRANT_MINUTES = 10_000_000
POLL_S = 0.25
DOC_START = "<!-- bench_federation:start -->"
DOC_END = "<!-- bench_federation:end -->"
THROUGHPUT_TARGET = 2_000.0
P99_TARGET_MS = 100.0


@dataclass
class Phase:
    name: str
    transfers: int
    per_request: int = 1  # transfers per HTTP request (>1: POST /api/v1/transfers/batch)
    both_ways: bool = False  # half the transfers made at each node, to the other
    first_send_ms: float = 0.0
    posted_s: float = 0.0
    last_commit_ms: int = 0
    committed: int = 0
    other_states: dict[str, int] = field(default_factory=dict)
    commit_ms: list[int] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)  # from due time to the 201
    transactions: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)  # CPU seconds used, by process
    wall_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.committed / max((self.last_commit_ms - self.first_send_ms) / 1000, 1e-9)

    @property
    def per_transaction(self) -> float:
        return self.committed / max(self.transactions, 1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_now(cluster: Cluster) -> dict[str, float]:
    used = {"load generator": time.process_time()}
    for node in cluster.nodes.values():
        assert node.process is not None
        used[node.node_id] = cpu_seconds(node.process.pid)
    return used


def quantile(values: list[float] | list[int], q: int) -> float:
    if len(values) < 2:
        return float(values[0]) if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# load -----------------------------------------------------------------------------------------


def _request(token: str, path: str, body: bytes) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: bench\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def _post_all(port: int, token: str, phase: Phase, prefix: str, *, concurrency: int,
                    rate: float, progress: Progress, task: int, per_request: int = 1,
                    count: int = 0, reverse: bool = False) -> None:
    rng = random.Random(prefix)
    senders, receivers, to_node = (CREDITORS, DEBTORS, A) if reverse else (DEBTORS, CREDITORS, B)
    work = [(f"{prefix}{i}", f"m{rng.randrange(senders)}",
             f"m{rng.randrange(receivers)}@{to_node}", 1 + i % 3)
            for i in range(count or phase.transfers)]
    next_index = 0
    start = time.perf_counter()
    phase.first_send_ms = phase.first_send_ms or time.time() * 1000

    async def connection() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while next_index < len(work):
            i = next_index
            chunk = work[i:i + per_request]
            next_index += len(chunk)
            due = start + i / rate if rate else time.perf_counter()
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            items = [{"id": transfer_id, "from": debtor, "to": creditor,
                      "amount_minutes": minutes}
                     for transfer_id, debtor, creditor, minutes in chunk]
            if per_request == 1:
                transfer_id = items[0]["id"]
                writer.write(_request(token, "/api/v1/transfers", json.dumps(items[0]).encode()))
            else:
                transfer_id = f"{items[0]['id']}..{items[-1]['id']}"
                writer.write(_request(token, "/api/v1/transfers/batch",
                                      json.dumps({"items": items}).encode()))
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) != b"\r\n":
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            answer = await reader.readexactly(length)
            if status.split()[1] != b"201":
                raise RuntimeError(f"transfer {transfer_id} answered {status!r}: {answer[:300]!r}")
            phase.post_ms.extend([(time.perf_counter() - due) * 1000] * len(chunk))
            progress.advance(task, len(chunk))
        writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    phase.posted_s = time.perf_counter() - start


def run_phase(cluster: Cluster, phase: Phase, prefix: str, *, concurrency: int, rate: float,
              progress: Progress) -> Phase:
    origins = [cluster[A], cluster[B]] if phase.both_ways else [cluster[A]]
    cpu_before, wall_before = cpu_now(cluster), time.perf_counter()
    offered = f" at {rate:,.0f}/s" if rate else f" over {concurrency} connections"
    posting = progress.add_task(f"{phase.name}: posting{offered}", total=phase.transfers)
    share = phase.transfers // len(origins)

    async def post_everywhere() -> None:
        await asyncio.gather(*(
            _post_all(node.port, node.token, phase, prefix, concurrency=concurrency // len(origins),
                      rate=rate / len(origins), progress=progress, task=posting,
                      per_request=phase.per_request, count=share, reverse=node is cluster[B])
            for node in origins))

    asyncio.run(post_everywhere())
    committing = progress.add_task(f"{phase.name}: waiting for commits", total=phase.transfers)
    like = (prefix + "%",)
    deadline = time.monotonic() + 120 + phase.transfers / 100

    def query(sql: str, args: tuple[object, ...]) -> list[tuple[Any, ...]]:
        return [row for node in origins for row in node.query(sql, args)]

    while True:
        counts: dict[str, int] = {}
        for state, count in query(
                "SELECT state, count(*) FROM transfers WHERE id LIKE ? GROUP BY state", like):
            counts[state] = counts.get(state, 0) + count
        progress.update(committing, completed=counts.get("committed", 0))
        if not counts.get("pending") and not counts.get("in_doubt"):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"{phase.name}: still open after the deadline: {counts}")
        time.sleep(POLL_S)
    phase.wall_s = time.perf_counter() - wall_before
    phase.cpu_s = {k: v - cpu_before[k] for k, v in cpu_now(cluster).items()}
    phase.committed = counts.pop("committed", 0)
    phase.other_states = counts
    rows = query("SELECT created_at_ms, updated_at_ms FROM transfers "
                 "WHERE id LIKE ? AND state = 'committed'", like)
    if not rows:
        raise RuntimeError(f"{phase.name}: nothing committed: {counts}")
    phase.commit_ms = [updated - created for created, updated in rows]
    phase.last_commit_ms = max(updated for _, updated in rows)
    phase.transactions = sum(count for (count,) in query(
        "SELECT count(*) FROM out_transactions WHERE created_at_ms >= ?",
        (int(phase.first_send_ms),)))
    return phase


def rows(phases: list[Phase], limits: list[Limit]) -> tuple[list[list[str]], list[str]]:
    closed = phases[0]
    header = ["measure", "rate", f"{closed.name} ÷ this", "notes"]
    out = []
    for phase in phases:
        other = (", " + ", ".join(f"{n} {s}" for s, n in phase.other_states.items())
                 if phase.other_states else "")
        out.append([
            f"cross-node transfers, {phase.name}", f"{phase.rate:,.0f} transfers/s",
            "1.00" if phase is closed else "",
            f"{phase.committed:,} committed{other}; POSTs answered at "
            f"{phase.transfers / phase.posted_s:,.0f}/s; commit latency p50 "
            f"{quantile(phase.commit_ms, 50):.0f} ms, p99 {quantile(phase.commit_ms, 99):.0f} ms;"
            f" POST p99 {quantile(phase.post_ms, 99):.1f} ms; "
            f"{phase.per_transaction:.1f} transfers per signed transaction; CPU per transfer "
            + ", ".join(f"{who} {used * 1000 / phase.committed:.2f} ms "
                        f"({used / phase.wall_s:.0%} busy)"
                        for who, used in phase.cpu_s.items()),
        ])
    for limit in limits:
        out.append([limit.name, f"{limit.rate:,.0f} {limit.unit}",
                    f"{closed.rate / limit.rate:.3f}", limit.note])
    return out, header


def verdicts(phases: list[Phase]) -> list[str]:
    lines = [f"Target ≥ {THROUGHPUT_TARGET:,.0f} cross-node transfers/s, {phase.name}: "
             f"**{'meets' if phase.rate >= THROUGHPUT_TARGET else 'misses'}** "
             f"({phase.rate:,.0f}/s)."
             for phase in phases if phase.name.startswith("closed loop")]
    fixed = next((phase for phase in phases if phase.name.startswith("fixed rate")), None)
    if fixed is not None:
        p99 = quantile(fixed.commit_ms, 99)
        lines.append(f"Target p99 commit latency < {P99_TARGET_MS:.0f} ms at "
                     f"{fixed.name.removeprefix('fixed rate ')}: "
                     f"**{'meets' if p99 < P99_TARGET_MS else 'misses'}** ({p99:.0f} ms).")
    return lines


def command_line(args: argparse.Namespace) -> str:
    return (f".venv/bin/python scripts/bench_federation.py --transfers {args.transfers} "
            f"--concurrency {args.concurrency} --rate {args.rate:g} "
            f"--rate-seconds {args.rate_seconds:g} --batch {args.batch}"
            f"{' --both-ways' if args.both_ways else ''}"
            f"{f' --window {args.window}' if args.window else ''} --write-docs")


def markdown(phases: list[Phase], limits: list[Limit], args: argparse.Namespace) -> str:
    table, header = rows(phases, limits)
    lines = [
        DOC_START,
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores (both nodes and the "
        f"load generator share them), Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}; {DEBTORS} members at {A} send to {CREDITORS} at {B}.",
        "",
        f"Command: `{command_line(args)}`",
        "",
        "| " + " | ".join(header) + " |",
        "|---|---:|---:|---|",
        *("| " + " | ".join(row) + " |" for row in table),
        "",
        *verdicts(phases),
        DOC_END,
    ]
    return "\n".join(lines)


def write_docs(section: str) -> Path:
    return write_section(DOC_START, DOC_END, section,
                         new_heading="## Federation: cross-node transfers")


# main -------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=20_000,
                        help="transfers in the closed-loop phase")
    parser.add_argument("--concurrency", type=int, default=64,
                        help="keep-alive connections to node A")
    parser.add_argument("--rate", type=float, default=500.0,
                        help="offered transfers/s of the fixed-rate phase (0: skip it)")
    parser.add_argument("--rate-seconds", type=float, default=10.0)
    parser.add_argument("--both-ways", action="store_true",
                        help="add closed-loop phases with half the transfers made at each node")
    parser.add_argument("--batch", type=int, default=50,
                        help="a second closed-loop phase posting this many transfers per "
                        "request to /api/v1/transfers/batch (0 or 1: skip it)")
    parser.add_argument("--write-docs", action="store_true",
                        help="record the table in docs/performance.md")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="run both nodes under cProfile, keep the .prof files in DIR")
    parser.add_argument("--top", type=int, default=30, help="profile lines to print")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--window", type=int, default=0,
                        help="transactions in flight per link (exchange_window, standard §6.5) "
                        "both nodes run with; 0: the node's default, 1: one at a time")
    args = parser.parse_args()
    if args.profile and args.write_docs:
        parser.error("a profiled run is slower; its figures are not for the docs")
    folder = Path(tempfile.mkdtemp(prefix="hourbridge-bench-fed-"))
    cluster: Cluster | None = None
    phases: list[Phase] = []
    uvloop.install()  # a light load generator leaves the cores to the nodes
    try:
        with Progress(console=console, transient=True) as progress:
            setup = progress.add_task("starting two nodes, seeding members", total=None)
            # Production retry timings: env={} (the tests shorten them).
            window = {"HOURBRIDGE_EXCHANGE_WINDOW": str(args.window)} if args.window else {}
            cluster = Cluster(folder / "fed", [A, B], env=window)
            if args.profile:
                args.profile.mkdir(parents=True, exist_ok=True)
                profile_nodes(cluster, args.profile.resolve())
            cluster.start()
            cluster.seed(A, [f"m{i}" for i in range(DEBTORS)], minutes=GRANT_MINUTES)
            cluster.seed(B, [f"m{i}" for i in range(CREDITORS)], minutes=GRANT_MINUTES)
            progress.remove_task(setup)
            phases.append(run_phase(cluster, Phase("closed loop", args.transfers), "c-",
                                    concurrency=args.concurrency, rate=0, progress=progress))
            if args.batch > 1:
                phases.append(run_phase(
                    cluster, Phase(f"closed loop, {args.batch} per request", args.transfers,
                                   per_request=args.batch),
                    "b-", concurrency=max(4, args.concurrency // args.batch * 2), rate=0,
                    progress=progress))
            if args.both_ways:
                phases.append(run_phase(cluster, Phase("closed loop, both ways", args.transfers,
                                                       both_ways=True),
                                        "w-", concurrency=args.concurrency, rate=0,
                                        progress=progress))
                if args.batch > 1:
                    phases.append(run_phase(
                        cluster, Phase(f"closed loop, both ways, {args.batch} per request",
                                       args.transfers, per_request=args.batch, both_ways=True),
                        "v-", concurrency=max(8, args.concurrency // args.batch * 2),
                        rate=0, progress=progress))
            if args.rate:
                count = round(args.rate * args.rate_seconds)
                phases.append(run_phase(cluster, Phase(f"fixed rate {args.rate:,.0f}/s", count),
                                        "r-", concurrency=args.concurrency, rate=args.rate,
                                        progress=progress))
            if args.profile:
                stop_profiled(cluster)
            else:
                cluster.stop()
            audit = progress.add_task("checking conservation in both databases", total=None)
            started = time.perf_counter()
            totals = check_books(cluster)
            progress.remove_task(audit)
            console.print(f"books balance ({time.perf_counter() - started:.1f} s): {totals}")
            limits = signing_limits()
            batch = max(1, round(phases[0].per_transaction))
            limits += sqlite_limits(folder, min(args.transfers, 20_000), batch, progress)
    finally:
        if cluster is not None:
            cluster.close()
        shutil.rmtree(folder, ignore_errors=True)
    table, header = rows(phases, limits)
    shown = Table(*header, title="Cross-node transfers, two nodes on loopback (SQLite)")
    for row in table:
        shown.add_row(*row)
    console.print(shown)
    for line in verdicts(phases):
        console.print(line.replace("**", ""))
    if args.profile:
        show_profiles(args.profile, args.top, console)
    if args.json:
        write_json(args.json, command_line(args).removesuffix(" --write-docs"), phases=[
            {"name": phase.name, "rate": phase.rate, "committed": phase.committed,
             "commit_p99_ms": quantile(phase.commit_ms, 99)} for phase in phases],
            limits=limits)
    if args.write_docs:
        console.print(f"written to {write_docs(markdown(phases, limits, args))}")


if __name__ == "__main__":
    main()
