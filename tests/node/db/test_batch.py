"""Group commit: batching, per-command isolation, fallback, and waiters on several loops."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from node.db.batch import WriteBatcher
from node.db.schema import node_info
from node.errors import ErrorCode, NodeError, RuleViolation
from node.runtime import Node


def put(key: str) -> object:
    def command(conn: Connection) -> str:
        conn.execute(insert(node_info).values(key=key, value="v"))
        return key

    return command


def refuse_after_writing(key: str) -> object:
    def command(conn: Connection) -> str:
        conn.execute(insert(node_info).values(key=key, value="v"))
        raise RuleViolation(ErrorCode.INSUFFICIENT_FUNDS, "refused after a write")

    return command


def stored(node: Node) -> set[str]:
    with node.db.read() as conn:
        return set(conn.execute(select(node_info.c.key)).scalars()) - {"node_id"}


@pytest.mark.parametrize("on_loop", [True, False], ids=["on-loop", "writer-thread"])
def test_a_refused_command_leaves_nothing_and_its_neighbours_commit(
    node: Node, on_loop: bool
) -> None:
    batcher = WriteBatcher(node.db, on_loop=on_loop)

    async def main() -> list[object]:
        return await asyncio.gather(
            batcher.submit(put("a")), batcher.submit(refuse_after_writing("b")),
            batcher.submit(put("c")), return_exceptions=True,
        )

    results = asyncio.run(main())
    batcher.close()
    assert results[0] == "a" and results[2] == "c"
    assert isinstance(results[1], NodeError)
    assert stored(node) == {"a", "c"}
    assert batcher.commands == 3
    # On the loop, commands queued in one loop iteration commit together. The writer thread may
    # start on the first before the others arrive.
    assert batcher.batches == 1 if on_loop else 1 <= batcher.batches <= 3


def test_a_failing_batch_is_retried_command_by_command(node: Node) -> None:
    """A database error (here a duplicate key) fails only the command that caused it."""
    batcher = WriteBatcher(node.db, on_loop=True)

    async def main() -> list[object]:
        return await asyncio.gather(
            batcher.submit(put("x")), batcher.submit(put("x")), batcher.submit(put("y")),
            return_exceptions=True,
        )

    results = asyncio.run(main())
    assert results[0] == "x" and results[2] == "y"
    assert not isinstance(results[1], NodeError) and isinstance(results[1], Exception)
    assert stored(node) == {"x", "y"}


def test_waiters_on_several_event_loops_each_get_their_answer(node: Node) -> None:
    """Each loop's futures are completed by that loop (a test client runs one per thread)."""
    batcher = WriteBatcher(node.db, on_loop=True)
    answers: dict[str, object] = {}

    def client(key: str) -> None:
        answers[key] = asyncio.run(asyncio.wait_for(batcher.submit(put(key)), timeout=30))

    threads = [threading.Thread(target=client, args=(f"k{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == {f"k{i}": f"k{i}" for i in range(8)}
    assert stored(node) == set(answers)


def test_blocking_callers_share_batches(node: Node) -> None:
    batcher = WriteBatcher(node.db, on_loop=False)
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda i=i: results.append(batcher.run(put(f"t{i}"))))
        for i in range(16)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    batcher.close()
    assert sorted(results) == sorted(f"t{i}" for i in range(16))
    assert batcher.commands == 16 and batcher.batches <= 16


def test_a_closed_batcher_refuses_new_work(node: Node) -> None:
    batcher = WriteBatcher(node.db, on_loop=False)
    batcher.close()
    with pytest.raises(NodeError) as err:
        batcher.run(put("late"))
    assert err.value.code == ErrorCode.OVERLOADED
