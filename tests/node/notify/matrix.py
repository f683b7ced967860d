"""The notification and contact endpoints' rows of the endpoint × role table
(tests/node/api/test_authorization_matrix.py merges them into its MATRIX).

The subject is alice (station east): member_self is alice, member_other carol (west), staff_own
works at east, staff_other at west. Only the member, her station's staff and an admin get in;
a regulator, who reads every ledger route, is refused here (NOT_FOR_REGULATOR). Contacts are
personal data: every authenticated call, refused or not, leaves an audit row (AUDITED).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.node.api.peer import deliver, payment_request
from tests.node.api.support import World

Endpoint = tuple[str, str]
Body = Callable[[World], dict[str, Any]] | None
ALICE = "/api/v1/members/alice"
PEER = "nj-gulou"
NOTIFICATIONS = "/api/v1/members/{local_id}/notifications"
CONTACTS = "/api/v1/members/{local_id}/contacts"
ALLOWED = (401, 401, 200, 403, 200, 403, 200, 403)


def _alice_is_asked_to_pay(world: World) -> None:
    """A real event: nj-gulou's payment request to alice leaves her notification 1."""
    now_ms = world.clock.now_ms()
    message = payment_request(request_id="req-notify-0001", payee=f"zoe@{PEER}",
                              payer="alice@sh-pudong", amount_minutes=45, now_ms=now_ms)
    response = deliver(world.api.client, sender=PEER, receiver="sh-pudong", messages=[message],
                       now_ms=now_ms)
    assert response.status_code == 200, response.text


def _alice_has_contacts(world: World) -> None:
    response = world.call("PUT", f"{ALICE}/contacts", "admin",
                          {"email": "alice@example.org", "gateway_recipient": "+8613800000001"})
    assert response.status_code == 200, response.text


REQUESTS: dict[Endpoint, tuple[str, Body]] = {
    ("GET", NOTIFICATIONS): (f"{ALICE}/notifications", None),
    ("POST", NOTIFICATIONS + "/{notification_id}/read"): (f"{ALICE}/notifications/1/read",
                                                         None),
    ("GET", CONTACTS): (f"{ALICE}/contacts", None),
    ("PUT", CONTACTS): (f"{ALICE}/contacts",
                        lambda w: {"email": "alice.wang@example.org", "gateway_recipient": None}),
}
SETUP: dict[Endpoint, Callable[[World], None]] = {
    ("GET", NOTIFICATIONS): _alice_is_asked_to_pay,
    ("POST", NOTIFICATIONS + "/{notification_id}/read"): _alice_is_asked_to_pay,
    ("GET", CONTACTS): _alice_has_contacts,
    ("PUT", CONTACTS): _alice_has_contacts,
}
MATRIX: dict[Endpoint, tuple[int, ...]] = dict.fromkeys(REQUESTS, ALLOWED)
NOT_FOR_REGULATOR: set[Endpoint] = set(REQUESTS)
AUDITED: set[Endpoint] = {("GET", CONTACTS), ("PUT", CONTACTS)}
