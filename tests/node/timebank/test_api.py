"""The service cycle over HTTP: request -> accept -> check-in/out -> complaint holds the payment
-> staff release it; and the confirm-and-rate path, the catalogue and statistics."""

from __future__ import annotations

from typing import Any

import httpx

from node.access import Role
from node.clock import FakeClock
from tests.conftest import Api
from tests.node.api.support import assert_problem, writes_nothing
from tests.node.timebank.support import assert_sound, escrow

API = "/api/v1"


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


class Cast:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.c = api.client
        for local_id, year in (("gran", 1940), ("vol", 1990)):
            ok(self.c.post(f"{API}/members", headers=api.admin, json={
                "local_id": local_id, "display_name": local_id, "station": "east",
                "birth_year": year}), 201)
        ok(self.c.post(f"{API}/grants", headers=api.admin, json={
            "id": "g1", "member": "gran", "amount_minutes": 300, "credit_class": "granted",
            "reason": "vetted"}), 201)
        self.staff = api.headers(api.token("staff", Role.STAFF, station="east"))
        self.gran = api.headers(api.token("gran", Role.MEMBER, member_local_id="gran"))
        self.vol = api.headers(api.token("vol", Role.MEMBER, member_local_id="vol"))
        # What gran shows the volunteer at her door.
        self.gran_code = ok(self.c.post(f"{API}/members/gran/visit-code",
                                        headers=self.staff))["code"]

    def balance(self, local_id: str) -> int:
        return int(ok(self.c.get(f"{API}/members/{local_id}/balance",
                                 headers=self.api.admin))["available_minutes"])

    def visit(self, request_id: str, clock: FakeClock, minutes: int) -> dict[str, Any]:
        c = self.c
        posted = ok(c.post(f"{API}/service-requests", headers=self.staff, json={
            "id": request_id, "recipient": "gran", "category": "daily_living",
            "description": "shopping and a meal"}), 201)
        assert posted["state"] == "open" and posted["posted_by"].startswith("staff:east")
        path = f"{API}/service-requests/{request_id}"
        assert ok(c.post(f"{path}/accept", headers=self.vol, json={"volunteer": "vol"})
                  )["state"] == "accepted"
        assert ok(c.post(f"{path}/check-in", headers=self.vol,
                         json={"code": self.gran_code}))["state"] == "in_progress"
        clock.advance(minutes * 60_000)
        return ok(c.post(f"{path}/check-out", headers=self.vol))


def test_a_dispute_freezes_the_payment_until_staff_release_it(api: Api,
                                                              clock: FakeClock) -> None:
    cast = Cast(api)
    done = cast.visit("r1", clock, 50)
    assert (done["state"], done["held_minutes"]) == ("completed", 50)
    path = f"{API}/service-requests/r1"
    disputed = ok(cast.c.post(f"{path}/complaint", headers=cast.gran,
                              json={"reason": "left early"}))
    assert disputed["state"] == "disputed" and disputed["dispute"]["state"] == "open"
    # Frozen: the hours sit in escrow, neither paid nor refunded, and stay there while the
    # recipient tries to confirm and the volunteer tries to resolve.
    assert (cast.balance("gran"), cast.balance("vol"), escrow(api.node)) == (250, 0, 50)
    with writes_nothing(api.node):
        assert_problem(cast.c.post(f"{path}/confirm", headers=cast.gran,
                                   json={"rating": 5}), 409, "service_request_state")
        assert_problem(cast.c.post(f"{path}/resolution", headers=cast.vol, json={
            "outcome": "release", "reason": "mine"}), 403, "forbidden")
    listed = ok(cast.c.get(f"{API}/disputes?state=open", headers=cast.staff))["items"]
    assert [(d["request_id"], d["held_minutes"]) for d in listed] == [("r1", 50)]

    released = ok(cast.c.post(f"{path}/resolution", headers=cast.staff, json={
        "outcome": "release", "reason": "the visit was complete; checked with the family"}))
    assert released["state"] == "paid" and released["dispute"]["outcome"] == "release"
    assert (cast.balance("gran"), cast.balance("vol"), escrow(api.node)) == (250, 50, 0)
    actions = [line["action"] for line in released["history"]]
    assert actions == ["posted", "accepted", "checked_in", "checked_out", "complaint",
                       "resolved_release"]
    assert released["history"][-1]["entry_height"] is not None
    assert ok(cast.c.get(f"{API}/disputes?state=open", headers=cast.staff))["items"] == []
    assert_sound(api.node)


