"""Reading a time-bank node's books in tests: balances by account and the ledger's soundness."""

from __future__ import annotations

from sqlalchemy import select

from node.db.schema import balances
from node.ledger.verify import verify_ledger
from node.runtime import Node
from node.timebank.common import ESCROW_ACCOUNT, POOL_ACCOUNT


def held(node: Node, account: str) -> int:
    with node.db.read() as conn:
        rows = conn.execute(select(balances.c.balance_minutes).where(
            balances.c.account_code == account)).scalars()
        return int(sum(rows))


def escrow(node: Node) -> int:
    return held(node, ESCROW_ACCOUNT)


def pool(node: Node) -> int:
    return held(node, POOL_ACCOUNT)


def assert_sound(node: Node) -> None:
    """Every entry balanced, the chain intact, the stored balances what a replay gives, all
    balances summing to zero."""
    with node.db.read() as conn:
        result = verify_ledger(conn, node_id=node.config.node_id, verify_key=None)
        total = sum(conn.execute(select(balances.c.balance_minutes)).scalars())
    assert result.ok, result.problems
    assert total == 0
