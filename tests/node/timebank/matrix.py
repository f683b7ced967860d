"""The time-bank endpoints' rows of the endpoint × role table
(tests/node/api/test_authorization_matrix.py merges them into its MATRIX).

The subject is alice (station east): member_self is alice, member_other carol (west), staff_own
works at east, staff_other at west. Requests for bob are served by alice, requests for alice
by bob.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from node.access import Role
from node.timebank.policy import DEFAULT_POLICY, Goods, GoodsRules
from tests.factories import ADMIN
from tests.node.api.support import World

Endpoint = tuple[str, str]
Body = Callable[[World], dict[str, Any]] | None
SR = "/api/v1/service-requests"
ALICE = "/api/v1/members/alice"
VISIT_CODE = "/api/v1/members/{local_id}/visit-code"
DEATH = f"{ALICE}/death"
DEATH_BODY = {"heirs": [{"relative": "bob"}], "note": "death certificate seen"}
WITH_GOODS = DEFAULT_POLICY.model_copy(update={"goods": GoodsRules(
    allowed=True, items=[Goods(code="rice", name="Rice", price_minutes=60)])})


def _admin(world: World, method: str, path: str, body: dict[str, Any] | None = None) -> None:
    response = world.call(method, path, "admin", body)
    assert response.status_code in (200, 201), response.text


def _posted(recipient: str) -> Callable[[World], None]:
    def setup(world: World) -> None:
        _admin(world, "POST", SR, {"id": f"sr-{recipient}", "recipient": recipient,
                                   "category": "health", "description": "clinic"})
    return setup


def _visit_code(world: World, local_id: str) -> str:
    """The member's code as it stands (read without writing: the digest is unchanged)."""
    return str(world.node.timebank.visit_codes.show(ADMIN, local_id)["code"])


def _steps(recipient: str, volunteer: str, *steps: str) -> Callable[[World], None]:
    """The volunteer takes their own steps on their phone, checking in with the recipient's
    visit code, so any principal of the cell may approve the payment (whoever acts for the
    volunteer never does: separation of duties)."""
    def setup(world: World) -> None:
        _posted(recipient)(world)
        _admin(world, "POST", f"/api/v1/members/{recipient}/visit-code")
        path = f"{SR}/sr-{recipient}"
        phone = world.api.headers(world.api.token(volunteer, Role.MEMBER,
                                                  member_local_id=volunteer))
        for step in ("accept", *steps):
            if step == "complaint":  # the recipient's side
                _admin(world, "POST", f"{path}/complaint", {"reason": "late"})
                continue
            body = ({"volunteer": volunteer} if step == "accept" else
                    {"code": _visit_code(world, recipient)} if step == "check-in" else None)
            response = world.api.client.post(f"{path}/{step}", json=body, headers=phone)
            assert response.status_code == 200, response.text
    return setup


def _goods(world: World) -> None:
    world.node.timebank.goods.policy = WITH_GOODS  # this cell's node exchanges goods


def _redeemed(world: World) -> None:
    _goods(world)
    _admin(world, "POST", "/api/v1/redemptions", {"id": "rd-alice", "member": "alice",
                                                   "goods": "rice"})


def _donated(world: World) -> None:
    _admin(world, "POST", "/api/v1/donations", {"id": "d-alice", "member": "alice",
                                                 "amount_minutes": 60})


def _heir(world: World) -> None:
    _admin(world, "POST", f"{ALICE}/kin", {"relative": "bob", "relation": "sibling"})


def _died(world: World) -> None:
    _heir(world)
    _admin(world, "POST", DEATH, DEATH_BODY)


def _sponsor(world: World) -> None:
    _admin(world, "POST", "/api/v1/sponsors", {"id": "sp-1", "name": "Lujiazui foundation"})