def test_confirm_and_rate_pays_the_volunteer(api: Api, clock: FakeClock) -> None:
    cast = Cast(api)
    cast.visit("r1", clock, 30)
    path = f"{API}/service-requests/r1"
    assert_problem(cast.c.post(f"{path}/confirm", headers=cast.gran, json={"rating": 6}),
                   422, "validation_failed")
    paid = ok(cast.c.post(f"{path}/confirm", headers=cast.gran,
                          json={"rating": 4, "comment": "on time, friendly"}))
    assert (paid["state"], paid["rating"], paid["credited_minutes"]) == ("paid", 4, 30)
    assert cast.balance("vol") == 30 and cast.balance("gran") == 270
    stats = ok(cast.c.get(f"{API}/statistics", headers=cast.api.headers(
        cast.api.token("reg", Role.REGULATOR))))
    assert stats["demand"]["by_category"] == {"daily_living": 1}
    assert stats["demand"]["by_age_band"] == {"80_plus": 1}
    assert stats["supply"]["by_age_band"]["18_39"] == {
        "accepted": 1, "completed": 1, "minutes_served": 30, "volunteers": 1}
    assert stats["ratings"]["mean"] == 4.0 and stats["completion"]["completion_rate"] == 1.0


def test_partial_and_refund_resolutions(api: Api, clock: FakeClock) -> None:
    cast = Cast(api)
    for request_id in ("r1", "r2"):
        cast.visit(request_id, clock, 60)
        ok(cast.c.post(f"{API}/service-requests/{request_id}/complaint", headers=cast.staff,
                       json={"reason": "family says the meal was not cooked"}))
    bad = {"outcome": "partial", "released_minutes": 60, "reason": "all of it?"}
    with writes_nothing(api.node):
        assert_problem(cast.c.post(f"{API}/service-requests/r1/resolution",
                                   headers=cast.staff, json=bad), 422, "validation_failed")
    part = ok(cast.c.post(f"{API}/service-requests/r1/resolution", headers=cast.staff, json={
        "outcome": "partial", "released_minutes": 20, "reason": "shopping done, meal not"}))
    assert (part["released_minutes"], part["refunded_minutes"]) == (20, 40)
    refund = ok(cast.c.post(f"{API}/service-requests/r2/resolution", headers=cast.staff,
                            json={"outcome": "refund", "reason": "no-show confirmed"}))
    assert refund["state"] == "refunded"
    assert (cast.balance("gran"), cast.balance("vol"), escrow(api.node)) == (280, 20, 0)
    assert_sound(api.node)


def test_catalogue_shows_standards_and_exchange_rates(api: Api) -> None:
    cast = Cast(api)
    catalogue = ok(cast.c.get(f"{API}/catalogue", headers=cast.gran))
    assert [c["code"] for c in catalogue["categories"]] == [
        "daily_living", "health", "home_safety", "education_recreation", "professional"]
    assert catalogue["unit"] == {"name": "minute", "units": 1, "minutes": 1, "step_minutes": 1}
    assert catalogue["hours_convertible_to_money"] is False
    assert ok(cast.c.get(f"{API}/policy", headers=cast.gran))["programme"] == "default"


def test_a_one_token_cycle_is_refused_at_confirm_as_a_problem(api: Api,
                                                              clock: FakeClock) -> None:
    cast = Cast(api)
    c, path = cast.c, f"{API}/service-requests/r1"
    ok(c.post(f"{API}/service-requests", headers=cast.staff, json={
        "id": "r1", "recipient": "gran", "category": "daily_living", "description": "meal"}), 201)
    ok(c.post(f"{path}/accept", headers=cast.staff, json={"volunteer": "vol"}))
    ok(c.post(f"{path}/check-in", headers=cast.staff))
    clock.advance(30 * 60_000)
    ok(c.post(f"{path}/check-out", headers=cast.staff))
    with writes_nothing(api.node):
        refused = assert_problem(c.post(f"{path}/confirm", headers=cast.staff,
                                        json={"rating": 5}), 403, "separation_of_duties")
    assert "another staff member" in refused["detail"]
    assert ok(c.post(f"{path}/confirm", headers=cast.gran, json={"rating": 5}))["state"] == "paid"
    assert cast.balance("vol") == 30


def test_the_subsidy_cap_is_a_409_problem(api: Api, clock: FakeClock) -> None:
    cast = Cast(api)
    policy = api.node.timebank.requests.policy
    api.node.timebank.requests.policy = policy.model_copy(update={"caps": policy.caps.model_copy(
        update={"station_subsidised_daily_minutes": 60})})
    ok(cast.c.put(f"{API}/members/gran/vetting", headers=cast.staff, json={
        "hardship": False, "subsidised": True, "reason": "dibao"}))
    for request_id, minutes in (("r1", 40), ("r2", 30)):
        assert cast.visit(request_id, clock, minutes)["payer"] == "issuance"
    assert ok(cast.c.post(f"{API}/service-requests/r1/confirm", headers=cast.gran,
                          json={"rating": 5}))["released_minutes"] == 40
    with writes_nothing(api.node):
        assert_problem(cast.c.post(f"{API}/service-requests/r2/confirm", headers=cast.gran,
                                   json={"rating": 5}), 409, "subsidy_cap_exceeded")
    assert cast.balance("vol") == 40
