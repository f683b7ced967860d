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
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import select

from node.db.schema import accounts, balances, links, out_transactions, remote_transfers, transfers
from node.exchange.store import clearing_balance
from protocol.credit import CreditClass
from tests.audit import audit
from tests.federation import Federation
from tests.simulation.adversary import Adversary


@dataclass
class Snapshot:
    """What the checks read from one node, in one read transaction."""

    below_floor: list[str]
    positions: dict[str, int]  # peer -> settled clearing position (+: this node owes it)
    committed_from: set[tuple[str, str]]  # (debtor's node, transfer id) committed here
    open_out: list[tuple[str, str, int]]  # (wire id, peer, minutes) of open outgoing transfers
    frozen: list[tuple[str, str]]  # (peer, reason)
    unanswered: list[str]  # peers our last transaction to is still unanswered by


def snapshot(fed: Federation, node_id: str) -> Snapshot:
    with fed.nodes[node_id].db.read() as conn:
        rows = conn.execute(
            select(accounts.c.code, accounts.c.floor_minutes, balances.c.credit_class,
                   balances.c.balance_minutes)
            .select_from(accounts.join(balances)).where(accounts.c.kind == "member")).all()
        below = [f"{code} holds {value} {credit_class}" for code, floor, credit_class, value
                 in rows if value < ((floor or 0) if credit_class == CreditClass.EARNED else 0)]
        return Snapshot(
            below_floor=below,
            positions={peer: clearing_balance(conn, peer) for peer in fed.node_ids
                       if peer != node_id},
            committed_from=set(conn.execute(
                select(remote_transfers.c.debtor_node, remote_transfers.c.transfer_id)
                .where(remote_transfers.c.state == "committed"))),
            open_out=list(conn.execute(
                select(transfers.c.wire_id, transfers.c.peer_node_id, transfers.c.amount_minutes)
                .where(transfers.c.state.in_(("pending", "in_doubt")),
                       transfers.c.peer_node_id.is_not(None)))),
            frozen=list(conn.execute(select(links.c.peer_node_id, links.c.frozen_reason)
                                     .where(links.c.frozen_reason.is_not(None)))),
            unanswered=list(conn.execute(select(out_transactions.c.peer_node_id)
                                         .where(out_transactions.c.response.is_(None)))
                            .scalars()),
        )


def check_links(fed: Federation, adversary: Adversary | None = None,
                ) -> dict[tuple[str, str], int]:
    """Floors, frozen links and every link's positions; returns the minutes in flight per
    (debtor's node, creditor's node). A stolen-key adversary's links may be frozen (a victim
    disputes them), and their positions differ by the minutes it minted."""
    snaps = {node_id: snapshot(fed, node_id) for node_id in fed.node_ids}
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
    """After every step, whatever is in flight; `verify`: replay every journal as well."""
    totals = audit(fed, quiescent=False, verify=verify,
                   minted=adversary.minted() if adversary else None)
    check_links(fed, adversary)
    if adversary:
        adversary.check()
    return totals


def check_healed(fed: Federation, adversary: Adversary | None = None) -> dict[str, int]:
    """After healing and settling: every transfer final on both sides, every link square,
    no transaction waiting for an answer."""
    totals = audit(fed, minted=adversary.minted() if adversary else None)
    assert not check_links(fed, adversary), "hours still in flight after healing"
    if adversary:
        adversary.check(healed=True)
    for node_id in fed.node_ids:
        waiting = snapshot(fed, node_id).unanswered
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