REQUESTS: dict[Endpoint, tuple[str, Body]] = {
    ("POST", SR): (SR, lambda w: {"id": "sr-new", "recipient": "alice", "category": "health"}),
    ("GET", SR): (SR, None),
    ("GET", SR + "/{request_id}"): (f"{SR}/sr-alice", None),
    ("POST", SR + "/{request_id}/accept"): (f"{SR}/sr-bob/accept",
                                            lambda w: {"volunteer": "alice"}),
    ("POST", SR + "/{request_id}/check-in"): (f"{SR}/sr-bob/check-in",
                                              lambda w: {"code": _visit_code(w, "bob")}),
    ("POST", SR + "/{request_id}/check-out"): (f"{SR}/sr-bob/check-out", None),
    ("POST", SR + "/{request_id}/confirm"): (f"{SR}/sr-alice/confirm", lambda w: {"rating": 5}),
    ("POST", SR + "/{request_id}/slip"): (
        f"{SR}/sr-alice/slip",
        lambda w: {"reference": "slip-7", "reason": "paper slip", "duration_minutes": 60}),
    ("POST", SR + "/{request_id}/cancel"): (f"{SR}/sr-alice/cancel",
                                            lambda w: {"reason": "feeling better"}),
    ("POST", SR + "/{request_id}/complaint"): (f"{SR}/sr-alice/complaint",
                                               lambda w: {"reason": "never came"}),
    ("POST", SR + "/{request_id}/resolution"): (
        f"{SR}/sr-alice/resolution", lambda w: {"outcome": "refund", "reason": "checked"}),
    ("GET", "/api/v1/disputes"): ("/api/v1/disputes", None),
    ("GET", "/api/v1/catalogue"): ("/api/v1/catalogue", None),
    ("GET", "/api/v1/policy"): ("/api/v1/policy", None),
    ("PUT", "/api/v1/members/{local_id}/vetting"): (
        f"{ALICE}/vetting",
        lambda w: {"hardship": True, "subsidised": False, "reason": "lives alone"}),
    ("GET", "/api/v1/members/{local_id}/vetting"): (f"{ALICE}/vetting", None),
    ("POST", "/api/v1/members/{local_id}/kin"): (
        f"{ALICE}/kin", lambda w: {"relative": "bob", "relation": "sibling"}),
    ("GET", "/api/v1/members/{local_id}/kin"): (f"{ALICE}/kin", None),
    ("POST", "/api/v1/sponsors"): ("/api/v1/sponsors",
                                   lambda w: {"id": "sp-new", "name": "Red Cross"}),
    ("GET", "/api/v1/sponsors"): ("/api/v1/sponsors", None),
    ("POST", "/api/v1/sponsors/{sponsor_id}/fundings"): (
        "/api/v1/sponsors/sp-1/fundings",
        lambda w: {"id": "f-new", "member": "alice", "amount_minutes": 30,
                   "reason": "winter"}),
    ("POST", "/api/v1/redemptions"): (
        "/api/v1/redemptions", lambda w: {"id": "rd-new", "member": "alice", "goods": "rice"}),
    ("GET", "/api/v1/redemptions/{redemption_id}"): ("/api/v1/redemptions/rd-alice", None),
    ("POST", "/api/v1/donations"): (
        "/api/v1/donations", lambda w: {"id": "d-new", "member": "alice", "amount_minutes": 30}),
    ("GET", "/api/v1/donations/{donation_id}"): ("/api/v1/donations/d-alice", None),
    ("POST", "/api/v1/pool/distributions"): (
        "/api/v1/pool/distributions",
        lambda w: {"id": "pd-new", "member": "alice", "amount_minutes": 30,
                   "reason": "winter heating"}),
    ("GET", "/api/v1/pool"): ("/api/v1/pool", None),
    ("GET", "/api/v1/statistics"): ("/api/v1/statistics", None),
    ("GET", VISIT_CODE): (f"{ALICE}/visit-code", None),
    ("POST", VISIT_CODE): (f"{ALICE}/visit-code", None),
    ("POST", "/api/v1/members/{local_id}/death"): (DEATH, lambda w: DEATH_BODY),
    ("GET", "/api/v1/members/{local_id}/death"): (DEATH, None),
    ("POST", "/api/v1/closure"): ("/api/v1/closure", lambda w: {"reason": "merged"}),
    ("GET", "/api/v1/closure"): ("/api/v1/closure", None),
}

SETUP: dict[Endpoint, Callable[[World], None]] = {
    ("GET", SR + "/{request_id}"): _posted("alice"),
    ("POST", SR + "/{request_id}/accept"): _posted("bob"),
    ("POST", SR + "/{request_id}/check-in"): _steps("bob", "alice"),
    ("POST", SR + "/{request_id}/check-out"): _steps("bob", "alice", "check-in"),
    ("POST", SR + "/{request_id}/confirm"): _steps("alice", "bob", "check-in", "check-out"),
    ("POST", SR + "/{request_id}/slip"): _steps("alice", "bob", "check-in", "check-out"),
    ("POST", SR + "/{request_id}/cancel"): _posted("alice"),
    ("POST", SR + "/{request_id}/complaint"): _steps("alice", "bob", "check-in", "check-out"),
    ("POST", SR + "/{request_id}/resolution"): _steps("alice", "bob", "check-in", "check-out",
                                                      "complaint"),
    ("POST", "/api/v1/sponsors/{sponsor_id}/fundings"): _sponsor,
    ("POST", "/api/v1/redemptions"): _goods,
    ("GET", "/api/v1/redemptions/{redemption_id}"): _redeemed,
    ("GET", "/api/v1/donations/{donation_id}"): _donated,
    ("POST", "/api/v1/pool/distributions"): _donated,
    ("GET", VISIT_CODE): lambda w: _admin(w, "POST", f"{ALICE}/visit-code"),
    ("POST", "/api/v1/members/{local_id}/death"): _heir,
    ("GET", "/api/v1/members/{local_id}/death"): _died,
}

