"""The console's home-visit contact page (pages_visit_contact.py) through a real browser
session: without her consent it says so in words with the code, not a 500; with it, her phone
and address; another station's member is the coded error page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Api

PAGE = "/console/members/wang.fang/visit-contact"
ADDRESS = "浦东新区世纪大道1号"


def test_the_page_refuses_in_words_without_consent_and_shows_it_with(staff: TestClient,
                                                                     api: Api) -> None:
    saved = api.client.patch("/api/v1/members/wang.fang/personal-data", headers=api.admin,
                             json={"phone": "13800001111", "home_address": ADDRESS})
    assert saved.status_code == 200, saved.text
    refused = staff.get(PAGE)
    assert refused.status_code == 422
    assert 'data-code="consent_required"' in refused.text and "还没有同意" in refused.text
    assert ADDRESS not in refused.text
    given = api.client.put("/api/v1/members/wang.fang/consents/home_visit_contact",
                           headers=api.admin, json={"given": True})
    assert given.status_code == 200
    shown = staff.get(PAGE)
    assert shown.status_code == 200 and ADDRESS in shown.text and "13800001111" in shown.text
    assert PAGE in staff.get("/console/members/wang.fang").text  # linked from her page
    other = staff.get("/console/members/zhao.lei/visit-contact")
    assert other.status_code == 403 and "13800001111" not in other.text
