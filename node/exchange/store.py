"""SQL for the exchange: the link rows, the outbox, and both directions' stored transactions.

Every function takes the open connection of a write (or read) the caller holds, so each change
here joins the database transaction of the ledger change it belongs to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, case, delete, func, insert, null, select, update
from sqlalchemy.engine import Connection

from node.db.fast import FastStatement, insert_row
from node.db.rows import (
    AccountRow,
    InMessageRow,
    InTransactionRow,
    LinkRow,
    OutboxRow,
    OutTransactionRow,
)
from node.db.schema import (
    accounts,
    balances,
    in_messages,
    in_transactions,
    links,
    out_transactions,
    outbox,
)
from node.errors import require
from node.ledger.model import AccountKind, clearing_account
from protocol.chain import LinkState
from protocol.fields import GENESIS_HASH
from protocol.transaction import Transaction


@dataclass(frozen=True)
class Link:
    peer_node_id: str
    out_sequence: int
    out_hash: str
    in_sequence: int
    in_hash: str
    frozen_reason: str | None
    frozen_detail: str | None


_LINK = FastStatement(select(links).where(links.c.peer_node_id == bindparam("peer")))
_INSERT_LINK = insert_row(links)


def link(conn: Connection, peer: str) -> Link:
    """The link with `peer`, created at the genesis of both chains on first use."""
    rows = _LINK.rows(conn, {"peer": peer})
    if not rows:
        _INSERT_LINK.run(conn, LinkRow(
            peer_node_id=peer, out_sequence=0, out_hash=GENESIS_HASH, in_sequence=0,
            in_hash=GENESIS_HASH, reserved_minutes=0,
        ).values())
        rows = _LINK.rows(conn, {"peer": peer})
    row = rows[0]
    return Link(row.peer_node_id, row.out_sequence, row.out_hash, row.in_sequence, row.in_hash,
                row.frozen_reason, row.frozen_detail)


def freeze(conn: Connection, peer: str, *, reason: str, detail: str, now_ms: int) -> bool:
    """Freeze the link with `peer` unless it is frozen already (the first reason stays);
    True if this call froze it."""
    link(conn, peer)
    changed = conn.execute(update(links).where(links.c.peer_node_id == peer,
                                               links.c.frozen_reason.is_(None))
                           .values(frozen_reason=reason, frozen_detail=detail[:500],
                                   frozen_at_ms=now_ms))
    return bool(changed.rowcount)


def unfreeze(conn: Connection, peer: str) -> None:
    conn.execute(update(links).where(links.c.peer_node_id == peer)
                 .values(frozen_reason=None, frozen_detail=None, frozen_at_ms=None))


class Chain(StrEnum):
    """One of the two chains of a link, as this node holds them."""

    IN = "in"  # the peer's transactions to us
    OUT = "out"  # ours to the peer


# Compare-and-set: the head moves only from the state the caller read, so a write racing it
# (or a caller holding a stale head) changes nothing and is caught by the row count.
_ADVANCE = {
    Chain.IN: FastStatement(
        update(links).where(links.c.peer_node_id == bindparam("peer"),
                            links.c.in_sequence == bindparam("old_seq"),
                            links.c.in_hash == bindparam("old_hash"))
        .values(in_sequence=bindparam("seq"), in_hash=bindparam("hash"))),
    Chain.OUT: FastStatement(
        update(links).where(links.c.peer_node_id == bindparam("peer"),
                            links.c.out_sequence == bindparam("old_seq"),
                            links.c.out_hash == bindparam("old_hash"))
        .values(out_sequence=bindparam("seq"), out_hash=bindparam("hash"))),
}


def head(link: Link, chain: Chain) -> LinkState:
    """The head of one chain of `link`."""
    if chain is Chain.IN:
        return LinkState(link.in_sequence, link.in_hash)
    return LinkState(link.out_sequence, link.out_hash)


def advance(conn: Connection, peer: str, chain: Chain, old: LinkState,
            transaction: Transaction) -> LinkState:
    """The one writer of chain heads: move `chain` of the link with `peer` from `old` to
    `transaction`, which must follow it (next sequence, previous hash = the old head). A
    transaction that does not follow, or a head that moved since `old` was read, is a bug or
    a fork this node let through: InvariantViolation, never skipped. Callers that take
    transactions from a peer check them first and refuse them with their own error."""
    require(transaction.sequence == old.last_sequence + 1 and
            transaction.prev_hash == old.last_hash,
            f"{chain} chain with {peer}: transaction {transaction.sequence} "
            f"(prev {transaction.prev_hash[:12]}) does not follow head {old.last_sequence} "
            f"({old.last_hash[:12]})")
    new = old.advance(transaction)
    changed = _ADVANCE[chain].run(conn, {
        "peer": peer, "old_seq": old.last_sequence, "old_hash": old.last_hash,
        "seq": new.last_sequence, "hash": new.last_hash})
    require(changed == 1, f"{chain} chain head with {peer} is no longer "
                          f"{old.last_sequence}: lost a race to another writer")
    return new


_RESERVE = FastStatement(
    update(links)
    .where(links.c.peer_node_id == bindparam("peer"),
           links.c.reserved_minutes + bindparam("delta") >= 0)
    .values(reserved_minutes=links.c.reserved_minutes + bindparam("delta"))
)
_RESERVED = FastStatement(
    select(links.c.reserved_minutes).where(links.c.peer_node_id == bindparam("peer"))
)
_RESERVED_ALL = FastStatement(
    select(func.coalesce(func.sum(links.c.reserved_minutes), 0).label("total"))
)
_CLEARING = FastStatement(
    select(func.coalesce(func.sum(balances.c.balance_minutes), 0).label("total"))
    .where(balances.c.account_code == bindparam("code"))
)
_CLEARING_ALL = FastStatement(
    select(func.coalesce(func.sum(balances.c.balance_minutes), 0).label("total"))
    .select_from(balances.join(accounts))
    .where(accounts.c.kind == str(AccountKind.CLEARING))
)


def add_reserved(conn: Connection, peer: str, delta_minutes: int) -> None:
    """Keep the link's reserved total in step with a reservation (+) or its settlement (-).
    The link exists: whoever reserves read it first (its freeze)."""
    changed = _RESERVE.run(conn, {"peer": peer, "delta": delta_minutes})
    require(changed == 1, f"no link with {peer}, or its reserved minutes would go negative")


def owed_to(conn: Connection, peer: str | None) -> int:
    """What this node owes `peer` (with None: the whole federation), counting the transfers
    still reserved: the net debit the caps limit. Positive: we owe."""
    if peer is None:
        (settled,) = _CLEARING_ALL.rows(conn, {})
        (reserved,) = _RESERVED_ALL.rows(conn, {})
        return int(settled[0]) + int(reserved[0])
    rows = _RESERVED.rows(conn, {"peer": peer})
    return clearing_balance(conn, peer) + (int(rows[0].reserved_minutes) if rows else 0)


def clearing_balance(conn: Connection, peer: str) -> int:
    """The settled position with `peer`: what we owe it (+) or it owes us (-)."""
    (row,) = _CLEARING.rows(conn, {"code": clearing_account(peer)})
    return int(row.total)


_ACCOUNT = FastStatement(select(accounts.c.code).where(accounts.c.code == bindparam("code")))


def ensure_clearing(conn: Connection, peer: str, now_ms: int) -> str:
    """The clearing account for `peer`, created on first use."""
    code = clearing_account(peer)
    if not _ACCOUNT.rows(conn, {"code": code}):
        conn.execute(insert(accounts).values(AccountRow(
            code=code, kind=str(AccountKind.CLEARING), member_local_id=None, peer_node_id=peer,
            floor_minutes=None, created_at_ms=now_ms,
        ).values()))
    return code


# outbox ---------------------------------------------------------------------------------------

_ENQUEUE = insert_row(outbox)


def enqueue(conn: Connection, *, peer: str, message: dict[str, Any], now_ms: int,
            not_before_ms: int | None = None) -> None:
    """Queue a request for `peer` in the caller's database transaction (standard §7: the
    message id is stored before it is first sent)."""
    _ENQUEUE.run(conn, OutboxRow(
        message_id=message["message_id"], peer_node_id=peer, type=message["type"],
        document=json.dumps(message, separators=(",", ":"), ensure_ascii=False),
        transaction_id=None, not_before_ms=now_ms if not_before_ms is None else not_before_ms,
        created_at_ms=now_ms,
    ).values())


def ready_messages(conn: Connection, peer: str, *, now_ms: int, limit: int) -> list[Any]:
    return list(conn.execute(
        select(outbox.c.message_id, outbox.c.document)
        .where(outbox.c.peer_node_id == peer, outbox.c.transaction_id.is_(None),
               outbox.c.not_before_ms <= now_ms)
        .order_by(outbox.c.not_before_ms, outbox.c.created_at_ms, outbox.c.message_id)
        .limit(limit)
    ))


def due_peers(conn: Connection, *, now_ms: int) -> list[str]:
    """The peers of unfrozen links with a message due now and not yet in a transaction, or
    with a transaction of ours still unanswered (a link unfrozen by `hourbridge federation
    unfreeze` in another process resumes at the next tick): the tick wakes their sender loops
    (node/exchange/runner.py), which otherwise sleep."""
    queued = (select(outbox.c.peer_node_id)
              .join(links, links.c.peer_node_id == outbox.c.peer_node_id)
              .where(outbox.c.transaction_id.is_(None), outbox.c.not_before_ms <= now_ms,
                     links.c.frozen_reason.is_(None)))
    in_flight = (select(out_transactions.c.peer_node_id)  # the lowest past the head, by key
                 .join(links, (links.c.peer_node_id == out_transactions.c.peer_node_id)
                       & (out_transactions.c.sequence == links.c.out_sequence + 1))
                 .where(out_transactions.c.response.is_(None),
                        links.c.frozen_reason.is_(None)))
    return sorted(set(conn.execute(queued.union(in_flight)).scalars()))


def latest_stamp(conn: Connection) -> int | None:
    """The latest time the outbox was stamped with (node/exchange/clockwatch.py)."""
    value = conn.execute(select(func.max(outbox.c.created_at_ms))).scalar()
    return None if value is None else int(value)


def shift_outbox(conn: Connection, *, back_ms: int, now_ms: int) -> None:
    """The clock was stepped back by `back_ms`: every queued time after now moves back as much
    (never before now), so a message waits no longer than the delay it was given."""
    for column in (outbox.c.not_before_ms, outbox.c.created_at_ms):
        shifted = column - back_ms
        conn.execute(update(outbox).where(column > now_ms).values(
            {column.name: case((shifted < now_ms, now_ms), else_=shifted)}))


def place(conn: Connection, message_ids: list[str], transaction_id: str) -> None:
    conn.execute(update(outbox).where(outbox.c.message_id.in_(message_ids))
                 .values(transaction_id=transaction_id))


_DONE = FastStatement(delete(outbox).where(outbox.c.message_id == bindparam("id")))
_REQUEUE = FastStatement(
    update(outbox).where(outbox.c.message_id == bindparam("id"))
    .values(transaction_id=null(), not_before_ms=bindparam("at"))
)


def done(conn: Connection, message_id: str) -> None:
    _DONE.run(conn, {"id": message_id})


def requeue(conn: Connection, message_id: str, *, at_ms: int) -> None:
    """Send this message again, in a later transaction, from `at_ms` on."""
    _REQUEUE.run(conn, {"id": message_id, "at": at_ms})


# outgoing transactions -----------------------------------------------------------------------

_AHEAD = FastStatement(
    select(out_transactions)
    .where(out_transactions.c.peer_node_id == bindparam("peer"),
           out_transactions.c.sequence > bindparam("head"))
    .order_by(out_transactions.c.sequence)
)


def ahead_of_head(conn: Connection, peer: str, head_sequence: int) -> list[OutTransactionRow]:
    """Our transactions to `peer` past the link's head, in sequence order: those in flight
    (no response) and those answered before a predecessor whose answer they wait for
    (standard §6.5). At most the window's length; read by primary key."""
    return [OutTransactionRow.from_row(row)
            for row in _AHEAD.rows(conn, {"peer": peer, "head": head_sequence})]


