"""The request page's paper forms beyond the slip: a paid visit corrected from its slip and
confirmed by a second person (node/console/pages_corrections.py), and a visit never checked in
recorded whole."""

from __future__ import annotations

from fastapi.testclient import TestClient

from node.clock import FakeClock
from tests.conftest import Api
from tests.node.console.support import post_form
from tests.node.console.test_requests import (
    available,
    completed,
    grant,
    post_request,
    state_of,
    step,
)


def _correct(staff: TestClient, request_id: str, **fields: str) -> str:
    page = f"/console/requests/{request_id}"
    form = staff.get(page).text
    assert 'action="/console/corrections"' in form and 'name="seen" value="0"' in form
    done = post_form(staff, "/console/corrections", page, request=request_id, seen="0",
                     slip_reference="纸单 7", slip_reason="单子后来找到", **fields)
    assert done.status_code == 303, done.text
    return staff.get(done.headers["location"]).text


def test_a_paid_visit_is_corrected_and_a_second_person_confirms(
        staff: TestClient, second_staff: TestClient, api: Api, clock: FakeClock) -> None:
    grant(api, "wang.fang", 180)
    request_id = completed(staff, clock, "wang.fang", "li.ming", 30)
    assert state_of(step(second_staff, request_id, "confirm", rating="5", comment="")) == "paid"
    page = _correct(staff, request_id, hours="1", minutes="0")
    assert "更正已登记" in page and 'data-state="pending"' in page
    assert available(api, "li.ming") == 30  # nothing moves before the confirmation
    again = post_form(staff, "/console/corrections", f"/console/requests/{request_id}",
                      request=request_id, seen="0", slip_reference="纸单 7",
                      slip_reason="单子后来找到", hours="1", minutes="0")
    assert again.status_code == 303  # the same form twice: a replay
    correction = page.split('data-correction="', 1)[1].split('"', 1)[0]
    confirm = f"/console/corrections/{correction}/confirm"
    refused = post_form(staff, confirm, f"/console/requests/{request_id}")
    assert refused.status_code == 403 and "separation_of_duties" in refused.text
    done = post_form(second_staff, confirm, f"/console/requests/{request_id}")
    assert done.status_code == 303, done.text
    assert "更正已生效" in second_staff.get(done.headers["location"]).text
    assert (available(api, "li.ming"), available(api, "wang.fang")) == (60, 120)


def test_a_visit_never_checked_in_is_recorded_whole(staff: TestClient, api: Api) -> None:
    grant(api, "wang.fang", 180)
    request_id = post_request(staff, "wang.fang", "买菜")
    page = step(staff, request_id, "accept", volunteer="li.ming")
    assert "按纸质服务单登记整次服务" in page
    recorded = step(staff, request_id, "slip", slip_reference="纸单 8", slip_reason="没签到",
                    hours="0", minutes="45")
    assert state_of(recorded) == "completed" and "45 分" in recorded
