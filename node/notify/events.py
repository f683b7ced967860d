"""One function per event that tells a member something. Each is called by the service that
makes the event, inside its write transaction:

    request_taken            node/timebank/requests.py  accept     -> the person served
    volunteer_arriving       node/timebank/requests.py  check_in   -> the person served
    visit_confirmed          node/timebank/requests.py  confirm    -> the volunteer
    complaint_resolved       node/timebank/disputes.py  resolve    -> both
    payment_request_waiting  node/exchange/payments.py  a payment.request stored -> the payer
    hours_received           the exchange's commit hook of a transfer.prepare (installed by
                             node/runtime.py)                      -> the creditor

The node's own accounts (the donation pool) are told nothing: no person reads them.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.engine import Connection

from node.ledger.system_ids import SYSTEM_MEMBER_IDS
from node.notify.store import Payload, enqueue
from node.states import NotificationKind as Kind
from protocol.addresses import MemberAddress
from protocol.messages.transfer import PrepareBody


def _tell(conn: Connection, member: str | None, kind: Kind, payload: Payload,
          now_ms: int) -> None:
    if member is None or member in SYSTEM_MEMBER_IDS:
        return
    enqueue(conn, member_local_id=member, kind=kind, payload=payload, now_ms=now_ms)


def request_taken(conn: Connection, row: Any, *, volunteer: str, now_ms: int) -> None:
    """`row`: the service request (tb_service_requests) as it was before `volunteer` took it."""
    _tell(conn, row.recipient_local_id, Kind.REQUEST_TAKEN,
          {"request": row.id, "volunteer": volunteer}, now_ms)


def volunteer_arriving(conn: Connection, row: Any, *, now_ms: int) -> None:
    _tell(conn, row.recipient_local_id, Kind.VOLUNTEER_ARRIVING,
          {"request": row.id, "volunteer": row.volunteer_local_id}, now_ms)


def visit_confirmed(conn: Connection, row: Any, *, credited_minutes: int, now_ms: int) -> None:
    _tell(conn, row.volunteer_local_id, Kind.VISIT_CONFIRMED,
          {"request": row.id, "recipient": row.recipient_local_id,
           "credited_minutes": credited_minutes}, now_ms)


def complaint_resolved(conn: Connection, row: Any, *, outcome: str, released_minutes: int,
                       refunded_minutes: int, now_ms: int) -> None:
    """Both sides of the visit learn the outcome: the person served and the volunteer."""
    payload = {"request": row.id, "outcome": str(outcome), "released_minutes": released_minutes,
               "refunded_minutes": refunded_minutes}
    for member in (row.recipient_local_id, row.volunteer_local_id):
        _tell(conn, member, Kind.COMPLAINT_RESOLVED, payload, now_ms)


def payment_request_waiting(conn: Connection, *, payer_local_id: str, payee: str,
                            payee_node: str, request_id: str, amount_minutes: int,
                            now_ms: int) -> None:
    _tell(conn, payer_local_id, Kind.PAYMENT_REQUEST_WAITING,
          {"payee": payee, "node": payee_node, "request": request_id,
           "amount_minutes": amount_minutes}, now_ms)


class Received(Protocol):
    """What the hook reads of the exchange's request context (node.exchange.requests.Context)."""

    @property
    def sender(self) -> str: ...

    @property
    def now_ms(self) -> int: ...


def hours_received(conn: Connection, ctx: Received, prepare: PrepareBody) -> None:
    """A commit hook of the exchange's request handlers: a transfer from another node was
    credited here, in this database transaction."""
    creditor = MemberAddress.parse(prepare.creditor).local_id
    _tell(conn, creditor, Kind.HOURS_RECEIVED,
          {"transfer": prepare.transfer_id, "sender": prepare.debtor, "node": ctx.sender,
           "amount_minutes": prepare.amount_minutes, "purpose": prepare.purpose.value},
          ctx.now_ms)
