"""Legs of transfers routed through hubs (standard §22.4) in a peer's evidence, for
`hourbridge recover` (node/reconcile/evidence.py `apply_pair`).

A hub's transfer row for an onward leg keeps the hash of the leg it came on, to recognise that
leg asked again (node/exchange/routed.py `_leg`): `upstream_digest` finds it among the previous
hop's transactions we hold, `adopt_upstream` fills it in when that chain is replayed later.

A leg of ours that the peer answered only `transfer.forwarding`, unknown to the restored books,
is put back in flight by `reserve_again`, exactly as it was left when it was first sent: the
hours reserved, the row pending, the leg queued. The normal exchange then asks the next hop
again and settles it from the next hop's answer (node/exchange/answers.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from node.db.rows import TransferRow
from node.db.schema import in_transactions, outbox, transfers
from node.exchange import store
from node.ledger.journal import Ledger
from node.ledger.model import AccountKind, EntryKind, Posting
from node.states import TransferState
from protocol.messages import encode_message, message_hash
from protocol.messages.routed import ForwardingMessage, LegBody, LegMessage
from protocol.transaction import decode_transaction

# A hub's recovered onward leg whose previous leg it does not hold yet (`upstream_digest`):
# no message hashes to this, so nothing matches it until `adopt_upstream` replaces it.
UPSTREAM_UNKNOWN = "0" * 64


@dataclass(frozen=True)
class Source:
    """Where a debit of ours was taken from: a member's account at the debtor's node, or a
    hub's hours in passage; for a hub, the previous hop and the hash of its leg (the row's
    `request_hash`)."""

    account: str
    request_hash: str
    forwarded_from: str | None = None


def upstream_digest(conn: Connection, previous: str, leg: LegBody) -> str | None:
    """The hash of the leg `previous` sent us for this transfer (a hub's transfer row keeps it
    to recognise that leg asked again), from its transactions we hold; None if we hold none
    yet: the previous hop's chain is replayed later and `adopt_upstream` fills it in."""
    documents = conn.execute(select(in_transactions.c.document).where(
        in_transactions.c.sender == previous,
        in_transactions.c.document.contains(f'"transfer_id":"{leg.transfer_id}"',
                                            autoescape=True))
        .order_by(in_transactions.c.sequence)).scalars()
    for document in documents:
        for message in decode_transaction(json.loads(document)).messages:
            if (isinstance(message, LegMessage) and message.body.transfer_id == leg.transfer_id
                    and message.body.hop == leg.hop - 1):
                return message_hash(message)
    return None


def adopt_upstream(conn: Connection, sender: str, request: LegMessage) -> None:
    """A hub's onward leg recovered before the leg it came on: the row learns that leg now."""
    conn.execute(update(transfers).where(
        transfers.c.wire_id == request.body.transfer_id, transfers.c.forwarded_from == sender,
        transfers.c.request_hash == UPSTREAM_UNKNOWN).values(request_hash=message_hash(request)))


def reserve_again(conn: Connection, ledger: Ledger, *, peer: str, request: LegMessage,
                  answer: ForwardingMessage, source: Source, now_ms: int) -> None:
    """Our leg to `peer`, answered `transfer.forwarding` (not final), that the restored books
    never saw: reserved (the member's hours, or a hub's hours in passage -> pending), its row
    pending with the same message id and hash, the link's reservation, and the same leg queued
    again, as node/services/outgoing.py `reserve` (the debtor's node) or node/exchange/
    routed.py `_reserve` (a hub) left it. The courier applying the forwarding answer next
    (`_ours`) reschedules that queued leg; the next hop answers it from what it holds."""
    body = request.body
    entry = ledger.post(
        conn, kind=EntryKind.TRANSFER_OUT, ref=body.transfer_id, actor=body.debtor,
        memo=body.memo, now_ms=now_ms,
        legs=(Posting(source.account, body.credit_class, -body.amount_minutes),
              Posting(str(AccountKind.PENDING), body.credit_class, body.amount_minutes)))
    conn.execute(insert(transfers).values(TransferRow(
        id=body.transfer_id, debtor=body.debtor, creditor=body.creditor,
        amount_minutes=body.amount_minutes, memo=body.memo, state=TransferState.PENDING,
        reason_code=None, request_hash=source.request_hash, entry_height=entry.height,
        actor=body.debtor, created_at_ms=body.created_at_ms, updated_at_ms=now_ms,
        peer_node_id=peer, wire_id=body.transfer_id, message_id=request.message_id,
        prepare_hash=answer.body.prepare_hash, credit_class=body.credit_class.value,
        purpose=body.purpose.value, payment_request_id=body.payment_request_id,
        expires_at_ms=body.expires_at_ms, route=json.dumps(body.path),
        forwarded_from=source.forwarded_from,
    ).values()))
    store.add_reserved(conn, peer, body.amount_minutes)
    queued = conn.execute(select(outbox.c.message_id).where(
        outbox.c.message_id == request.message_id)).first()
    if queued is None:
        store.enqueue(conn, peer=peer, message=encode_message(request), now_ms=now_ms)
