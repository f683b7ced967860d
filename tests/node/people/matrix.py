"""The sign-in and family-access endpoints' rows of the endpoint × role table
(tests/node/api/test_authorization_matrix.py merges them into its MATRIX).

The subject is alice (station east): member_self is alice, member_other carol (west), staff_own
works at east, staff_other at west. Her delegate is bob, recorded as her kin first.

Activation and signing in are authenticated by what the person holds (a code, a PIN), not by
a token: every role, anonymous included, gets the same answer (BY_SECRET), so the regulator's
"writes nothing" rule does not apply to them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.node.api.support import World

Endpoint = tuple[str, str]
Body = Callable[[World], dict[str, Any]] | None
ALICE = "/api/v1/members/alice"
PIN = "482915"
ACTIVATE = ("POST", "/api/v1/people/activate")
SIGN_IN = ("POST", "/api/v1/people/sessions")
BY_SECRET: set[Endpoint] = {ACTIVATE, SIGN_IN}
_CODES: dict[int, str] = {}  # the activation code SETUP made, by the node it made it on


def _admin(world: World, method: str, path: str, body: dict[str, Any] | None = None
           ) -> dict[str, Any]:
    response = world.call(method, path, "admin", body)
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


def _invited(world: World) -> None:
    _CODES[id(world.node)] = _admin(world, "POST", f"{ALICE}/invitations")["code"]


def _activated(world: World) -> None:
    code = _admin(world, "POST", f"{ALICE}/invitations")["code"]
    response = world.api.client.post("/api/v1/people/activate", json={"code": code, "pin": PIN})
    assert response.status_code == 200, response.text


def _kin(world: World) -> None:
    _admin(world, "POST", f"{ALICE}/kin", {"relative": "bob", "relation": "friend"})


def _delegate(world: World) -> None:
    _kin(world)
    _admin(world, "POST", f"{ALICE}/delegates", {"delegate": "bob"})


REQUESTS: dict[Endpoint, tuple[str, Body]] = {
    ("POST", "/api/v1/members/{local_id}/invitations"): (f"{ALICE}/invitations", None),
    ("POST", "/api/v1/members/{local_id}/credential/reset"): (f"{ALICE}/credential/reset", None),
    ("GET", "/api/v1/members/{local_id}/credential"): (f"{ALICE}/credential", None),
    ("GET", "/api/v1/members/{local_id}/delegates"): (f"{ALICE}/delegates", None),
    ("POST", "/api/v1/members/{local_id}/delegates"): (f"{ALICE}/delegates",
                                                       lambda w: {"delegate": "bob"}),
    ("DELETE", "/api/v1/members/{local_id}/delegates/{delegate}"): (f"{ALICE}/delegates/bob",
                                                                    None),
    ACTIVATE: ("/api/v1/people/activate",
               lambda w: {"code": _CODES.pop(id(w.node)), "pin": PIN}),
    SIGN_IN: ("/api/v1/people/sessions", lambda w: {"member": "alice", "pin": PIN}),
    ("GET", "/api/v1/people/sessions/current"): ("/api/v1/people/sessions/current", None),
    ("DELETE", "/api/v1/people/sessions/current"): ("/api/v1/people/sessions/current", None),
}

SETUP: dict[Endpoint, Callable[[World], None]] = {
    ("POST", "/api/v1/members/{local_id}/delegates"): _kin,
    ("DELETE", "/api/v1/members/{local_id}/delegates/{delegate}"): _delegate,
    ACTIVATE: _invited,
    SIGN_IN: _activated,
}

STAFF_CREATES = (401, 401, 403, 403, 201, 403, 201, 403)
READ_SUBJECT = (401, 401, 200, 403, 200, 403, 200, 200)
# fmt: off
MATRIX: dict[Endpoint, tuple[int, ...]] = {
    #                                                   anon  bad  self other s-own s-oth admin reg
    ("POST", "/api/v1/members/{local_id}/invitations"):  STAFF_CREATES,
    ("POST", "/api/v1/members/{local_id}/credential/reset"): STAFF_CREATES,
    ("GET", "/api/v1/members/{local_id}/credential"):    READ_SUBJECT,
    ("GET", "/api/v1/members/{local_id}/delegates"):     READ_SUBJECT,
    ("POST", "/api/v1/members/{local_id}/delegates"):    (401, 401, 201, 403, 201, 403, 201, 403),
    ("DELETE", "/api/v1/members/{local_id}/delegates/{delegate}"):
                                                         (401, 401, 200, 403, 200, 403, 200, 403),
    ACTIVATE:                                            (200,) * 8,
    SIGN_IN:                                             (201,) * 8,
    ("GET", "/api/v1/people/sessions/current"):          (401, 401, 200, 200, 200, 200, 200, 200),
    # Only a member session is signed out; a token is revoked with the CLI.
    ("DELETE", "/api/v1/people/sessions/current"):       (401, 401, 403, 403, 403, 403, 403, 403),
}
# fmt: on