def store_out(conn: Connection, *, peer: str, sequence: int, transaction_id: str,
              transaction_hash: str, document: str, now_ms: int) -> None:
    conn.execute(insert(out_transactions).values(OutTransactionRow(
        peer_node_id=peer, sequence=sequence, transaction_id=transaction_id,
        transaction_hash=transaction_hash, document=document, response=None,
        created_at_ms=now_ms, answered_at_ms=None,
    ).values()))


def resign_out(conn: Connection, transaction_id: str, document: str) -> None:
    conn.execute(update(out_transactions)
                 .where(out_transactions.c.transaction_id == transaction_id)
                 .values(document=document))


def withdraw_out(conn: Connection, transaction_id: str) -> bool:
    """Forget an unanswered transaction of ours the peer never accepted (it holds another one
    of ours at that sequence: we sent it restored from a backup, before `hourbridge recover`)
    and put its messages back in the outbox, to go again in a later transaction. False, and
    nothing changed, if a transaction after it was answered: the peer did accept it then, and
    the caller holds contradicting evidence."""
    row = conn.execute(select(out_transactions.c.peer_node_id, out_transactions.c.sequence)
                       .where(out_transactions.c.transaction_id == transaction_id,
                              out_transactions.c.response.is_(None))).first()
    if row is None:
        return True
    # Those sent after it in a window (§6.5) were built on it: they go too, their messages
    # with them (none of them can have been answered: the peer never accepted this one).
    later = (out_transactions.c.peer_node_id == row.peer_node_id) & (
        out_transactions.c.sequence >= row.sequence)
    answered = conn.execute(select(func.count()).select_from(out_transactions)
                            .where(later, out_transactions.c.response.is_not(None))).scalar()
    if answered:
        return False
    ids = list(conn.execute(select(out_transactions.c.transaction_id).where(later)).scalars())
    conn.execute(update(outbox).where(outbox.c.transaction_id.in_(ids))
                 .values(transaction_id=null()))
    conn.execute(delete(out_transactions).where(later))
    return True


