"""The home-visit contact (node/privacy/visit_contact.py): her phone and address go to her
station's staff, an admin or the volunteer on his way, only while she consents to
`home_visit_contact`; without it `consent_required`, with nothing shown; every call is a row
of the access log. Through the domain service and the API on a real SQLite node."""

from __future__ import annotations

import pytest

from node.errors import AuthError, ErrorCode, RuleViolation
from node.privacy.consents import Purpose
from node.runtime import Node
from tests.conftest import Api
from tests.factories import ADMIN
from tests.node.privacy.support import STAFF_EAST, STAFF_WEST, log_rows, member, register

ADDRESS = "鼓楼区湖南路12号3楼"
FIELDS = "phone,home_address,emergency_name,emergency_phone"


def _gran_with_data(node: Node) -> None:
    register(node, "gran", name="王芳")
    register(node, "vol", name="赵磊", birth_year=1990)
    node.privacy.correct(STAFF_EAST, "gran", {"phone": "13800001111", "home_address": ADDRESS})


def _consent(node: Node, given: bool) -> None:
    node.privacy.set_consent(STAFF_EAST, "gran", Purpose.HOME_VISIT_CONTACT, given=given,
                             guardian_name=None)


def test_staff_are_refused_without_consent_and_served_with_it(sqlite_node: Node) -> None:
    _gran_with_data(sqlite_node)
    with pytest.raises(RuleViolation) as refused:
        sqlite_node.privacy.visit_contact(STAFF_EAST, "gran")
    assert refused.value.code is ErrorCode.CONSENT_REQUIRED and ADDRESS not in str(refused.value)
    _consent(sqlite_node, True)
    shown = sqlite_node.privacy.visit_contact(STAFF_EAST, "gran")
    assert (shown["home_address"], shown["phone"]) == (ADDRESS, "13800001111")
    assert shown["consented_at_ms"] is not None
    _consent(sqlite_node, False)  # withdrawn: refused again
    with pytest.raises(RuleViolation):
        sqlite_node.privacy.visit_contact(ADMIN, "gran")
    reads = [row for row in log_rows(sqlite_node, "gran") if row[2] == FIELDS]
    assert [(actor, result) for actor, _, _, result in reads] == [
        (STAFF_EAST.actor, "refused"), (STAFF_EAST.actor, "allowed"), (ADMIN.actor, "refused")]


def test_only_the_volunteer_of_an_accepted_request_reads_it(sqlite_node: Node) -> None:
    _gran_with_data(sqlite_node)
    _consent(sqlite_node, True)
    with pytest.raises(AuthError):  # no request of hers taken by him
        sqlite_node.privacy.visit_contact(member("vol"), "gran")
    sqlite_node.timebank.requests.post(ADMIN, request_id="r1", recipient="gran",
                                       category="daily_living", item=None,
                                       description="sweep the floor")
    with pytest.raises(AuthError):  # open, not yet his
        sqlite_node.privacy.visit_contact(member("vol"), "gran")
    sqlite_node.timebank.requests.accept(member("vol"), "r1", volunteer="vol")
    assert sqlite_node.privacy.visit_contact(member("vol"), "gran")["home_address"] == ADDRESS
    for other in (STAFF_WEST, member("gran")):  # another station; her own page shows her data
        with pytest.raises(AuthError):
            sqlite_node.privacy.visit_contact(other, "gran")


def test_the_api_answers_422_consent_required_then_the_contact(api: Api) -> None:
    _gran_with_data(api.node)
    url = "/api/v1/members/gran/visit-contact"
    refused = api.client.get(url, headers=api.admin)
    assert refused.status_code == 422 and refused.json()["code"] == "consent_required"
    given = api.client.put("/api/v1/members/gran/consents/home_visit_contact",
                           headers=api.admin, json={"given": True})
    assert given.status_code == 200
    shown = api.client.get(url, headers=api.admin)
    assert shown.status_code == 200 and shown.json()["home_address"] == ADDRESS
