"""The certificate endpoints' rows of the endpoint × role table
(tests/node/api/test_authorization_matrix.py merges them into its MATRIX).

The subject is alice (station east): member_self is alice, member_other carol (west), staff_own
works at east, staff_other at west. Only the volunteer, his station's staff and an admin get in;
a regulator is refused (NOT_FOR_REGULATOR). Every authenticated call leaves an audit row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import update

from node.db.schema import tb_certificates
from tests.node.api.support import World

Endpoint = tuple[str, str]
Body = Callable[[World], dict[str, Any]] | None
ALICE = "/api/v1/members/alice"
CERTIFICATES = "/api/v1/members/{local_id}/certificates"
KNOWN_ID = "cert-" + "0" * 24  # SETUP renames the certificate it issues to this id


def _alice_has_a_certificate(world: World) -> None:
    response = world.call("POST", f"{ALICE}/certificates", "admin", {"from_ms": 0})
    assert response.status_code == 201, response.text
    issued = response.json()["record"]["id"]
    with world.node.db.write() as conn:
        conn.execute(update(tb_certificates).where(tb_certificates.c.id == issued)
                     .values(id=KNOWN_ID))


REQUESTS: dict[Endpoint, tuple[str, Body]] = {
    ("POST", CERTIFICATES): (f"{ALICE}/certificates", lambda w: {"from_ms": 0}),
    ("GET", CERTIFICATES + "/{certificate_id}"): (f"{ALICE}/certificates/{KNOWN_ID}", None),
}
SETUP: dict[Endpoint, Callable[[World], None]] = {
    ("GET", CERTIFICATES + "/{certificate_id}"): _alice_has_a_certificate,
}
MATRIX: dict[Endpoint, tuple[int, ...]] = {
    ("POST", CERTIFICATES): (401, 401, 201, 403, 201, 403, 201, 403),
    ("GET", CERTIFICATES + "/{certificate_id}"): (401, 401, 200, 403, 200, 403, 200, 403),
}
NOT_FOR_REGULATOR: set[Endpoint] = set(REQUESTS)
AUDITED: set[Endpoint] = set(REQUESTS)
