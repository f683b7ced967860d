"""The rows of a volunteer's records (corrections of paid visits, qualifications) in the
endpoint × role table (tests/node/api/test_authorization_matrix.py merges them).

The subject is alice (station east): member_self is alice, member_other carol (west), staff_own
works at east, staff_other at west. bob served alice in `sr-alice` and she paid it (0 minutes:
checked in and out at once); a correction to 60 minutes is recorded by another staff member of
east, so every role of the cell may be the second person.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from node.access import Principal, Role
from node.timebank.slips import Slip
from tests.node.api.support import World
from tests.node.timebank.matrix import SR, _admin, _steps

Endpoint = tuple[str, str]
Body = Callable[[World], dict[str, Any]] | None
CORRECTIONS = "/api/v1/service-corrections/{correction_id}"
QUALIFICATIONS = "/api/v1/members/{local_id}/qualifications"
RECORDER = Principal(Role.STAFF, "staff-east-recorder", station="east")


def _paid(world: World) -> None:
    _steps("alice", "bob", "check-in", "check-out")(world)
    _admin(world, "POST", f"{SR}/sr-alice/confirm", {"rating": 5})


def _corrected(world: World) -> None:
    _paid(world)
    _admin(world, "POST", "/api/v1/grants", {"id": "g-corr", "member": "alice",
                                             "amount_minutes": 60, "credit_class": "earned",
                                             "reason": "hours to pay the correction"})
    world.node.timebank.corrections.record(RECORDER, "sr-alice", correction_id="c-alice",
                                           slip=Slip(reference="s-1", reason="slip found",
                                                     duration_minutes=60))


REQUESTS: dict[Endpoint, tuple[str, Body]] = {
    ("POST", SR + "/{request_id}/corrections"): (
        f"{SR}/sr-alice/corrections",
        lambda w: {"id": "c-new", "reference": "s-2", "reason": "slip found",
                   "duration_minutes": 45}),
    ("GET", CORRECTIONS): ("/api/v1/service-corrections/c-alice", None),
    ("POST", CORRECTIONS + "/confirm"): ("/api/v1/service-corrections/c-alice/confirm", None),
    ("POST", CORRECTIONS + "/withdraw"): ("/api/v1/service-corrections/c-alice/withdraw",
                                          lambda w: {"reason": "wrong slip"}),
    ("POST", QUALIFICATIONS): (
        "/api/v1/members/alice/qualifications",
        lambda w: {"id": "q-new", "kind": "health_care", "title": "nurse", "issuer": "city",
                   "valid_from": "2020-01-01", "evidence_ref": "N-1"}),
    ("GET", QUALIFICATIONS): ("/api/v1/members/alice/qualifications", None),
}
SETUP: dict[Endpoint, Callable[[World], None]] = {
    ("POST", SR + "/{request_id}/corrections"): _paid,
    ("GET", CORRECTIONS): _corrected,
    ("POST", CORRECTIONS + "/confirm"): _corrected,
    ("POST", CORRECTIONS + "/withdraw"): _corrected,
}
# fmt: off
MATRIX: dict[Endpoint, tuple[int, ...]] = {
    #                                            anon  bad  self other s-own s-oth admin reg
    # Staff of the elder's station or an admin record; the elder, staff or admin confirm.
    ("POST", SR + "/{request_id}/corrections"): (401, 401, 403, 403, 201, 403, 201, 403),
    ("GET", CORRECTIONS):                        (401, 401, 200, 403, 200, 403, 200, 200),
    ("POST", CORRECTIONS + "/confirm"):          (401, 401, 200, 403, 200, 403, 200, 403),
    # Only its recorder (not a role of the table) or an admin withdraws it.
    ("POST", CORRECTIONS + "/withdraw"):         (401, 401, 403, 403, 403, 403, 200, 403),
    ("POST", QUALIFICATIONS):                    (401, 401, 403, 403, 201, 403, 201, 403),
    ("GET", QUALIFICATIONS):                     (401, 401, 200, 403, 200, 403, 200, 200),
}
# fmt: on
AUDITED: set[Endpoint] = {("GET", QUALIFICATIONS)}
