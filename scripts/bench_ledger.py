#!/usr/bin/env python3
"""Local transfers per second: through the service layer, through the HTTP API, and the raw
sqlite3 rate for the same rows, measured in one run on this machine.

    .venv/bin/python scripts/bench_ledger.py [--transfers 20000] [--write-docs]

Each transfer writes what the node writes: one journal entry, its postings, the balance rows
of both members, the ledger head and the transfer record. The raw sqlite3 figures write those
same rows with plain SQL, with the same pragmas: once with a commit per transfer, once with
commits grouped like the node's batches. They are the limit the node is measured against.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvloop
from bench_docs import write_json, write_section
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from node.access import Principal, Role  # noqa: E402
from node.clock import SystemClock  # noqa: E402
from node.config import NodeConfig, save_config  # noqa: E402
from node.db.engine import Database  # noqa: E402
from node.keys import generate_key_file  # noqa: E402
from node.runtime import Node, bootstrap_database, open_node  # noqa: E402
from protocol.credit import CreditClass  # noqa: E402

console = Console()
MEMBERS = 1_000
THREADS = 32
CONNECTIONS = 32
ADMIN = Principal(Role.ADMIN, "bench")
DOC_START = "<!-- bench_ledger:start -->"
DOC_END = "<!-- bench_ledger:end -->"


@dataclass
class Result:
    name: str
    transfers: int
    seconds: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.transfers / self.seconds


def make_node(data: Path, port: int) -> Node:
    config = NodeConfig(node_id="bench-node", region="310115", url=f"http://127.0.0.1:{port}",
                        port=port, data_dir=str(data), checkpoint_interval_s=0)
    data.mkdir(parents=True)
    generate_key_file(config.key_path, None)
    save_config(config)
    bootstrap_database(Database(config.resolved_database_url()), node_id=config.node_id,
                       now_ms=SystemClock().now_ms())
    node = open_node(config)
    for i in range(MEMBERS):
        node.members.create(ADMIN, local_id=f"m{i}", display_name=f"M{i}", station=None,
                            birth_year=None)
        node.grants.create(ADMIN, grant_id=f"seed{i}", local_id=f"m{i}",
                           amount_minutes=10_000_000, credit_class=CreditClass.EARNED,
                           reason="bench")
    return node


def pairs(count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        a, b = rng.sample(range(MEMBERS), 2)
        out.append((f"m{a}", f"m{b}"))
    return out


def bench_service(node: Node, count: int, progress: Progress) -> Result:
    work = pairs(count, 1)
    task = progress.add_task("service layer", total=count)
    batches0, commands0 = node.writer.batches, node.writer.commands

    def worker(offset: int) -> None:
        for i in range(offset, count, THREADS):
            debtor, creditor = work[i]
            node.transfers.create(ADMIN, transfer_id=f"s{i}", debtor=debtor, creditor=creditor,
                                  amount_minutes=1 + i % 60, memo="")
            progress.advance(task)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    batches = node.writer.batches - batches0
    size = (node.writer.commands - commands0) / max(batches, 1)
    return Result("node service layer", count, seconds,
                  f"{THREADS} threads, mean batch {size:.1f}")


async def _http_load(port: int, token: str, work: list[tuple[str, str]], progress: Progress,
                     task: int) -> list[float]:
    latencies: list[float] = []
    next_index = 0

    async def connection() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while next_index < len(work):
            i = next_index
            next_index += 1
            debtor, creditor = work[i]
            body = json.dumps({"id": f"h{i}", "from": debtor, "to": creditor,
                               "amount_minutes": 1 + i % 60}).encode()
            head = (f"POST /api/v1/transfers HTTP/1.1\r\nHost: bench\r\n"
                    f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            sent = time.perf_counter()
            writer.write(head + body)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) != b"\r\n":
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            if status.split()[1] != b"201":
                raise RuntimeError(f"transfer {i} answered {status!r}")
            latencies.append(time.perf_counter() - sent)
            progress.advance(task)
        writer.close()

    await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
    return latencies


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, server: subprocess.Popen[bytes], what: str) -> None:
    """Until the server just started accepts connections on `port` (30 s at most)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.05)


