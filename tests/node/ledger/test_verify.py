"""Changing any stored journal row makes verification fail and name the entry."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from node.db.schema import (
    balances,
    checkpoints,
    journal_entries,
    ledger_head,
    postings,
    transfers,
)
from node.ledger.hashing import rehash
from node.runtime import Node
from tests.factories import add_members, grant, transfer


@pytest.fixture
def ledger_node(node: Node) -> Node:
    add_members(node, "alice", "bob")
    grant(node, "alice", 300)
    for minutes in (10, 20, 30, 40):
        transfer(node, "alice", "bob", minutes)
    return node  # entries 1..5


def first_problem(node: Node) -> tuple[int | None, str]:
    result = node.ledger_admin.verify()
    assert not result.ok
    return result.problems[0].height, result.problems[0].code


def test_untouched_ledger_verifies(ledger_node: Node) -> None:
    ledger_node.ledger_admin.checkpoint()
    result = ledger_node.ledger_admin.verify()
    assert result.ok, result.problems
    assert (result.entries, result.checkpoints) == (5, 1)


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        (postings, "amount_minutes", 25),
        (postings, "account_code", "member:alice"),
        (journal_entries, "memo", "edited"),
        (journal_entries, "actor", "admin:someone-else"),
        (journal_entries, "created_at_ms", 1),
        (journal_entries, "kind", "grant"),
    ],
)
def test_changed_row_is_named(ledger_node: Node, table, column: str, value: object) -> None:
    height_column = table.c.entry_height if table is postings else table.c.height
    with ledger_node.db.write() as conn:
        changed = conn.execute(
            update(table).where(height_column == 3).values({column: value})
        ).rowcount
    assert changed >= 1
    assert first_problem(ledger_node) == (3, "entry_hash_mismatch")


def test_rewritten_hash_breaks_the_chain_at_that_entry(ledger_node: Node) -> None:
    """Someone edits entry 3 and recomputes its hash: entry 4 still chains to the old one."""
    with ledger_node.db.write() as conn:
        conn.execute(update(journal_entries).where(journal_entries.c.height == 3)
                     .values(memo="forged"))
        forged = ledger_node.ledger.load_entry(conn, 3)
        conn.execute(update(journal_entries).where(journal_entries.c.height == 3)
                     .values(entry_hash=rehash(forged, ledger_node.config.node_id)))
    assert first_problem(ledger_node) == (3, "chain_break")


def test_rewritten_last_entry_is_caught_by_the_signed_checkpoint(ledger_node: Node) -> None:
    ledger_node.ledger_admin.checkpoint()
    with ledger_node.db.write() as conn:
        conn.execute(update(journal_entries).where(journal_entries.c.height == 5)
                     .values(memo="forged"))
        forged = ledger_node.ledger.load_entry(conn, 5)
        new_hash = rehash(forged, ledger_node.config.node_id)
        conn.execute(update(journal_entries).where(journal_entries.c.height == 5)
                     .values(entry_hash=new_hash))
        conn.execute(update(ledger_head).values(head_hash=new_hash))
        conn.execute(update(checkpoints).values(head_hash=new_hash))
    assert first_problem(ledger_node) == (5, "checkpoint_mismatch")


def test_changed_balance_row_is_named(ledger_node: Node) -> None:
    with ledger_node.db.write() as conn:
        conn.execute(update(balances).where(balances.c.account_code == "member:bob")
                     .values(balance_minutes=1))
    result = ledger_node.ledger_admin.verify()
    assert [p.code for p in result.problems][:1] == ["balance_mismatch"]
    assert "member:bob" in result.problems[0].message


def test_deleted_entry_is_a_gap(ledger_node: Node) -> None:
    with ledger_node.db.write() as conn:
        conn.execute(transfers.delete().where(transfers.c.entry_height == 4))
        conn.execute(postings.delete().where(postings.c.entry_height == 4))
        conn.execute(journal_entries.delete().where(journal_entries.c.height == 4))
    height, code = first_problem(ledger_node)
    assert (height, code) == (5, "height_gap")
