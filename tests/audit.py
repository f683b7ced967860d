"""The federation's books, checked from every node's database after (or during) a test: the
conservation checker every federation test ends with. It reads only `nodes` and `node_ids`, so
it serves in-process federations (tests/federation.py) and real processes
(tests/integration/processes.py) alike.

Each node is read once per audit, in one read transaction (`read_books`), with statements
compiled once (node/db/fast.py): the simulation audits every node after every step
(tests/simulation/checks.py), which reads the same books for its own checks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from node.db.fast import FastStatement
from node.db.schema import OPEN_TRANSFER, accounts, balances, links, remote_transfers, transfers
from node.ledger.verify import verify_ledger
from node.runtime import Node


class Books(Protocol):
    @property
    def nodes(self) -> Mapping[str, Node]: ...

    @property
    def node_ids(self) -> Sequence[str]: ...


_OPEN_COUNT = FastStatement(select(func.count().label("n")).select_from(transfers)
                            .where(OPEN_TRANSFER))
_COMMITTED_HERE = FastStatement(
    select(remote_transfers.c.debtor_node, remote_transfers.c.transfer_id,
           remote_transfers.c.prepare_hash)
    .where(remote_transfers.c.state == "committed"))
_BALANCES = FastStatement(
    select(accounts.c.kind, accounts.c.code, balances.c.balance_minutes)
    .select_from(accounts.join(balances)))
_CROSS_NODE = FastStatement(
    select(transfers.c.id, transfers.c.wire_id, transfers.c.state, transfers.c.prepare_hash,
           transfers.c.amount_minutes, transfers.c.peer_node_id)
    .where(transfers.c.peer_node_id.is_not(None)))
_RESERVED = FastStatement(
    select(func.coalesce(func.sum(links.c.reserved_minutes), 0).label("total")))


@dataclass
class NodeBooks:
    """What the audit reads from one node, in one read transaction."""

    committed: list[Any]  # remote transfers committed here: debtor_node, transfer_id, prepare_hash
    totals: dict[str, int]  # balances by account kind, and by clearing account
    cross_node: list[Any]  # id, wire_id, state, prepare_hash, amount_minutes, peer_node_id
    reserved: int  # minutes the links say are reserved


def open_transfers(node: Node) -> int:
    with node.db.read() as conn:
        return int(_OPEN_COUNT.rows(conn, {})[0].n)


def totals(node: Node) -> dict[str, int]:
    """A node's balances by account kind, and by clearing account."""
    with node.db.read() as conn:
        return _totals_in(conn)


def _totals_in(conn: Connection) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for kind, code, value in _BALANCES.rows(conn, {}):
        totals[kind] += value
        if kind == "clearing":
            totals[code] += value
    return totals


def read_books(conn: Connection, node_id: str, node: Node, *, verify: bool) -> NodeBooks:
    """`verify`: replay the journal first (hash chain, balances, floors, checkpoints)."""
    if verify:
        result = verify_ledger(conn, node_id=node_id, verify_key=node.signer.verify_key)
        assert result.ok, f"{node_id}: {result.problems[:3]}"
    return NodeBooks(committed=_COMMITTED_HERE.rows(conn, {}), totals=_totals_in(conn),
                     cross_node=_CROSS_NODE.rows(conn, {}),
                     reserved=int(_RESERVED.rows(conn, {})[0].total))


def audit(fed: Books, *, quiescent: bool = True, verify: bool = True,
          minted: Mapping[tuple[str, str, str], int] | None = None) -> dict[str, int]:
    """The federation's books, checked from every node's database. Returns the totals.

    Always: every ledger verifies (hash chain, balances replay, floors); every node's books
    balance; hours in members' hands, reserved or in flight equal the hours issued minus those
    redeemed; every transfer the creditor's node committed is committed or still open at the
    debtor's node (never released), and every transfer the debtor's node committed the
    creditor's node committed, with the same prepare. Quiescent (no transfer open): each link's
    two clearing balances cancel and nothing is reserved anywhere. `verify=False` skips the
    journal replay (a caller auditing after every step replays it every few steps instead).
    `minted`: prepares forged with a stolen key that a creditor's node committed, by (forger,
    victim, transfer id): minutes nobody issued, which the audit counts apart.
    """
    books: dict[str, NodeBooks] = {}
    for node_id, node in fed.nodes.items():
        with node.db.read() as conn:
            books[node_id] = read_books(conn, node_id, node, verify=verify)
    return audit_books(books, fed.node_ids, quiescent=quiescent, minted=minted)


