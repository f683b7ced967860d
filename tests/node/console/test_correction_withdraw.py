"""A pending correction withdrawn from the request page (pages_corrections.py): the recorder
sees the withdraw form, another staff member does not and is refused; once withdrawn it is shown
as withdrawn with its reason and cannot be confirmed."""

from __future__ import annotations

from fastapi.testclient import TestClient

from node.clock import FakeClock
from tests.conftest import Api
from tests.node.console.support import post_form
from tests.node.console.test_corrections import _correct
from tests.node.console.test_requests import available, completed, grant, state_of, step


def test_the_recorder_withdraws_a_pending_correction(
        staff: TestClient, second_staff: TestClient, api: Api, clock: FakeClock) -> None:
    grant(api, "wang.fang", 180)
    request_id = completed(staff, clock, "wang.fang", "li.ming", 30)
    assert state_of(step(second_staff, request_id, "confirm", rating="5", comment="")) == "paid"
    page = _correct(staff, request_id, hours="1", minutes="0")
    correction = page.split('data-correction="', 1)[1].split('"', 1)[0]
    withdraw = f"/console/corrections/{correction}/withdraw"
    assert f'action="{withdraw}"' in page
    assert f'action="{withdraw}"' not in second_staff.get(f"/console/requests/{request_id}").text
    here = f"/console/requests/{request_id}"
    refused = post_form(second_staff, withdraw, here, withdraw_reason="不对")
    assert refused.status_code == 403 and "forbidden" in refused.text
    empty = post_form(staff, withdraw, here, withdraw_reason=" ")
    assert empty.status_code == 422 and "理由" in empty.text
    done = post_form(staff, withdraw, here, withdraw_reason="服务单看错了")
    assert done.status_code == 303, done.text
    shown = staff.get(done.headers["location"]).text
    assert "更正已撤回" in shown and 'data-state="withdrawn"' in shown
    assert "服务单看错了" in shown and f'action="{withdraw}"' not in shown
    confirm = post_form(second_staff, f"/console/corrections/{correction}/confirm", here)
    assert confirm.status_code == 409 and "已被撤回" in confirm.text
    assert (available(api, "li.ming"), available(api, "wang.fang")) == (30, 150)
