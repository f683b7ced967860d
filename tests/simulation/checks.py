"""What the simulation asserts after every step, and once the federation is healed.

tests/audit.py does the federation-wide bookkeeping (every ledger verifies, hours conserved
counting reservations and hours in flight, committed on both sides or still open at the
debtor). This module adds what a run of many steps needs on top:

* no member below its floor, read from the stored balances (the audit replays the journal);
* per link, not only federation-wide: A's clearing position with B plus B's with A equals minus
  the hours in flight on that link (credited at the creditor's node, still reserved at the
  debtor's), so once nothing is in flight A's position with B = -(B's position with A);
* no link frozen: honest nodes on a faulty network never disagree about their histories;
* once healed: nothing open, nothing in flight on any link, and the positions cancel exactly;
  then every link that carried anything closes a settlement window (Federation.reconcile), the
  two statements match, and the position they agree on is each side's ledger position.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.db.fast import FastStatement
from node.db.schema import accounts, balances, links, out_transactions
from node.exchange.store import clearing_balance
from protocol.credit import CreditClass
from tests.audit import NodeBooks, audit_books, read_books
from tests.federation import Federation
from tests.simulation.adversary import Adversary

OPEN = ("pending", "in_doubt")
Minted = Mapping[tuple[str, str, str], int]

_MEMBER_BALANCES = FastStatement(
    select(accounts.c.code, accounts.c.floor_minutes, balances.c.credit_class,
           balances.c.balance_minutes)
    .select_from(accounts.join(balances)).where(accounts.c.kind == "member"))
_FROZEN = FastStatement(select(links.c.peer_node_id, links.c.frozen_reason)
                        .where(links.c.frozen_reason.is_not(None)))
_UNANSWERED = FastStatement(select(out_transactions.c.peer_node_id)
                            .where(out_transactions.c.response.is_(None)))


@dataclass
class Snapshot:
    """What the link checks read from one node, in the read transaction of its books."""

    below_floor: list[str]
    positions: dict[str, int]  # peer -> settled clearing position (+: this node owes it)
    committed_from: set[tuple[str, str]]  # (debtor's node, transfer id) committed here
    open_out: list[tuple[str, str, int]]  # (wire id, peer, minutes) of open outgoing transfers
    frozen: list[tuple[str, str]]  # (peer, reason)


def _snapshot(conn: Connection, fed: Federation, node_id: str, books: NodeBooks) -> Snapshot:
    below = [f"{code} holds {value} {credit_class}" for code, floor, credit_class, value
             in _MEMBER_BALANCES.rows(conn, {})
             if value < ((floor or 0) if credit_class == CreditClass.EARNED else 0)]
    return Snapshot(
        below_floor=below,
        positions={peer: clearing_balance(conn, peer) for peer in fed.node_ids
                   if peer != node_id},
        committed_from={(row.debtor_node, row.transfer_id) for row in books.committed},
        open_out=[(row.wire_id, row.peer_node_id, row.amount_minutes)
                  for row in books.cross_node if row.state in OPEN],
        frozen=[(peer, reason) for peer, reason in _FROZEN.rows(conn, {})],
    )


def read_all(fed: Federation, *, verify: bool,
             ) -> tuple[dict[str, NodeBooks], dict[str, Snapshot]]:
    """Every node's books (tests/audit.py) and its link snapshot, in one read transaction per
    node. `verify`: each journal is replayed first, and must verify."""
    books: dict[str, NodeBooks] = {}
    snaps: dict[str, Snapshot] = {}
    for node_id, node in fed.nodes.items():
        with node.db.read() as conn:
            books[node_id] = read_books(conn, node_id, node, verify=verify)
            snaps[node_id] = _snapshot(conn, fed, node_id, books[node_id])
    return books, snaps


def snapshot(fed: Federation, node_id: str) -> Snapshot:
    node = fed.nodes[node_id]
    with node.db.read() as conn:
        return _snapshot(conn, fed, node_id, read_books(conn, node_id, node, verify=False))


def unanswered(fed: Federation, node_id: str) -> list[str]:
    """Peers our last transaction to is still unanswered by."""
    with fed.nodes[node_id].db.read() as conn:
        return [row.peer_node_id for row in _UNANSWERED.rows(conn, {})]


def check_links(fed: Federation, adversary: Adversary | None = None, *,
                snaps: dict[str, Snapshot] | None = None, minted: Minted | None = None,
                ) -> dict[tuple[str, str], int]:
    """Floors, frozen links and every link's positions; returns the minutes in flight per
    (debtor's node, creditor's node). A stolen-key adversary's links may be frozen (a victim
    disputes them), and their positions differ by the minutes it minted. `snaps`: read
    already (`read_all`); `minted`: the adversary's, read already."""
    if snaps is None:
        snaps = {node_id: snapshot(fed, node_id) for node_id in fed.node_ids}
    if minted is None:
        minted = adversary.minted() if adversary else {}
    bad = adversary.node_id if adversary else None
    for snap in snaps.values():
        snap.frozen = [(peer, reason) for peer, reason in snap.frozen if peer != bad]
    committed = set().union(*(snap.committed_from for snap in snaps.values()))
    flying: dict[tuple[str, str], int] = defaultdict(int)
    for node_id, snap in snaps.items():
        assert not snap.below_floor, f"{node_id}: {snap.below_floor[0]} (below its floor)"
        assert not snap.frozen or node_id == bad, \
            f"{node_id}: link to {snap.frozen[0][0]} frozen ({snap.frozen[0][1]})"
        for wire_id, peer, amount in snap.open_out:
            if (node_id, wire_id) in committed:
                flying[(node_id, peer)] += amount
    for a, b in combinations(sorted(fed.node_ids), 2):
        ab, ba = snaps[a].positions[b], snaps[b].positions[a]
        moving = flying.get((a, b), 0) + flying.get((b, a), 0)
        moving += sum(m for (f, v, _), m in minted.items() if {f, v} == {a, b})
        assert ab + ba + moving == 0, (
            f"link {a}/{b}: positions {ab} and {ba} with {moving} minutes in flight")
    return dict(flying)


