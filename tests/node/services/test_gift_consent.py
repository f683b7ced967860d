"""A gift to a member of another node needs the sender's `cross_node_gifts` consent when someone
acts for her (node/services/transfers.py's require_gift_consent): staff and admins are refused
`consent_required` until it is recorded; her own gift is her consent; gifts on her own node
need none. Two nodes in one process, through the domain service and the API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from node.access import Principal, Role
from node.errors import ErrorCode, RuleViolation
from node.privacy.consents import Purpose
from tests.factories import ADMIN, grant
from tests.federation import Federation, audit

SH, NJ = "sh-pudong", "nj-gulou"
STAFF = Principal(Role.STAFF, "desk", station="east")


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """gran and mei at sh-pudong (station east), neither consenting yet; m0 at each node."""
    federation = Federation(tmp_path_factory.mktemp("gifts"), [SH, NJ], members=1)
    sh = federation.nodes[SH]
    for local_id in ("gran", "mei"):
        sh.members.create(ADMIN, local_id=local_id, display_name=local_id.title(),
                          station="east", birth_year=1946)
        grant(sh, local_id, 600)
    yield federation
    federation.settle()
    audit(federation)
    federation.close()


def _give(fed: Federation, principal: Principal, transfer_id: str, debtor: str,
          creditor: str) -> dict[str, object]:
    return fed.nodes[SH].transfers.create(principal, transfer_id=transfer_id, debtor=debtor,
                                          creditor=creditor, amount_minutes=30, memo="").record


def test_staff_need_her_consent_for_a_gift_to_another_node(fed: Federation) -> None:
    with pytest.raises(RuleViolation) as refused:
        _give(fed, STAFF, "g-staff-1", "gran", f"m0@{NJ}")
    assert refused.value.code is ErrorCode.CONSENT_REQUIRED
    assert _give(fed, STAFF, "g-local", "gran", "m0")["state"] == "committed"  # same node
    fed.nodes[SH].privacy.set_consent(STAFF, "gran", Purpose.CROSS_NODE_GIFTS, given=True,
                                      guardian_name=None)
    assert _give(fed, STAFF, "g-staff-2", "gran", f"m0@{NJ}")["state"] == "pending"


def test_her_own_gift_is_her_consent(fed: Federation) -> None:
    herself = Principal(Role.MEMBER, "tok-mei", member_local_id="mei")
    assert _give(fed, herself, "g-mei", "mei", f"m0@{NJ}")["state"] == "pending"


def test_the_api_refuses_422_until_the_consent_is_recorded(fed: Federation) -> None:
    refused = fed.send(f"mei@{SH}", f"m0@{NJ}", 30, transfer_id="g-api-1")
    assert refused.status_code == 422 and refused.json()["code"] == "consent_required"
    given = fed.call(SH, "PUT", "/api/v1/members/mei/consents/cross_node_gifts",
                     {"given": True})
    assert given.status_code == 200, given.text
    made = fed.send(f"mei@{SH}", f"m0@{NJ}", 30, transfer_id="g-api-2")
    assert made.status_code == 201, made.text
    withdrawn = fed.call(SH, "PUT", "/api/v1/members/mei/consents/cross_node_gifts",
                         {"given": False})
    assert withdrawn.status_code == 200
    again = fed.send(f"mei@{SH}", f"m0@{NJ}", 30, transfer_id="g-api-3")
    assert again.status_code == 422 and again.json()["code"] == "consent_required"
