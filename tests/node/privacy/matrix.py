"""The personal-data endpoints' rows of the endpoint × role table
(tests/node/api/test_authorization_matrix.py merges them into its MATRIX).

The subject is alice (station east, no birth year: her consents name a guardian). Only the
member, her station's staff and an admin get in; erasure is for staff and admins alone. A
regulator is refused (NOT_FOR_REGULATOR). Every authenticated call, refused or not, is a row of
the access log (ACCESS_LOGGED), as is a read of a death record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.factories import give_consent
from tests.node.api.support import World

Endpoint = tuple[str, str]
Body = Callable[[World], dict[str, Any]] | None
ALICE = "/api/v1/members/alice"
MEMBER = "/api/v1/members/{local_id}"
ALLOWED = (401, 401, 200, 403, 200, 403, 200, 403)
STAFF_ONLY = (401, 401, 403, 403, 200, 403, 200, 403)

REQUESTS: dict[Endpoint, tuple[str, Body]] = {
    ("GET", f"{MEMBER}/personal-data"): (f"{ALICE}/personal-data", None),
    ("PATCH", f"{MEMBER}/personal-data"): (f"{ALICE}/personal-data",
                                           lambda w: {"phone": "13800001111"}),
    ("GET", f"{MEMBER}/consents"): (f"{ALICE}/consents", None),
    ("PUT", f"{MEMBER}/consents/{{purpose}}"): (
        f"{ALICE}/consents/notices", lambda w: {"given": True, "guardian_name": "Ann Li"}),
    ("GET", f"{MEMBER}/export"): (f"{ALICE}/export", None),
    ("POST", f"{MEMBER}/erase"): (f"{ALICE}/erase", lambda w: {"reason": "her request"}),
}
# The home-visit contact, with her consent (SETUP): her station's staff and an admin; she herself
# reads her data on the personal-data route; a volunteer only while on a request of hers
# (tests/node/privacy/test_visit_contact.py).
VISIT_CONTACT: Endpoint = ("GET", f"{MEMBER}/visit-contact")
REQUESTS[VISIT_CONTACT] = (f"{ALICE}/visit-contact", None)
SETUP: dict[Endpoint, Callable[[World], None]] = {
    VISIT_CONTACT: lambda w: give_consent(w.api.node, "alice", "home_visit_contact")}
MATRIX: dict[Endpoint, tuple[int, ...]] = {
    endpoint: STAFF_ONLY if endpoint[1].endswith("/erase") or endpoint == VISIT_CONTACT
    else ALLOWED for endpoint in REQUESTS}
NOT_FOR_REGULATOR: set[Endpoint] = set(REQUESTS)
ACCESS_LOGGED: set[Endpoint] = set(REQUESTS) | {("GET", f"{MEMBER}/death")}
# Reads of a member's record and its corrections (node/privacy/reads.py): logged for every
# authenticated caller but the member herself. A list logs a row per member it shows, so only
# when it answers. A change of her own contacts is logged.
SELF_NOT_LOGGED: set[Endpoint] = {("GET", MEMBER), ("GET", f"{MEMBER}/changes"),
                                   ("GET", f"{MEMBER}/vetting"), ("GET", f"{MEMBER}/kin"),
                                   ("GET", f"{MEMBER}/contacts"),
                                   ("GET", f"{MEMBER}/delegates"),
                                   ("GET", f"{MEMBER}/qualifications"),
                                   ("GET", f"{MEMBER}/notifications")}
LIST_LOGGED: set[Endpoint] = {("GET", "/api/v1/members")}
ACCESS_LOGGED |= SELF_NOT_LOGGED | LIST_LOGGED | {
    ("GET", f"{MEMBER}/contacts"), ("PUT", f"{MEMBER}/contacts")}


def logged(endpoint: Endpoint, role: str, status: int) -> bool:
    """Whether a call of `endpoint` in ACCESS_LOGGED by `role`, answered `status`, leaves
    access-log rows."""
    if status == 401:
        return False
    if endpoint in LIST_LOGGED:
        return status == 200
    return not (endpoint in SELF_NOT_LOGGED and role == "member_self")