def bench_http(node: Node, count: int, progress: Progress) -> Result:
    token = node.tokens.create(role=Role.ADMIN, label="bench").token
    data, port = node.config.data_path, node.config.port
    node.close()
    server = subprocess.Popen(
        [sys.executable, "-m", "node.cli.main", "serve", "--data", str(data)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        wait_listening(port, server, "node")
        task = progress.add_task("HTTP API", total=count)
        start = time.perf_counter()
        # uvloop keeps the load generator light, so the server gets the machine's other core.
        uvloop.install()
        latencies = asyncio.run(_http_load(port, token, pairs(count, 2), progress, task))
        seconds = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=10)
    quantiles = statistics.quantiles(latencies, n=100)
    return Result("node HTTP API", count, seconds,
                  f"{CONNECTIONS} keep-alive connections, p50 {quantiles[49] * 1000:.1f} ms, "
                  f"p99 {quantiles[98] * 1000:.1f} ms")


RAW_SCHEMA = """
CREATE TABLE balances (account TEXT, credit_class TEXT, minutes INTEGER,
                       PRIMARY KEY (account, credit_class));
CREATE TABLE head (id INTEGER PRIMARY KEY, height INTEGER, hash TEXT);
CREATE TABLE entries (height INTEGER PRIMARY KEY, entry_id TEXT UNIQUE, kind TEXT, ref TEXT,
                      actor TEXT, memo TEXT, created_at_ms INTEGER, reverses INTEGER,
                      prev_hash TEXT, hash TEXT UNIQUE);
CREATE TABLE postings (height INTEGER, seq INTEGER, account TEXT, credit_class TEXT,
                       minutes INTEGER, PRIMARY KEY (height, seq));
CREATE INDEX postings_account ON postings (account, height);
CREATE TABLE transfers (id TEXT PRIMARY KEY, debtor TEXT, creditor TEXT, minutes INTEGER,
                        memo TEXT, state TEXT, request_hash TEXT, height INTEGER,
                        created_at_ms INTEGER);
"""


def bench_raw(folder: Path, count: int, batch: int, progress: Progress) -> Result:
    path = folder / f"raw-{batch}.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    conn.executescript(RAW_SCHEMA)
    conn.execute("INSERT INTO head VALUES (1, 0, ?)", ("0" * 64,))
    conn.executemany("INSERT INTO balances VALUES (?, 'earned', 10000000)",
                     [(f"member:m{i}",) for i in range(MEMBERS)])
    work = pairs(count, 3)
    task = progress.add_task(f"raw sqlite3, {batch} per commit", total=count)
    start = time.perf_counter()
    for first in range(0, count, batch):
        conn.execute("BEGIN IMMEDIATE")
        for i in range(first, min(first + batch, count)):
            debtor, creditor = work[i]
            minutes = 1 + i % 60
            height = conn.execute("SELECT height FROM head WHERE id = 1").fetchone()[0] + 1
            digest = f"{height:064x}"
            conn.execute("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?)",
                         (height, f"e{i}", "transfer", f"r{i}", "admin", "", 0, None,
                          "0" * 64, digest))
            conn.executemany("INSERT INTO postings VALUES (?,?,?,?,?)", [
                (height, 0, f"member:{debtor}", "earned", -minutes),
                (height, 1, f"member:{creditor}", "earned", minutes)])
            conn.executemany(
                "UPDATE balances SET minutes = minutes + ? WHERE account = ? AND credit_class = ?",
                [(-minutes, f"member:{debtor}", "earned"), (minutes, f"member:{creditor}",
                                                            "earned")])
            conn.execute("UPDATE head SET height = ?, hash = ? WHERE id = 1", (height, digest))
            conn.execute("INSERT INTO transfers VALUES (?,?,?,?,?,?,?,?,?)",
                         (f"r{i}", debtor, creditor, minutes, "", "committed", digest, height, 0))
        conn.execute("COMMIT")
        progress.advance(task, min(batch, count - first))
    seconds = time.perf_counter() - start
    conn.close()
    return Result(f"raw sqlite3, {batch} per commit", count, seconds,
                  "same rows and pragmas, no hashing or checks")


def render(results: list[Result], limits: list[Result], target: float) -> Table:
    table = Table(title="Local transfers per second (SQLite, this machine)")
    table.add_column("path")
    table.add_column("transfers/s", justify="right")
    for limit in limits:
        table.add_column(f"÷ {limit.name}", justify="right")
    table.add_column("notes")
    for result in [*results, *limits]:
        ratios = [f"{result.rate / limit.rate:.2f}" for limit in limits]
        table.add_row(result.name, f"{result.rate:,.0f}", *ratios, result.note)
    return table


def markdown(results: list[Result], limits: list[Result], args: argparse.Namespace,
             target: float) -> str:
    http = next(r for r in results if r.name == "node HTTP API")
    lines = [
        DOC_START,
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{args.transfers:,} transfers per path among {MEMBERS:,} members.",
        "",
        "Command: `.venv/bin/python scripts/bench_ledger.py --transfers "
        f"{args.transfers} --write-docs`",
        "",
        "| path | transfers/s | " + " | ".join(f"÷ {limit.name}" for limit in limits)
        + " | notes |",
        "|---|---:|" + "---:|" * len(limits) + "---|",
    ]
    for result in [*results, *limits]:
        ratios = " | ".join(f"{result.rate / limit.rate:.2f}" for limit in limits)
        lines.append(f"| {result.name} | {result.rate:,.0f} | {ratios} | {result.note} |")
    verdict = "meets" if http.rate >= target else "misses"
    lines += ["", f"Target ≥ {target:,.0f} transfers/s through HTTP: **{verdict}** "
              f"({http.rate:,.0f}/s).", DOC_END]
    return "\n".join(lines)


def write_docs(section: str) -> Path:
    return write_section(DOC_START, DOC_END, section, new_heading="## Ledger: local transfers")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=20_000)
    parser.add_argument("--write-docs", action="store_true",
                        help="record the table in docs/performance.md")
    parser.add_argument("--target", type=float, default=1_500.0)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hourbridge-bench-"))
    try:
        with Progress(console=console, transient=True) as progress:
            setup = progress.add_task(f"creating {MEMBERS:,} members", total=None)
            node = make_node(folder / "node", free_port())
            progress.remove_task(setup)
            service = bench_service(node, args.transfers, progress)
            mean_batch = max(1, round(float(service.note.rsplit(" ", 1)[-1])))
            http = bench_http(node, args.transfers, progress)
            limits = [bench_raw(folder, args.transfers, 1, progress),
                      bench_raw(folder, args.transfers, mean_batch, progress)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results = [service, http]
    console.print(render(results, limits, args.target))
    if args.json:
        write_json(args.json, f".venv/bin/python scripts/bench_ledger.py --transfers "
                   f"{args.transfers}", results=results, limits=limits)
    if args.write_docs:
        console.print(f"written to {write_docs(markdown(results, limits, args, args.target))}")


if __name__ == "__main__":
    main()