def audit_books(books: Mapping[str, NodeBooks], node_ids: Sequence[str], *,
                quiescent: bool = True,
                minted: Mapping[tuple[str, str, str], int] | None = None) -> dict[str, int]:
    """`audit`'s checks on books already read (`read_books`, every node's in `books`)."""
    minted = minted or {}
    forged = {(forger, transfer_id) for forger, _, transfer_id in minted}
    committed_at: dict[tuple[str, str], str] = {}
    for node_books in books.values():
        for row in node_books.committed:
            if (row.debtor_node, row.transfer_id) not in forged:
                committed_at[(row.debtor_node, row.transfer_id)] = row.prepare_hash
    in_flight = 0
    seen = 0
    totals = {node_id: node_books.totals for node_id, node_books in books.items()}
    for node_id, node_books in books.items():
        assert sum(v for k, v in totals[node_id].items() if ":" not in k) == 0, node_id
        for row in node_books.cross_node:
            held = committed_at.get((node_id, row.wire_id))
            if row.state == "committed":
                assert held == row.prepare_hash, f"{row.id}: committed here, not at peer"
                seen += 1
            elif row.state in ("rejected", "expired"):
                assert held is None, f"{row.id}: released here but committed at the peer"
            else:
                assert not quiescent, f"{row.id} still {row.state}"
                if held is not None:
                    in_flight += row.amount_minutes
                    seen += 1
    assert seen == len(committed_at), "a peer committed a transfer no debtor node sent"
    clearing = sum(t.get("clearing", 0) for t in totals.values())
    created = sum(minted.values())
    assert clearing + in_flight + created == 0, \
        f"clearing {clearing} + in flight {in_flight} + minted {created} != 0"
    issued = -sum(t.get("issuance", 0) for t in totals.values())
    # A hub's hours in passage (standard §22.4): its transit account is debited while the next
    # leg of a routed transfer is reserved or settled before the previous one, so it offsets
    # its pending and clearing moves and is zero once nothing is half settled there.
    held = sum(t.get("member", 0) + t.get("pending", 0) + t.get("transit", 0)
               for t in totals.values())
    gone = sum(t.get("redemption", 0) + t.get("expiry", 0) for t in totals.values())
    # Hours a creditor's node credited while the debtor's node still holds them reserved are
    # counted on both sides until the receipt arrives: exactly the in-flight amount.
    assert held + gone == issued + in_flight + created, "hours created or destroyed"
    for node_id, node_books in books.items():
        reserved = node_books.reserved
        assert reserved == totals[node_id].get("pending", 0), \
            f"{node_id}: links say {reserved} minutes reserved, the pending account holds " \
            f"{totals[node_id].get('pending', 0)}"
    if quiescent:
        for a in node_ids:
            assert totals[a].get("pending", 0) == 0, f"{a} still holds reservations"
            assert totals[a].get("transit", 0) == 0, f"{a} still holds hours in passage"
            for b in node_ids:
                if a < b:
                    ab = totals[a].get(f"clearing:{b}", 0)
                    ba = totals[b].get(f"clearing:{a}", 0)
                    made = sum(m for (f, v, _), m in minted.items() if {f, v} == {a, b})
                    assert ab + ba + made == 0, f"link {a}/{b}: {ab} + {ba} + {made} != 0"
    return {"issued": issued, "held": held, "clearing": clearing, "in_flight": in_flight}
