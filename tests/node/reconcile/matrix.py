"""The reconciliation endpoints' rows of the endpoint × role table
(tests/node/api/test_authorization_matrix.py merges them into its MATRIX)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import insert

from node.db.schema import discrepancies
from tests.node.api.peer import deliver, payment_request
from tests.node.api.support import World

Endpoint = tuple[str, str]
Body = Callable[[World], dict[str, Any]] | None
PEER = "nj-gulou"
DISPUTE = "d" * 32
PUBLIC = (200, 200, 200, 200, 200, 200, 200, 200)


def _link_with_peer(world: World) -> None:
    """A transaction from the peer, so there is a link to close a window on. The peer itself is
    not running: the window is cut and stays open."""
    now_ms = world.clock.now_ms()
    message = payment_request(request_id="req-for-window", payee=f"zoe@{PEER}",
                              payer="alice@sh-pudong", amount_minutes=30, now_ms=now_ms)
    response = deliver(world.api.client, sender=PEER, receiver="sh-pudong", messages=[message],
                       now_ms=now_ms)
    assert response.status_code == 200, response.text


def _open_dispute(world: World) -> None:
    with world.node.db.write() as conn:
        conn.execute(insert(discrepancies).values(
            id=DISPUTE, peer_node_id=PEER, window_index=1, kind="chain_break",
            outcome="disputed", status="open", debtor_node=None, transfer_id=None,
            detail="constructed for the table", evidence=None,
            found_at_ms=world.clock.now_ms(), closed_at_ms=None, closed_by=None))


SIGNED: set[Endpoint] = {("POST", "/federation/v1/reconciliation")}

REQUESTS: dict[Endpoint, tuple[str, Body]] = {
    ("GET", "/metrics"): ("/metrics", None),
    ("POST", "/api/v1/reconciliation/windows"): (
        "/api/v1/reconciliation/windows", lambda w: {"peer": PEER}),
    ("GET", "/api/v1/reconciliation/windows"): ("/api/v1/reconciliation/windows", None),
    ("GET", "/api/v1/reconciliation/statements"): ("/api/v1/reconciliation/statements", None),
    ("GET", "/api/v1/reconciliation/discrepancies"): (
        "/api/v1/reconciliation/discrepancies", None),
    ("POST", "/api/v1/reconciliation/discrepancies/{ident}/close"): (
        f"/api/v1/reconciliation/discrepancies/{DISPUTE}/close",
        lambda w: {"resolution": "checked with the peer's operator"}),
}

SETUP: dict[Endpoint, Callable[[World], None]] = {
    ("POST", "/api/v1/reconciliation/windows"): _link_with_peer,
    ("POST", "/api/v1/reconciliation/discrepancies/{ident}/close"): _open_dispute,
}

# Roles: anonymous, bad_token, member_self, member_other, staff_own, staff_other, admin, regulator
# fmt: off
MATRIX: dict[Endpoint, tuple[int, ...]] = {
    ("GET", "/metrics"):                                PUBLIC,
    ("POST", "/api/v1/reconciliation/windows"):         (401, 401, 403, 403, 403, 403, 200, 403),
    ("GET", "/api/v1/reconciliation/windows"):          (401, 401, 403, 403, 403, 403, 200, 200),
    ("GET", "/api/v1/reconciliation/statements"):       (401, 401, 403, 403, 403, 403, 200, 200),
    ("GET", "/api/v1/reconciliation/discrepancies"):    (401, 401, 403, 403, 403, 403, 200, 200),
    ("POST", "/api/v1/reconciliation/discrepancies/{ident}/close"):
                                                        (401, 401, 403, 403, 403, 403, 200, 403),
}
# fmt: on
