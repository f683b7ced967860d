"""The reports endpoint's row of the endpoint × role table
(tests/node/api/test_authorization_matrix.py merges it into its MATRIX)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.node.api.support import World

Endpoint = tuple[str, str]
Body = Callable[[World], dict[str, Any]] | None

def _checkpoint(world: World) -> None:
    """The API reports at the newest checkpoint; the scheduler signs them in a running node."""
    world.node.ledger_admin.checkpoint()


SETUP: dict[Endpoint, Callable[[World], None]] = {("GET", "/api/v1/reports/node"): _checkpoint}

REQUESTS: dict[Endpoint, tuple[str, Body]] = {
    ("GET", "/api/v1/reports/node"): ("/api/v1/reports/node", None),
}

# Roles: anonymous, bad_token, member_self, member_other, staff_own, staff_other, admin, regulator
MATRIX: dict[Endpoint, tuple[int, ...]] = {
    ("GET", "/api/v1/reports/node"): (401, 401, 403, 403, 403, 403, 200, 200),
}
