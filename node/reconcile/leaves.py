"""What this node's records say about one link between two cuts: the window's committed
transfers and relocations (the Merkle leaves), its pending reservations, and the chain heads.

Window membership (docs/reconciliation.md): a transfer belongs to the window that holds the
chain transaction in which the creditor's node committed it. The creditor records that
transaction with the transfer; the debtor records the transaction whose response brought the
receipt, which is the same one, because a link carries one transaction at a time and the
creditor answers it before any later one is sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Column, Table, and_, func, select
from sqlalchemy.engine import Connection

from node.db.schema import (
    OPEN_TRANSFER,
    in_transactions,
    out_transactions,
    relocations,
    relocations_in,
    remote_transfers,
    transfers,
)
from node.states import RelocationState, RemoteTransferState, TransferState
from protocol.fields import GENESIS_HASH
from protocol.merkle import TransferLeaf


@dataclass(frozen=True)
class Span:
    """Sequences (after, upto] of one chain."""

    after: int
    upto: int


def _moved(balances_json: str) -> int:
    return sum(item["amount_minutes"] for item in json.loads(balances_json)
               if item["amount_minutes"] > 0)


def outgoing_leaves(conn: Connection, me: str, peer: str, span: Span) -> list[TransferLeaf]:
    """Our members' committed transfers and relocations to `peer` settled in `span` of our
    outgoing chain."""
    seq = out_transactions.c.sequence
    carried = and_(out_transactions.c.peer_node_id == peer, seq > span.after, seq <= span.upto)
    found = [
        TransferLeaf(me, row.wire_id, row.amount_minutes, row.prepare_hash)
        for row in conn.execute(
            select(transfers.c.wire_id, transfers.c.amount_minutes, transfers.c.prepare_hash)
            .join(out_transactions,
                  out_transactions.c.transaction_id == transfers.c.answer_transaction_id)
            .where(transfers.c.peer_node_id == peer,
                   transfers.c.state == TransferState.COMMITTED, carried)
        )
    ]
    for row in conn.execute(
        select(relocations.c.wire_id, relocations.c.balances, relocations.c.prepare_hash)
        .join(out_transactions,
              out_transactions.c.transaction_id == relocations.c.answer_transaction_id)
        .where(relocations.c.to_node == peer,
               relocations.c.state == RelocationState.COMMITTED, carried)
    ):
        found.append(TransferLeaf(me, row.wire_id, _moved(row.balances), row.prepare_hash))
    return found


def incoming_leaves(conn: Connection, peer: str, span: Span) -> list[TransferLeaf]:
    """`peer`'s members' transfers and relocations we committed in `span` of our incoming
    chain."""
    seq = in_transactions.c.sequence
    carried = and_(in_transactions.c.sender == peer, seq > span.after, seq <= span.upto)
    found = [
        TransferLeaf(peer, row.transfer_id, row.amount_minutes, row.prepare_hash)
        for row in conn.execute(
            select(remote_transfers.c.transfer_id, remote_transfers.c.amount_minutes,
                   remote_transfers.c.prepare_hash)
            .join(in_transactions, and_(
                in_transactions.c.sender == remote_transfers.c.debtor_node,
                in_transactions.c.transaction_id == remote_transfers.c.transaction_id))
            .where(remote_transfers.c.debtor_node == peer,
                   remote_transfers.c.state == RemoteTransferState.COMMITTED, carried)
        )
    ]
    for row in conn.execute(
        select(relocations_in.c.relocation_id, relocations_in.c.balances,
               relocations_in.c.prepare_hash)
        .join(in_transactions, and_(
            in_transactions.c.sender == relocations_in.c.from_node,
            in_transactions.c.transaction_id == relocations_in.c.transaction_id))
        .where(relocations_in.c.from_node == peer, carried)
    ):
        found.append(TransferLeaf(peer, row.relocation_id, _moved(row.balances),
                                  row.prepare_hash or ""))
    return found


CHAIN_END = 2**62  # beyond any sequence a chain reaches


def past_cuts(conn: Connection, me: str, peer: str, *, outgoing_cut: int,
              incoming_cut: int) -> tuple[list[TransferLeaf], list[TransferLeaf]]:
    """(outgoing, incoming): the committed transfers and relocations past the two cuts of the
    link, i.e. not yet in any window at or below them."""
    return (outgoing_leaves(conn, me, peer, Span(outgoing_cut, CHAIN_END)),
            incoming_leaves(conn, peer, Span(incoming_cut, CHAIN_END)))


def pending(conn: Connection, peer: str) -> tuple[int, int]:
    """(count, minutes) our members have reserved toward `peer` without a final answer."""
    count, total = conn.execute(
        select(func.count(), func.coalesce(func.sum(transfers.c.amount_minutes), 0))
        .where(OPEN_TRANSFER, transfers.c.peer_node_id == peer)
    ).one()
    moving = [_moved(row.balances) for row in conn.execute(
        select(relocations.c.balances).where(relocations.c.to_node == peer,
                                             relocations.c.state == RelocationState.PENDING))]
    return int(count) + len(moving), int(total) + sum(moving)


def open_transfers(conn: Connection, peer: str) -> list[str]:
    """Wire ids of our transfers to `peer` still holding a reservation."""
    return list(conn.execute(select(transfers.c.wire_id)
                             .where(OPEN_TRANSFER, transfers.c.peer_node_id == peer)).scalars())


def out_head(conn: Connection, peer: str, sequence: int) -> str | None:
    """Hash of our transaction `sequence` to `peer` (genesis for 0); None if we have none."""
    return _head(conn, out_transactions, out_transactions.c.peer_node_id, peer, sequence)


def in_head(conn: Connection, peer: str, sequence: int) -> str | None:
    """Hash of `peer`'s transaction `sequence` to us (genesis for 0); None if we have none."""
    return _head(conn, in_transactions, in_transactions.c.sender, peer, sequence)


def _head(conn: Connection, table: Table, peer_column: Column[str], peer: str,
          sequence: int) -> str | None:
    if sequence == 0:
        return GENESIS_HASH
    found = conn.execute(select(table.c.transaction_hash).where(
        peer_column == peer, table.c.sequence == sequence)).scalar_one_or_none()
    return None if found is None else str(found)
