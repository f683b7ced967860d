"""The serving side of scripts/bench_history.py (issue 17, items 2, 3 and 7): what a node's
API answers while a big window closes, the reports' time and a statement page deep in the
history. Same in-process pair as bench_history.py (tests/federation.py): both nodes and the
API share one event loop, so a stall of either node's reconciliation shows in every answer."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from node.access import Role
from node.reports import federation
from tests.federation import Federation
from tests.support import AUTHORITY

PROBE_S = 0.005
STATEMENT_PAGE = 50
STATEMENT_REPEAT = 5


def quantile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


@dataclass
class Serving:
    transfers: int  # cross-node transfers in the window
    entries: int  # journal entries of both nodes when it closed
    close_s: float
    state: str  # the window's state after the first close
    come_backs: int  # "come back" answers the closer waited on
    reads: int
    read_p50_ms: float
    read_p99_ms: float
    read_max_ms: float
    local_p50_ms: float
    local_p99_ms: float
    local_max_ms: float
    lag_max_ms: float


@dataclass
class Reading:
    node_report_s: float
    federation_report_s: float
    statement_first_ms: float
    statement_deep_ms: float
    deep_height: int


async def _close_while_serving(fed: Federation, closer: str, peer: str,
                               members: int) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    reconciler = fed.nodes[closer].reconciler
    come_backs: list[float] = []
    real_pause = reconciler.pause

    async def pause(seconds: float) -> None:
        come_backs.append(seconds)
        await real_pause(seconds)

    reconciler.pause = pause
    closing = asyncio.ensure_future(reconciler.close(peer))
    lags: list[float] = []
    reads: list[float] = []
    locals_: list[float] = []

    async def probe() -> None:
        while not closing.done():
            started = loop.time()
            await asyncio.sleep(PROBE_S)
            lags.append(loop.time() - started - PROBE_S)

    async def serve(client: httpx.AsyncClient, lane: int) -> None:
        serial = 0
        while not closing.done():
            serial += 1
            member = (serial * 7 + lane) % members
            started = loop.time()
            read = await client.get(f"/api/v1/members/m{member}/balance")
            reads.append(loop.time() - started)
            started = loop.time()
            local = await client.post("/api/v1/transfers", json={
                "id": f"serve{lane}-{serial}-{time.monotonic_ns()}",
                "from": f"m{member}@{closer}", "to": f"m{(member + 1) % members}@{closer}",
                "amount_minutes": 1, "memo": ""})
            locals_.append(loop.time() - started)
            if (read.status_code, local.status_code) != (200, 201):
                raise SystemExit(f"API refused during the close: {local.text[:300]}")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fed.network.apps[closer]),
                                 base_url=f"http://{closer}.test",
                                 headers={"Authorization": f"Bearer {fed.tokens[closer]}"}
                                 ) as client:
        started = time.perf_counter()
        await asyncio.gather(probe(), serve(client, 1), serve(client, 2), closing)
        close_s = time.perf_counter() - started
    reconciler.pause = real_pause
    return {"view": closing.result(), "close_s": close_s, "lags": lags, "reads": reads,
            "locals": locals_, "come_backs": len(come_backs)}


def close_while_serving(fed: Federation, closer: str, peer: str, *, members: int,
                        transfers: int, entries: int) -> Serving:
    found = fed.run(_close_while_serving(fed, closer, peer, members))
    reads, locals_ = found["reads"], found["locals"]
    return Serving(
        transfers=transfers, entries=entries, close_s=found["close_s"],
        state=found["view"]["state"], come_backs=found["come_backs"], reads=len(reads),
        read_p50_ms=1000 * quantile(reads, 0.5), read_p99_ms=1000 * quantile(reads, 0.99),
        read_max_ms=1000 * max(reads, default=0.0),
        local_p50_ms=1000 * quantile(locals_, 0.5), local_p99_ms=1000 * quantile(locals_, 0.99),
        local_max_ms=1000 * max(locals_, default=0.0),
        lag_max_ms=1000 * max(found["lags"], default=0.0))


def _timed(fed: Federation, node_id: str, path: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = fed.call(node_id, "GET", path)
        times.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise SystemExit(f"GET {path}: {answer.status_code} {answer.text[:300]}")
    return statistics.median(times)


def read_side(fed: Federation, node_id: str, *, member: str, height: int) -> Reading:
    """The node report (over HTTP, after a fresh checkpoint), the federation report (both
    nodes' reports collected and verified, signed, rendered) and a statement page at the top
    and a tenth of the way up the journal."""
    for node in fed.nodes.values():
        node.ledger_admin.checkpoint()
    node_report_s = _timed(fed, node_id, "/api/v1/reports/node", 3)
    tokens = {n: fed.nodes[n].tokens.create(role=Role.REGULATOR, label="bench").token
              for n in fed.node_ids}
    client = httpx.AsyncClient(mounts={
        f"http://{n}.test": httpx.ASGITransport(app=fed.network.apps[n]) for n in fed.node_ids})
    with tempfile.TemporaryDirectory(prefix="hourbridge-bench-report-") as out:
        started = time.perf_counter()
        fed.run(federation.build_async(directory=fed.directory, tokens=tokens,
                                       out_dir=Path(out), key=AUTHORITY,
                                       now_ms=fed.clock.now_ms(), client=client))
        federation_s = time.perf_counter() - started
    deep = max(1, height // 10)
    page = f"/api/v1/members/{member}/statement?limit={STATEMENT_PAGE}"
    first = _timed(fed, node_id, page, STATEMENT_REPEAT)
    deeper = _timed(fed, node_id, f"{page}&before_height={deep}", STATEMENT_REPEAT)
    return Reading(node_report_s, federation_s, 1000 * first, 1000 * deeper, deep)
