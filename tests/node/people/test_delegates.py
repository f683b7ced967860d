"""Family access: alice's son sam (registered kin, another station) is given the right to act
for her, acts through the existing services with his own session, and loses it on revocation.
Nobody sees another member's data without such a grant."""

from __future__ import annotations

from node.access import Principal, Role, can_act_for, require_act_for
from tests.node.api.support import assert_problem, writes_nothing
from tests.node.people.support import ALICE_PIN, SAM_PIN, Family, Phone

DELEGATES = "/api/v1/members/alice/delegates"


def _enrolled(family: Family) -> tuple[Phone, Phone]:
    family.enrol("alice", ALICE_PIN, family.east)
    family.enrol("sam", SAM_PIN, family.west)
    grant = family.api.client.post("/api/v1/grants", headers=family.api.admin, json={
        "id": "g-alice", "member": "alice", "amount_minutes": 600, "credit_class": "granted",
        "reason": "care plan"})
    assert grant.status_code == 201, grant.text
    return family.signed_in("alice", ALICE_PIN), family.signed_in("sam", SAM_PIN)


def _need(phone: Phone, request_id: str) -> int:
    return phone.post("/api/v1/service-requests", {
        "id": request_id, "recipient": "alice", "category": "health",
        "description": "a ride to the clinic"}).status_code


def test_the_elder_grants_and_her_son_acts_for_her_until_revoked(family: Family) -> None:
    alice, sam = _enrolled(family)
    assert_problem(sam.get("/api/v1/members/alice/balance"), 403, "forbidden")
    assert _need(sam, "sr-before") == 403

    granted = alice.post(DELEGATES, {"delegate": "sam"})
    assert granted.status_code == 201, granted.text
    assert granted.json() | {"granted_at_ms": 0} == {
        "member": "alice", "delegate": "sam", "granted_by": "member:alice", "granted_at_ms": 0,
        "revoked_by": None, "revoked_at_ms": None, "active": True}
    # Felt at his next request: no new sign-in needed.
    assert sam.get("/api/v1/people/sessions/current").json()["acts_for"] == ["alice"]
    assert sam.get("/api/v1/members/alice/balance").json()["available_minutes"] == 600
    assert _need(sam, "sr-by-sam") == 201
    posted = family.api.client.get("/api/v1/service-requests/sr-by-sam", headers=family.east)
    assert posted.json()["posted_by"] == "member:sam"  # records name him, never her
    sent = sam.post("/api/v1/transfers", {"id": "t-by-sam", "from": "alice", "to": "sam",
                                          "amount_minutes": 60})
    assert sent.status_code == 201, sent.text
    cancelled = sam.post("/api/v1/service-requests/sr-by-sam/cancel", {"reason": "she is better"})
    assert cancelled.status_code == 200, cancelled.text
    assert "sr-by-sam" in _listed(sam)  # no longer open: listed for her and her delegate only

    revoked = alice.delete(f"{DELEGATES}/sam")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_by"] == "member:alice" and not revoked.json()["active"]
    with writes_nothing(family.node):
        assert _need(sam, "sr-after") == 403
        assert sam.post("/api/v1/transfers", {"id": "t-after", "from": "alice", "to": "sam",
                                              "amount_minutes": 60}).status_code == 403
    assert_problem(sam.get("/api/v1/members/alice/balance"), 403, "forbidden")
    assert "sr-by-sam" not in _listed(sam)
    assert "sr-by-sam" in _listed(alice)


def _listed(phone: Phone) -> list[str]:
    response = phone.get("/api/v1/service-requests")
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_only_registered_kin_at_this_node_become_delegates(family: Family) -> None:
    family.enrol("alice", ALICE_PIN, family.east)
    alice = family.signed_in("alice", ALICE_PIN)
    with writes_nothing(family.node):
        assert_problem(alice.post(DELEGATES, {"delegate": "carol"}), 422, "delegate_not_kin")
        assert_problem(alice.post(DELEGATES, {"delegate": "alice"}), 422, "validation_failed")
        assert_problem(alice.post(DELEGATES, {"delegate": "hardship-pool"}), 409,
                       "local_id_reserved")
    # Kin at another node (a son in another city) cannot be one either: he is not a member here.
    kin = family.api.client.post("/api/v1/members/alice/kin", headers=family.east,
                                 json={"relative": "wei@nj-gulou", "relation": "child"})
    assert kin.status_code == 200, kin.text
    assert_problem(alice.post(DELEGATES, {"delegate": "wei"}), 422, "delegate_not_kin")


def test_who_may_grant_list_and_revoke(family: Family) -> None:
    alice, sam = _enrolled(family)
    client = family.api.client
    with writes_nothing(family.node):
        assert_problem(client.post(DELEGATES, headers=family.west, json={"delegate": "sam"}),
                       403, "forbidden")
    granted = client.post(DELEGATES, headers=family.east, json={"delegate": "sam"})
    assert granted.status_code == 201 and granted.json()["granted_by"].startswith("staff:east:")
    again = client.post(DELEGATES, headers=family.east, json={"delegate": "sam"})
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"

    # A delegate acts for her, never in her place: he names or ends no delegates for her.
    family.api.client.post("/api/v1/members/alice/kin", headers=family.east,
                           json={"relative": "bob", "relation": "friend"})
    with writes_nothing(family.node):
        assert_problem(sam.post(DELEGATES, {"delegate": "bob"}), 403, "forbidden")
    listed = [alice.get(DELEGATES), sam.get(DELEGATES), client.get(DELEGATES, headers=family.east)]
    assert {r.status_code for r in listed} == {200}
    assert listed[0].json()["items"][0]["delegate"] == "sam"
    assert_problem(client.get(DELEGATES, headers=family.west), 403, "forbidden")

    # He may give it up himself; then nothing is left to end.
    assert sam.delete(f"{DELEGATES}/sam").json()["revoked_by"] == "member:sam"
    assert_problem(client.delete(f"{DELEGATES}/sam", headers=family.east), 404,
                   "delegate_not_found")
    history = alice.get(DELEGATES).json()["items"]
    assert [(i["delegate"], i["active"]) for i in history] == [("sam", False)]


def test_a_member_never_sees_another_members_data(family: Family) -> None:
    alice, sam = _enrolled(family)
    family.enrol("carol", "318204", family.west)
    carol = family.signed_in("carol", "318204")
    alice.post(DELEGATES, {"delegate": "sam"})
    for path in ("/api/v1/members/alice/balance", "/api/v1/members/alice/statement",
                 "/api/v1/members/alice", DELEGATES, "/api/v1/members/alice/credential",
                 "/api/v1/members/alice/kin", "/api/v1/members/nobody/balance"):
        assert_problem(carol.get(path), 403, "forbidden")
    # Sam acts for alice, not for anyone else; alice sees nothing of sam's.
    for phone, other in ((sam, "carol"), (sam, "bob"), (alice, "sam")):
        assert_problem(phone.get(f"/api/v1/members/{other}/balance"), 403, "forbidden")
    assert sam.get("/api/v1/members/sam/balance").status_code == 200


def test_acts_for_in_the_pure_rule() -> None:
    son = Principal(Role.MEMBER, "session", member_local_id="sam", acts_for=frozenset({"alice"}))
    assert can_act_for(son, local_id="alice", station="east")
    assert can_act_for(son, local_id="sam", station="west")
    assert not can_act_for(son, local_id="carol", station="west")
    staff = Principal(Role.STAFF, "t", station="west", acts_for=frozenset({"alice"}))
    assert not can_act_for(staff, local_id="alice", station="east")  # only members delegate
    require_act_for(son, local_id="alice", station=None)
