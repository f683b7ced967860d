"""What keeps a member's hours from being closed off: the one check a merge (member_merge.py)
and a death (node/timebank/deaths.py) both make before they move every hour she holds.

Refused, with the first of these that applies:
  open_transfers         transfers to other nodes she sent that are still open
  open_service_requests  service requests that can still hold, pay or refund her hours (the
                         time bank's ids, computed above this layer and passed in)
  open_payment_requests  payment requests she made or was asked to pay, still open
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from node.db.schema import OPEN_TRANSFER, payment_requests, payment_requests_in, transfers
from node.errors import Conflict, ErrorCode
from node.states import IncomingPaymentState, PaymentRequestState

OPEN_PAYMENT_STATES = (PaymentRequestState.SENT, PaymentRequestState.ACKNOWLEDGED)


def refuse_held(conn: Connection, *, local_id: str, node_id: str, unsettled: list[str],
                then: str) -> None:
    """409 while anything can still move her hours; `then` says what waits ("merge")."""
    address = f"{local_id}@{node_id}"
    open_transfers = conn.execute(select(func.count()).select_from(transfers).where(
        transfers.c.debtor == address, OPEN_TRANSFER)).scalar_one()
    if open_transfers:
        raise Conflict(ErrorCode.OPEN_TRANSFERS,
                       f"{address} has {open_transfers} transfer(s) to other nodes still "
                       f"open; {then} once they are settled")
    if unsettled:
        raise Conflict(ErrorCode.OPEN_SERVICE_REQUESTS,
                       f"{address} is party to service requests that can still move her "
                       f"hours ({', '.join(unsettled)}); {then} once they are settled")
    asked = conn.execute(select(func.count()).select_from(payment_requests).where(
        payment_requests.c.payee == address,
        payment_requests.c.state.in_([str(s) for s in OPEN_PAYMENT_STATES]))).scalar_one()
    asked_of = conn.execute(select(func.count()).select_from(payment_requests_in).where(
        payment_requests_in.c.payer_local_id == local_id,
        payment_requests_in.c.state == str(IncomingPaymentState.AWAITING))).scalar_one()
    if asked or asked_of:
        raise Conflict(ErrorCode.OPEN_PAYMENT_REQUESTS,
                       f"{address} has {asked + asked_of} payment request(s) still open; "
                       f"{then} once they are paid or declined")
