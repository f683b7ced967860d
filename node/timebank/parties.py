"""Service requests that can still move a member's hours: what keeps a member from relocating
(node/services/relocation.py) until they are settled.

A request moves hours of its recipient and its volunteer, in these states:

    open         check-out will hold the price from the recipient's hours
    accepted     the same; the volunteer is named and will be paid (it can still be cancelled)
    in_progress  check-out will hold the price and the visit cannot be cancelled any more
    completed    the price sits in escrow: confirmation pays the volunteer, a complaint freezes it
    disputed     the escrow is frozen (node/timebank/disputes.py): the resolution pays the
                 volunteer, refunds the recipient, or both

`paid`, `refunded` and `cancelled` are final: nothing moves again. Whoever posted the request
moves nothing: a member posts only for themself (the recipient), staff are not members. A
subsidised recipient's price comes from and goes back to issuance, but the request is still
theirs: it is settled or cancelled before they leave, like any other.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from node.db.schema import tb_service_requests
from node.services.relocation import NAMED_MAX
from node.timebank.requests import ACCEPTED, COMPLETED, DISPUTED, IN_PROGRESS, OPEN

UNSETTLED = (OPEN, ACCEPTED, IN_PROGRESS, COMPLETED, DISPUTED)


def unsettled_requests(conn: Connection, local_id: str) -> list[str]:
    """Ids of the requests (at most NAMED_MAX + 1) where the member is recipient or volunteer
    and hours can still move."""
    table = tb_service_requests
    query = (select(table.c.id)
             .where(table.c.state.in_(UNSETTLED),
                    or_(table.c.recipient_local_id == local_id,
                        table.c.volunteer_local_id == local_id))
             .order_by(table.c.id).limit(NAMED_MAX + 1))
    return list(conn.execute(query).scalars())
