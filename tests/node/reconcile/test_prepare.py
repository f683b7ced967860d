"""The responder's preparations (node/reconcile/prepare.py `Preparations`) with more links
closing at once than it keeps slots for: a running preparation is never pushed out, a new
proposal is told to come back without starting one, and the running ones get used."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from node.reconcile.prepare import PREPARATIONS_MAX, Plan, Preparations, Prepared


def plan(peer: int) -> Plan:
    return Plan(f"peer{peer}", 1, 5, 5, True, 0, 5)


def test_a_busy_responder_keeps_its_running_preparations_and_uses_them() -> None:
    async def scenario() -> tuple[list[Any], int, list[Any], list[str]]:
        release = asyncio.Event()
        started: list[str] = []

        async def start(wanted: Plan) -> Prepared:
            started.append(wanted.peer)
            await release.wait()
            return cast(Prepared, wanted.peer)  # stands for the statement read

        preparations = Preparations(start)
        links = range(PREPARATIONS_MAX + 2)
        first = [await preparations.ready(plan(i), 0.0) for i in links]  # all come back
        running = len(started)
        release.set()
        await asyncio.sleep(0)
        again = [await preparations.ready(plan(i), 1.0) for i in links]
        await preparations.finish()
        return first, running, again, started

    first, running, again, started = asyncio.run(scenario())

    assert first == [None] * (PREPARATIONS_MAX + 2)
    # Only as many started as there are slots; the others were told to come back.
    assert running == PREPARATIONS_MAX
    # Their closers came back and found them prepared; the others then found room. Nothing
    # was started twice.
    links = [f"peer{i}" for i in range(PREPARATIONS_MAX + 2)]
    assert again == links
    assert sorted(started) == links


def held(preparations: Preparations) -> set[str]:
    return {p.peer for p, _ in preparations._held.values()}


def test_a_hit_keeps_a_preparation_and_a_replaced_one_is_stopped() -> None:
    async def scenario() -> tuple[set[str], bool]:
        async def start(wanted: Plan) -> Prepared:
            if wanted.peer == "peer1" and wanted.generation == 0:
                await asyncio.Event().wait()  # never finishes by itself
            return cast(Prepared, wanted.peer)

        preparations = Preparations(start, limit=2)
        await preparations.ready(plan(0), 1.0)
        await preparations.ready(plan(1), 0.0)
        stale = next(task for p, task in preparations._held.values() if p.peer == "peer1")
        moved = Plan("peer1", 1, 5, 5, True, 1, 5)  # the link's generation moved
        await preparations.ready(moved, 1.0)
        await preparations.ready(plan(0), 1.0)  # a hit: peer0 is now the most recent
        await preparations.ready(plan(2), 1.0)  # pushes out the least recently used
        await asyncio.sleep(0)
        return held(preparations), stale.cancelled()

    kept, stopped = asyncio.run(scenario())

    assert kept == {"peer0", "peer2"}
    assert stopped
