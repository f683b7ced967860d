"""Service requests and disputes in the console: the whole cycle from station staff's forms,
through node.timebank with the staff principal, and the hours it moves on the ledger."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from node.access import Role
from node.clock import FakeClock
from tests.conftest import Api
from tests.node.console.support import csrf_of, fresh_client, ids_of, log_in, post_form

HOUR_MS = 3_600_000


def available(api: Api, local_id: str) -> int:
    got = api.client.get(f"/api/v1/members/{local_id}/balance", headers=api.admin)
    assert got.status_code == 200, got.text
    return int(got.json()["available_minutes"])


def grant(api: Api, local_id: str, minutes: int) -> None:
    made = api.client.post("/api/v1/grants", headers=api.admin, json={
        "id": f"g-{local_id}", "member": local_id, "amount_minutes": minutes,
        "credit_class": "granted", "reason": "hardship"})
    assert made.status_code == 201, made.text


def state_of(html: str) -> str:
    found = re.search(r'id="state" data-state="([a-z_]+)"', html)
    assert found, "no state on the page"
    return found.group(1)


def step(staff: TestClient, request_id: str, name: str, **fields: str) -> str:
    """Send one step's form from the request's page; return the page it leads to."""
    page = f"/console/requests/{request_id}"
    done = post_form(staff, f"{page}/{name}", page, **fields)
    assert done.status_code == 303, done.text
    return staff.get(done.headers["location"]).text


def post_request(staff: TestClient, recipient: str, description: str) -> str:
    page = staff.get(f"/console/requests?recipient={recipient}")
    assert page.status_code == 200, page.text
    assert f'value="{recipient}"' in page.text  # the member page's link fills the elder in
    done = staff.post("/console/requests", data={
        "csrf": csrf_of(page.text), "id": ids_of(page.text)[0], "recipient": recipient,
        "category": "daily_living", "description": description})
    assert done.status_code == 303, done.text
    return done.headers["location"].split("/")[-1].split("?")[0]


def completed(staff: TestClient, clock: FakeClock, recipient: str, volunteer: str,
              minutes: int) -> str:
    request_id = post_request(staff, recipient, "买菜做饭")
    assert state_of(step(staff, request_id, "accept", volunteer=volunteer)) == "accepted"
    assert state_of(step(staff, request_id, "check-in")) == "in_progress"
    clock.advance(minutes * 60_000)  # a short visit: the console session stays alive
    page = step(staff, request_id, "check-out")
    assert state_of(page) == "completed"
    assert f'id="price" data-minutes="{minutes}"' in page
    return request_id


def test_a_request_for_an_elder_from_posting_to_payment(
        staff: TestClient, second_staff: TestClient, api: Api, clock: FakeClock) -> None:
    grant(api, "wang.fang", 180)
    request_id = completed(staff, clock, "wang.fang", "li.ming", 25)
    assert available(api, "wang.fang") == 155  # held in escrow from check-out
    assert available(api, "li.ming") == 0
    listed = staff.get("/console/requests?state=completed").text
    assert f'href="/console/requests/{request_id}"' in listed
    # The staff member who served the visit for the volunteer leaves the payment to another.
    paid = step(second_staff, request_id, "confirm", rating="4", comment="很好")
    assert state_of(paid) == "paid"
    assert "已确认，志愿者已收到时间" in paid and "★★★★☆" in paid
    assert available(api, "li.ming") == 25
    balance = api.client.get("/api/v1/members/li.ming/balance", headers=api.admin).json()
    assert balance["by_class_minutes"] == {"earned": 25}
    member_page = staff.get("/console/members/li.ming").text
    assert 'id="available" data-minutes="25"' in member_page
    # The audit trail shows each step and who took it.
    for action in ("发布", "接单", "签到", "签退", "确认付款"):
        assert action in paid
    # A second confirmation (a stale page) is refused by the service, readably.
    again = post_form(second_staff, f"/console/requests/{request_id}/confirm",
                      f"/console/requests/{request_id}", rating="5")
    assert again.status_code == 409 and "这个需求目前不能进行此操作" in again.text
    assert available(api, "li.ming") == 25


def test_a_complaint_holds_the_payment_until_staff_resolve_it(
        staff: TestClient, second_staff: TestClient, api: Api, clock: FakeClock) -> None:
    grant(api, "wang.fang", 120)
    request_id = completed(staff, clock, "wang.fang", "li.ming", 25)
    held = step(staff, request_id, "complaint", reason="只做了一半")
    assert state_of(held) == "disputed" and "投诉已登记" in held
    assert available(api, "wang.fang") == 95 and available(api, "li.ming") == 0
    assert f'href="/console/requests/{request_id}"' in staff.get("/console/disputes").text
    # A partial release needs an amount below the hold; a wrong one changes nothing.
    too_much = post_form(staff, f"/console/requests/{request_id}/resolution",
                         f"/console/requests/{request_id}", outcome="partial", hours="1",
                         reason="x")
    assert too_much.status_code == 422 and "Traceback" not in too_much.text
    assert available(api, "wang.fang") == 95
    resolved = step(second_staff, request_id, "resolution", outcome="partial", minutes="10",
                    reason="双方同意按 10 分钟结算")
    assert state_of(resolved) == "paid"
    assert "投诉已处理" in resolved and "部分支付，其余退回" in resolved
    assert available(api, "wang.fang") == 110  # 15 of the 25 held came back
    assert available(api, "li.ming") == 10
    assert f'href="/console/requests/{request_id}"' not in staff.get("/console/disputes").text
    assert f'href="/console/requests/{request_id}"' in staff.get(
        "/console/disputes?state=resolved").text


def test_requests_of_another_station_stay_hidden(
        staff: TestClient, api: Api, clock: FakeClock) -> None:
    request_id = post_request(staff, "wang.fang", "")
    other = fresh_client(api)
    assert log_in(other, api.token("huamu", Role.STAFF, station="huamu")).status_code == 303
    page = other.get(f"/console/requests/{request_id}")
    assert page.status_code == 403 and "您没有权限进行此操作" in page.text
    assert request_id not in other.get("/console/requests").text
    refused = post_form(other, f"/console/requests/{request_id}/cancel", "/console/requests",
                        reason="not mine")
    assert refused.status_code == 403
    assert state_of(staff.get(f"/console/requests/{request_id}").text) == "open"


def test_request_pages_read_in_english(staff: TestClient, clock: FakeClock) -> None:
    request_id = post_request(staff, "wang.fang", "")
    staff.get("/console/lang", params={"to": "en"})
    page = staff.get(f"/console/requests/{request_id}").text
    assert "Service request" in page and "Accept for a volunteer" in page and "open" in page
    assert "No disputes." in staff.get("/console/disputes").text
    missing = staff.get("/console/requests/nothing-here")
    assert missing.status_code == 404 and "There is no such request." in missing.text


def test_the_staff_who_served_a_visit_cannot_approve_its_payment(
        staff: TestClient, second_staff: TestClient, api: Api, clock: FakeClock) -> None:
    grant(api, "wang.fang", 120)
    request_id = completed(staff, clock, "wang.fang", "li.ming", 25)
    page = f"/console/requests/{request_id}"
    assert "另一位工作人员或管理员确认" in staff.get(page).text  # the form says so beforehand
    refused = post_form(staff, f"{page}/confirm", page, rating="5")
    assert refused.status_code == 403
    assert "不能再确认付款" in refused.text and "separation_of_duties" in refused.text
    staff.get("/console/lang", params={"to": "en"})
    refused = post_form(staff, f"{page}/confirm", page, rating="5")
    assert refused.status_code == 403 and "cannot also approve the payment" in refused.text
    assert state_of(staff.get(page).text) == "completed" and available(api, "li.ming") == 0
    assert state_of(step(second_staff, request_id, "confirm", rating="5")) == "paid"
    assert available(api, "li.ming") == 25