def check_step(fed: Federation, *, verify: bool,
               adversary: Adversary | None = None) -> dict[str, int]:
    """After every step, whatever is in flight; `verify`: replay every journal as well. Each
    node is read once (`read_all`): tests/audit.py's checks, then this module's."""
    minted = adversary.minted() if adversary else None
    books, snaps = read_all(fed, verify=verify)
    totals = audit_books(books, fed.node_ids, quiescent=False, minted=minted)
    check_links(fed, adversary, snaps=snaps, minted=minted)
    if adversary:
        adversary.check()
    return totals


def check_healed(fed: Federation, adversary: Adversary | None = None) -> dict[str, int]:
    """After healing and settling: every transfer final on both sides, every link square,
    no transaction waiting for an answer."""
    minted = adversary.minted() if adversary else None
    books, snaps = read_all(fed, verify=True)
    totals = audit_books(books, fed.node_ids, minted=minted)
    assert not check_links(fed, adversary, snaps=snaps, minted=minted), \
        "hours still in flight after healing"
    if adversary:
        adversary.check(healed=True)
    for node_id in fed.node_ids:
        waiting = unanswered(fed, node_id)
        assert not waiting, f"{node_id}: a transaction to {waiting[0]} is still unanswered"
    return totals


def check_reconciled(fed: Federation) -> int:
    """Reconcile every link that carried anything; returns how many windows matched."""
    views = fed.reconcile()
    held = {node_id: snapshot(fed, node_id).positions for node_id in fed.node_ids}
    for (closer, peer), view in views.items():
        assert view["state"] == "matched", f"window {closer}/{peer}: {view['state']}"
        agreed = view["closing_position_minutes"]  # what `peer` owes `closer`
        assert agreed == held[peer][closer] == -held[closer][peer], (
            f"window {closer}/{peer} agrees on {agreed}; the ledgers hold "
            f"{held[closer][peer]} and {held[peer][closer]}")
    return len(views)
