"""The paper-slip form on a request's page (node/console/slips_form.py), and a confirmation
that pays 0 saying "0 分" instead of "the volunteer is paid"."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

from node.clock import FakeClock
from node.console.web import CHINA_TIME
from tests.conftest import Api
from tests.node.console.support import post_form
from tests.node.console.test_requests import available, completed, grant, state_of, step

MINUTE_MS = 60_000


def slip_time(ms: int) -> str:
    """A moment as a station types it off the slip: China time, to the minute."""
    return datetime.fromtimestamp(ms / 1000, tz=CHINA_TIME).strftime("%Y-%m-%dT%H:%M")


def test_a_paper_slip_is_recorded_and_another_staff_member_confirms_it(
        staff: TestClient, second_staff: TestClient, api: Api, clock: FakeClock) -> None:
    grant(api, "wang.fang", 180)
    request_id = completed(staff, clock, "wang.fang", "li.ming", 0)
    clock.advance(25 * MINUTE_MS)  # the slip comes back; the console session stays alive
    posted = api.client.get(f"/api/v1/service-requests/{request_id}",
                            headers=api.admin).json()["created_at_ms"]
    start = -(-posted // MINUTE_MS) * MINUTE_MS + MINUTE_MS
    page = step(staff, request_id, "slip", slip_reference="纸单 0042", slip_reason="事后补录",
                slip_checked_in=slip_time(start),
                slip_checked_out=slip_time(start + 20 * MINUTE_MS))
    assert "服务单已登记" in page and 'id="price" data-minutes="20"' in page
    assert available(api, "wang.fang") == 160
    refused = post_form(staff, f"/console/requests/{request_id}/confirm",
                        f"/console/requests/{request_id}", rating="5", comment="")
    assert refused.status_code == 403 and "separation_of_duties" in refused.text
    paid = step(second_staff, request_id, "confirm", rating="5", comment="")
    assert state_of(paid) == "paid" and "志愿者已收到时间" in paid
    assert available(api, "li.ming") == 20


def test_a_bad_slip_is_refused_in_words(staff: TestClient, api: Api, clock: FakeClock) -> None:
    request_id = completed(staff, clock, "wang.fang", "li.ming", 0)
    page = f"/console/requests/{request_id}"
    refused = post_form(staff, f"{page}/slip", page, slip_reference="0042", slip_reason="补录",
                        hours="9", minutes="0")  # past the policy's 8 hours
    assert refused.status_code == 422 and "服务单上的时间不符合规定" in refused.text
    bad_time = post_form(staff, f"{page}/slip", page, slip_reference="0042",
                         slip_reason="补录", slip_checked_in="yesterday",
                         slip_checked_out="today")
    assert bad_time.status_code == 422 and "签到时间" in bad_time.text


def test_a_confirmation_that_pays_nothing_says_0_minutes(
        staff: TestClient, second_staff: TestClient, clock: FakeClock) -> None:
    request_id = completed(staff, clock, "wang.fang", "li.ming", 0)
    paid = step(second_staff, request_id, "confirm", rating="5", comment="")
    assert state_of(paid) == "paid"
    assert "0 分" in paid and "志愿者已收到时间" not in paid
