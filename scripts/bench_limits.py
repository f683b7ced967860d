"""The limits the benchmarks measure beside their figures: Ed25519 signing and verifying of
transactions and plain sqlite3 writes (scripts/bench_federation.py), the plain FastAPI request
rate (scripts/bench.py); and the cProfile plumbing for node processes."""

from __future__ import annotations

import asyncio
import pstats
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench_ledger import bench_raw, wait_listening
from http_cpu_probe import CONNECTIONS, drive
from rich.console import Console
from rich.progress import Progress

from protocol.canonical import canonical_bytes
from protocol.credit import CreditClass
from protocol.messages import encode_message
from protocol.messages.transfer import PrepareBody, PrepareMessage, Purpose
from protocol.policy import DEFAULT_POLICY
from protocol.signing import SigningKey, sign_object, verify_object
from protocol.version import STANDARD
from tests.integration.processes import Cluster, free_ports

A, B = "sh-pudong", "nj-gulou"
DEBTORS = 200
SCRIPTS = Path(__file__).resolve().parent


# limits -----------------------------------------------------------------------------------------


@dataclass
class Limit:
    name: str
    rate: float
    unit: str
    note: str


def _transaction(messages: int) -> dict[str, object]:
    now = int(time.time() * 1000)
    prepares = [encode_message(PrepareMessage(message_id=f"{i:032x}", body=PrepareBody(
        transfer_id=f"{i + 1:032x}", debtor=f"m{i % DEBTORS}@{A}", creditor=f"m{i % 7}@{B}",
        amount_minutes=1 + i % 3, credit_class=CreditClass.EARNED, purpose=Purpose.GIFT,
        payment_request_id=None, created_at_ms=now, expires_at_ms=now + 600_000, memo="",
    ))) for i in range(messages)]
    return {"standard": STANDARD, "kind": "transaction", "transaction_id": "ab" * 16,
            "sender": A, "receiver": B, "sequence": 1, "prev_hash": "0" * 64,
            "created_at_ms": now, "messages": prepares}


def _rate(fn: object, seconds: float) -> float:
    assert callable(fn)
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(10):
            fn()
        count += 10
    return count / elapsed


def signing_limits(seconds: float = 1.5) -> list[Limit]:
    key = SigningKey.from_seed(b"bench federation".ljust(32, b"\0"))
    verify = key.verify_key()
    limits = []
    for size in (1, DEFAULT_POLICY.batch_size_max):
        unsigned = _transaction(size)
        signed = sign_object(unsigned, signer=A, key=key)
        per = f"{size} prepare" + ("s" if size > 1 else "")
        nbytes = len(canonical_bytes(unsigned))
        sign_rate = _rate(lambda u=unsigned: sign_object(u, signer=A, key=key), seconds)
        verify_rate = _rate(lambda s=signed: verify_object(s, signer=A, key=verify), seconds)
        limits.append(Limit(f"Ed25519 sign, transaction of {per}", sign_rate * size,
                            "prepares/s", f"{sign_rate:,.0f} transactions/s, {nbytes:,} bytes"))
        limits.append(Limit(f"Ed25519 verify, transaction of {per}", verify_rate * size,
                            "prepares/s", f"{verify_rate:,.0f} transactions/s"))
    return limits


def sqlite_limits(folder: Path, count: int, batch: int, progress: Progress) -> list[Limit]:
    limits = []
    for size in sorted({1, batch}):
        raw = bench_raw(folder, count, size, progress)
        limits.append(Limit(f"raw sqlite3, {size} per commit", raw.rate, "transfers/s",
                            "rows of one local transfer, same pragmas, no hashing or checks"))
    return limits


def fastapi_limit(requests: int) -> Limit:
    """Requests/s of scripts/bench_plain_app.py (FastAPI, uvicorn, the transfer route with
    nothing behind it) in its own process, driven like the node by scripts/http_cpu_probe.py."""
    port = free_ports(1)[0]
    server = subprocess.Popen([sys.executable, str(SCRIPTS / "bench_plain_app.py"), str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_listening(port, server, "the plain FastAPI app")
        asyncio.run(drive(server.pid, port, "post", "plain", min(requests, 1_000)))  # warm up
        done, seconds, cpu_us = asyncio.run(drive(server.pid, port, "post", "plain", requests))
    finally:
        server.terminate()
        server.wait(timeout=10)
    return Limit("plain FastAPI request rate", done / seconds, "requests/s",
                 f"POST of a transfer body, validated and echoed, {CONNECTIONS} keep-alive "
                 f"connections; server CPU {cpu_us:,.0f} µs per request")


# profiling --------------------------------------------------------------------------------------


def profile_nodes(cluster: Cluster, folder: Path) -> None:
    for node in cluster.nodes.values():
        node.command = [sys.executable, "-m", "cProfile", "-o",
                        str(folder / f"{node.node_id}.prof"), "-m", "node.cli.main"]


def stop_profiled(cluster: Cluster) -> None:
    """SIGINT: uvicorn shuts down, the KeyboardInterrupt it raises again unwinds cProfile, which
    writes its file on the way out."""
    for node in cluster.nodes.values():
        if node.process is not None and node.alive():
            node.process.send_signal(signal.SIGINT)
    for node in cluster.nodes.values():
        if node.process is not None:
            node.process.wait(timeout=60)


def show_profiles(folder: Path, top: int, console: Console) -> None:
    for prof in sorted(folder.glob("*.prof")):
        console.rule(f"{prof.stem}: top {top} by own time, then by cumulative time")
        stats = pstats.Stats(str(prof))
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)


# output -----------------------------------------------------------------------------------------


