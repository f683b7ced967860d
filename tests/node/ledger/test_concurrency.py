"""Many threads, and several processes, spend from one account at once: never an overdraft.

Each competitor tries to move 7 minutes out of an account holding 100; exactly 14 must succeed
whatever the interleaving, and the ledger must verify afterwards.
"""

from __future__ import annotations

import multiprocessing
import threading

from node.config import NodeConfig
from node.errors import ErrorCode, RuleViolation
from node.runtime import Node
from tests.factories import ADMIN, add_members, balance, grant
from tests.support import node_key

START_MINUTES = 100
STEP_MINUTES = 7
ATTEMPTS = 40
EXPECTED_SUCCESSES = START_MINUTES // STEP_MINUTES


def _seed(node: Node) -> None:
    add_members(node, "payer", *[f"r{i}" for i in range(4)])
    grant(node, "payer", START_MINUTES)


def _try_transfers(node: Node, prefix: str, count: int, results: list[str]) -> None:
    for i in range(count):
        try:
            node.transfers.create(ADMIN, transfer_id=f"{prefix}-{i}", debtor="payer",
                                  creditor=f"r{i % 4}", amount_minutes=STEP_MINUTES, memo="")
            results.append("ok")
        except RuleViolation as exc:
            assert exc.code == ErrorCode.INSUFFICIENT_FUNDS
            results.append("refused")


def _assert_no_overdraft(node: Node, successes: int) -> None:
    assert successes == EXPECTED_SUCCESSES
    assert balance(node, "payer") == START_MINUTES - successes * STEP_MINUTES
    assert sum(balance(node, f"r{i}") for i in range(4)) == successes * STEP_MINUTES
    assert node.ledger_admin.verify().ok


def test_threads_never_overdraw(node: Node) -> None:
    _seed(node)
    results: list[str] = []
    threads = [
        threading.Thread(target=_try_transfers, args=(node, f"th{t}", ATTEMPTS // 8, results))
        for t in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == ATTEMPTS
    _assert_no_overdraft(node, results.count("ok"))


def _process_main(config: dict, prefix: str, queue: multiprocessing.Queue) -> None:
    from node.clock import SystemClock
    from node.runtime import open_node

    config = NodeConfig.model_validate(config)
    node = open_node(config, clock=SystemClock(), key=node_key(config.node_id))
    results: list[str] = []
    try:
        _try_transfers(node, prefix, ATTEMPTS // 4, results)
    finally:
        node.close()
    queue.put(results.count("ok"))


def test_processes_never_overdraw(node: Node) -> None:
    """Four OS processes on one database: the lock must hold across processes, not only threads."""
    _seed(node)
    config = {**node.config.model_dump(), "data_dir": node.config.data_dir}
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [
        context.Process(target=_process_main, args=(config, f"p{p}", queue))
        for p in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    successes = sum(queue.get(timeout=5) for _ in processes)
    _assert_no_overdraft(node, successes)
