"""A family on one node for the personal centre's pages: alice (82, station east) has a PIN and
hours; her son sam (west) is her kin and may act for her; carol (west) is nobody to them; chen
(陈志强, east) volunteers. The node knows a second node, nj-gulou, so hours can be sent there
(they stay pending: no sender runs in these tests)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from node.access import Role
from node.clock import FakeClock
from tests.conftest import Api
from tests.node.centre.support import Phone
from tests.node.people.support import ALICE_PIN, SAM_PIN, Family
from tests.node.people.support import family as family
from tests.support import directory_document

CAROL_PIN = "593817"
CHEN_PIN = "864205"
PEER = "nj-gulou"


@dataclass
class Home:
    family: Family
    api: Api
    clock: FakeClock

    def phone(self, client: tuple[str, int] = ("198.51.100.9", 50000)) -> Phone:
        return Phone(self.family.app, client)

    def signed_in(self, member: str, pin: str) -> Phone:
        phone = self.phone()
        response = phone.sign_in(member, pin)
        assert response.status_code == 303, response.text
        return phone

    def grant(self, member: str, minutes: int, grant_id: str) -> None:
        made = self.api.client.post("/api/v1/grants", headers=self.api.admin, json={
            "id": grant_id, "member": member, "amount_minutes": minutes,
            "credit_class": "earned", "reason": "test"})
        assert made.status_code == 201, made.text


@pytest.fixture
def home(family: Family, api: Api, clock: FakeClock) -> Home:
    return make_home(family, api, clock)


def make_home(family: Family, api: Api, clock: FakeClock) -> Home:
    """The family's PINs, a volunteer, a delegate, kin at nj-gulou and alice's hours (the
    fixture's body, for a world built once)."""
    api.node.federation.accept(directory_document([api.node.config.node_id, PEER]))
    made = api.client.post("/api/v1/members", headers=api.admin, json={
        "local_id": "chen", "display_name": "陈志强", "station": "east", "birth_year": 1970})
    assert made.status_code == 201, made.text
    family.enrol("alice", ALICE_PIN, family.east)
    family.enrol("sam", SAM_PIN, family.west)
    family.enrol("carol", CAROL_PIN, family.west)
    family.enrol("chen", CHEN_PIN, family.east)
    granted = api.client.post("/api/v1/members/alice/delegates", headers=family.east,
                              json={"delegate": "sam"})
    assert granted.status_code == 201, granted.text
    kin = api.client.post("/api/v1/members/alice/kin", headers=api.admin,
                          json={"relative": f"wang.jun@{PEER}", "relation": "child"})
    assert kin.status_code == 200, kin.text
    result = Home(family=family, api=api, clock=clock)
    result.grant("alice", 750, "g-alice")
    return result


def serve(home: Home, request_id: str, *, minutes: int, confirm: bool = True) -> None:
    """chen visits alice for `minutes` (daily living help), posted and checked in by her
    station's staff; she confirms and pays unless `confirm` is False (the payment stays held)."""
    api = home.api
    chen = api.headers(api.token("chen", Role.MEMBER, member_local_id="chen"))
    alice = api.headers(api.token("alice", Role.MEMBER, member_local_id="alice"))
    posted = api.client.post("/api/v1/service-requests", headers=home.family.east, json={
        "id": request_id, "recipient": "alice", "category": "daily_living"})
    assert posted.status_code == 201, posted.text
    base = f"/api/v1/service-requests/{request_id}"
    done = api.client.post(f"{base}/accept", headers=chen, json={"volunteer": "chen"})
    assert done.status_code == 200, done.text
    # Checked in by her station's staff, who need no visit code (the volunteer's phone would).
    done = api.client.post(f"{base}/check-in", headers=home.family.east)
    assert done.status_code == 200, done.text
    home.clock.advance(minutes * 60_000)
    done = api.client.post(f"{base}/check-out", headers=chen)
    assert done.status_code == 200, done.text
    if confirm:
        done = api.client.post(f"{base}/confirm", headers=alice, json={"rating": 5,
                                                                       "comment": ""})
        assert done.status_code == 200, done.text