def answer_out(conn: Connection, transaction_id: str, response: str, now_ms: int) -> bool:
    """Store the response to our transaction; False if it was stored before (by the sender
    loop or by reconciliation, whichever came first: the answers are applied once)."""
    changed = conn.execute(update(out_transactions)
                           .where(out_transactions.c.transaction_id == transaction_id,
                                  out_transactions.c.response.is_(None))
                           .values(response=response, answered_at_ms=now_ms))
    return bool(changed.rowcount)


# incoming transactions and messages -----------------------------------------------------------

_STORED_IN = FastStatement(
    select(in_transactions.c.transaction_hash, in_transactions.c.response).where(
        in_transactions.c.sender == bindparam("sender"),
        in_transactions.c.transaction_id == bindparam("tid"),
    )
)
_INSERT_IN = insert_row(in_transactions)
_INSERT_MESSAGE = insert_row(in_messages)


def stored_in(conn: Connection, sender: str, transaction_id: str) -> Any | None:
    rows = _STORED_IN.rows(conn, {"sender": sender, "tid": transaction_id})
    return rows[0] if rows else None


def store_in(conn: Connection, row: InTransactionRow) -> None:
    _INSERT_IN.run(conn, row.values())


def stored_answers(conn: Connection, sender: str, message_ids: list[str]) -> dict[str, Any]:
    """(hash, answer JSON) of each message id we answered finally before, by message id."""
    if not message_ids:
        return {}
    rows = conn.execute(
        select(in_messages.c.message_id, in_messages.c.message_hash, in_messages.c.answer)
        .where(in_messages.c.sender == sender, in_messages.c.message_id.in_(message_ids))
    )
    return {row.message_id: row for row in rows}


def store_answers(conn: Connection, rows: list[InMessageRow]) -> None:
    if rows:
        _INSERT_MESSAGE.run_many(conn, [row.values() for row in rows])
