"""POST /api/v1/service-requests/{id}/slip: a visit recorded from its paper slip over HTTP."""

from __future__ import annotations

from node.access import Role
from node.clock import FakeClock
from tests.conftest import Api
from tests.node.api.support import assert_problem, writes_nothing
from tests.node.timebank.support import assert_sound, escrow
from tests.node.timebank.test_api import API, Cast, ok

SLIP = {"reference": "slip-0042", "reason": "visit written on paper"}


def test_staff_record_a_slip_and_another_staff_member_confirms(api: Api,
                                                                clock: FakeClock) -> None:
    cast = Cast(api)
    assert cast.visit("r1", clock, 0)["held_minutes"] == 0  # the slip came back late
    path = f"{API}/service-requests/r1"
    recorded = ok(api.client.post(f"{path}/slip", headers=cast.staff,
                                  json={**SLIP, "duration_minutes": 50}))
    assert recorded["held_minutes"] == 50 and escrow(api.node) == 50
    assert_problem(api.client.post(f"{path}/confirm", headers=cast.staff, json={"rating": 5}),
                   403, "separation_of_duties")
    other = api.headers(api.token("staff-2", Role.STAFF, station="east"))
    paid = ok(api.client.post(f"{path}/confirm", headers=other, json={"rating": 5}))
    assert paid["state"] == "paid" and cast.balance("vol") == 50
    assert_sound(api.node)


def test_bad_slips_are_coded_refusals(api: Api, clock: FakeClock) -> None:
    cast = Cast(api)
    cast.visit("r1", clock, 0)
    path = f"{API}/service-requests/r1/slip"
    now = api.node.clock.now_ms()
    with writes_nothing(api.node):
        assert_problem(api.client.post(path, headers=cast.staff, json={
            **SLIP, "checked_in_at_ms": now - 60_000, "checked_out_at_ms": now + 60_000}),
            422, "slip_out_of_bounds")
        assert_problem(api.client.post(path, headers=cast.staff, json={
            **SLIP, "duration_minutes": 10_000}), 422, "slip_out_of_bounds")
        assert_problem(api.client.post(path, headers=cast.staff, json={
            "reference": "slip-1", "duration_minutes": 30}), 422, "validation_failed")
        assert_problem(api.client.post(path, headers=cast.gran, json={
            **SLIP, "duration_minutes": 30}), 403, "forbidden")
