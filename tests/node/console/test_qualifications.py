"""The member page's volunteer record: staff record a qualification (validated as the API
validates it), see it valid today or not, and the honour level (none under the default
policy); another station's staff are refused in words."""

from __future__ import annotations

from fastapi.testclient import TestClient

from node.access import Role
from tests.conftest import Api
from tests.node.console.support import fresh_client, log_in, post_form

PAGE = "/console/members/wang.fang"
FORM = {"kind": "health_care", "title": "养老护理员证", "issuer": "上海市人社局",
        "valid_from": "2020-01-01", "valid_until": "", "evidence_ref": "SH-0001"}


def _form_id(html: str) -> str:
    marker = 'name="id" value="console-qualification-'
    start = html.index(marker) + len('name="id" value="')
    return html[start:html.index('"', start)]


def test_staff_record_a_qualification_on_the_member_page(staff: TestClient) -> None:
    page = staff.get(PAGE).text
    assert 'id="qualifications"' in page and "还没有登记资质" in page
    assert "本节点的规则没有设星级" in page  # the default policy has no honour levels
    done = post_form(staff, f"{PAGE}/qualifications", PAGE, id=_form_id(page), **FORM)
    assert done.status_code == 303, done.text
    shown = staff.get(done.headers["location"]).text
    assert "资质已登记" in shown and "养老护理员证" in shown and 'data-valid="yes"' in shown
    bad = post_form(staff, f"{PAGE}/qualifications", PAGE, id=_form_id(page),
                    **{**FORM, "valid_from": "next year"})
    assert bad.status_code == 422 and "有效期起" in bad.text


def test_another_stations_staff_are_refused(api: Api, staff_token: str) -> None:
    other = fresh_client(api)
    assert log_in(other, api.token("staff-h", Role.STAFF, station="huamu")).status_code == 303
    refused = post_form(other, f"{PAGE}/qualifications", "/console/members", id="console-q-1",
                        **FORM)
    assert refused.status_code == 403, refused.text[-800:]
