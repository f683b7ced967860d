"""Reading a node's notifications and deliveries in tests, and making events through the real
services."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from node.db.schema import notification_deliveries, notifications
from node.notify.contacts import ContactDetails
from node.runtime import Node
from tests.factories import ADMIN, give_consent
from tests.node.timebank.conftest import member


def set_contacts(node: Node, local_id: str, *, email: str | None = None,
                 gateway: str | None = None) -> None:
    """Her contacts, and her consent to notices leaving the node (without it nothing is sent)."""
    node.notifications.contacts.put(ADMIN, local_id, ContactDetails(
        email=email, gateway_recipient=gateway))
    give_consent(node, local_id, "notices")


def take(node: Node, request_id: str, *, recipient: str = "gran",
         volunteer: str = "vol") -> None:
    """Post a request for `recipient` and let `volunteer` take it: `recipient` is told."""
    requests = node.timebank.requests
    requests.post(ADMIN, request_id=request_id, recipient=recipient, category="daily_living",
                  item=None, description="sweep the floor")
    requests.accept(member(volunteer), request_id, volunteer=volunteer)


def stored(node: Node, local_id: str | None = None) -> list[dict[str, Any]]:
    """Notifications as stored, oldest first (the payload still JSON text)."""
    query = select(notifications).order_by(notifications.c.id)
    if local_id is not None:
        query = query.where(notifications.c.member_local_id == local_id)
    with node.db.read() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def kinds(node: Node, local_id: str) -> list[str]:
    return [row["kind"] for row in stored(node, local_id)]


def deliveries(node: Node) -> list[dict[str, Any]]:
    with node.db.read() as conn:
        return [dict(row._mapping) for row in conn.execute(
            select(notification_deliveries).order_by(notification_deliveries.c.notification_id,
                                                     notification_deliveries.c.channel))]