READ_ALL = (401, 401, 200, 200, 200, 200, 200, 200)
READ_STAFF = (401, 401, 403, 403, 200, 200, 200, 200)
READ_SUBJECT = (401, 401, 200, 403, 200, 403, 200, 200)
ACT_SUBJECT = (401, 401, 200, 403, 200, 403, 200, 403)
CREATE_SUBJECT = (401, 401, 201, 403, 201, 403, 201, 403)
STAFF_WRITES = (401, 401, 403, 403, 200, 403, 200, 403)
STAFF_CREATES = (401, 401, 403, 403, 201, 403, 201, 403)
# fmt: off
MATRIX: dict[Endpoint, tuple[int, ...]] = {
    #                                           anon  bad  self other s-own s-oth admin reg
    ("POST", SR):                               CREATE_SUBJECT,
    ("GET", SR):                                READ_ALL,
    # An open request is shown to every member: volunteers look for work among them.
    ("GET", SR + "/{request_id}"):              (401, 401, 200, 200, 200, 403, 200, 200),
    ("POST", SR + "/{request_id}/accept"):      ACT_SUBJECT,
    # The volunteer's steps: the volunteer (alice), the staff of the request's station.
    ("POST", SR + "/{request_id}/check-in"):    ACT_SUBJECT,
    ("POST", SR + "/{request_id}/check-out"):   ACT_SUBJECT,
    ("POST", SR + "/{request_id}/confirm"):     ACT_SUBJECT,
    # A paper slip is recorded by the staff of the elder's station or an admin.
    ("POST", SR + "/{request_id}/slip"):        STAFF_WRITES,
    ("POST", SR + "/{request_id}/cancel"):      ACT_SUBJECT,
    ("POST", SR + "/{request_id}/complaint"):   ACT_SUBJECT,
    ("POST", SR + "/{request_id}/resolution"):  STAFF_WRITES,
    ("GET", "/api/v1/disputes"):                READ_STAFF,
    ("GET", "/api/v1/catalogue"):               READ_ALL,
    ("GET", "/api/v1/policy"):                  READ_ALL,
    ("PUT", "/api/v1/members/{local_id}/vetting"): STAFF_WRITES,
    ("GET", "/api/v1/members/{local_id}/vetting"): READ_SUBJECT,
    ("POST", "/api/v1/members/{local_id}/kin"): STAFF_WRITES,
    ("GET", "/api/v1/members/{local_id}/kin"):  READ_SUBJECT,
    ("POST", "/api/v1/sponsors"):               (401, 401, 403, 403, 403, 403, 200, 403),
    ("GET", "/api/v1/sponsors"):                READ_STAFF,
    ("POST", "/api/v1/sponsors/{sponsor_id}/fundings"): STAFF_CREATES,
    ("POST", "/api/v1/redemptions"):            CREATE_SUBJECT,
    ("GET", "/api/v1/redemptions/{redemption_id}"): READ_SUBJECT,
    ("POST", "/api/v1/donations"):              CREATE_SUBJECT,
    ("GET", "/api/v1/donations/{donation_id}"): READ_SUBJECT,
    ("POST", "/api/v1/pool/distributions"):     STAFF_CREATES,
    ("GET", "/api/v1/pool"):                    READ_STAFF,
    ("GET", "/api/v1/statistics"):              READ_STAFF,
    # What the volunteer must hear at her door: never the volunteer's, nor the regulator's.
    ("GET", VISIT_CODE):                        ACT_SUBJECT,
    ("POST", VISIT_CODE):                       ACT_SUBJECT,
    # A death is recorded by her station's staff or an admin, from the papers they saw.
    ("POST", "/api/v1/members/{local_id}/death"): STAFF_CREATES,
    ("GET", "/api/v1/members/{local_id}/death"): READ_SUBJECT,
    # The node's closure is the operator's decision; staff read their station's plan.
    ("POST", "/api/v1/closure"):                (401, 401, 403, 403, 403, 403, 201, 403),
    ("GET", "/api/v1/closure"):                 READ_STAFF,
}
# fmt: on
# A secret of the person served, like her contacts: the regulator reads books, not this.
NOT_FOR_REGULATOR: set[Endpoint] = {("GET", VISIT_CODE)}
