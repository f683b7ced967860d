#!/usr/bin/env python3
"""Server CPU time per request: drive a running node and read its CPU use from /proc.

    .venv/bin/python scripts/http_cpu_probe.py --pid PID --token TOKEN [--kind post]

A development tool for finding where a request's time goes: it reports requests/s and the
server process's user+system CPU per request (Linux only). For `post`, members `alice` and
`bob` must exist on the node and `alice` must hold enough hours.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

CONNECTIONS = 32


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def request(kind: str, token: str, n: int) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n"
    if kind == "healthz":
        return b"GET /healthz HTTP/1.1\r\nHost: probe\r\n\r\n"
    if kind == "balance":
        return f"GET /api/v1/members/alice/balance HTTP/1.1\r\nHost: probe\r\n{auth}\r\n".encode()
    amount = 1 if kind == "post" else 0  # "invalid": refused by validation
    body = json.dumps(
        {
            "id": f"probe-{time.time_ns()}-{n}",
            "from": "alice",
            "to": "bob",
            "amount_minutes": amount,
        }
    ).encode()
    head = (
        f"POST /api/v1/transfers HTTP/1.1\r\nHost: probe\r\n{auth}"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def connection(port: int, kind: str, token: str, count: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for n in range(count):
        writer.write(request(kind, token, n))
        await reader.readline()
        length = 0
        while (line := await reader.readline()) != b"\r\n":
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
    writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pid", type=int, required=True, help="the node's process id")
    parser.add_argument("--token", required=True)
    parser.add_argument("--port", type=int, default=8711)
    parser.add_argument("--kind", choices=["post", "invalid", "balance", "healthz"], default="post")
    parser.add_argument("--requests", type=int, default=4000)
    args = parser.parse_args()
    done, seconds, cpu_us = await drive(args.pid, args.port, args.kind, args.token, args.requests)
    print(f"{args.kind}: {done / seconds:,.0f} requests/s, server CPU {cpu_us:,.0f} µs/request")


async def drive(pid: int, port: int, kind: str, token: str, requests: int
                ) -> tuple[int, float, float]:
    """Send `requests` over CONNECTIONS keep-alive connections; return (requests done, seconds,
    the server's CPU µs per request)."""
    per_connection = requests // CONNECTIONS
    ticks_before, start = cpu_ticks(pid), time.perf_counter()
    await asyncio.gather(
        *(connection(port, kind, token, per_connection) for _ in range(CONNECTIONS))
    )
    seconds = time.perf_counter() - start
    done = per_connection * CONNECTIONS
    cpu_us = (cpu_ticks(pid) - ticks_before) / os.sysconf("SC_CLK_TCK") * 1e6 / done
    return done, seconds, cpu_us


if __name__ == "__main__":
    asyncio.run(main())
