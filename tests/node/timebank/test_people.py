"""Grants under the policy (classes, vetting), sponsors, the kin registry, the local pool."""

from __future__ import annotations

import pytest

from node.errors import Conflict, ErrorCode, NotFound, RuleViolation
from protocol.credit import CreditClass
from tests.factories import ADMIN, by_class, grant
from tests.node.timebank.conftest import STAFF, PolicyNode, people
from tests.node.timebank.support import assert_sound


def test_granted_hours_need_vetting_where_the_policy_says_so(policy_node: PolicyNode) -> None:
    node = policy_node("shanghai-2026")
    people(node, ("gran", 1940))
    with pytest.raises(RuleViolation) as err:
        grant(node, "gran", 60)
    assert err.value.code == ErrorCode.NOT_ELIGIBLE
    vetted = node.timebank.people.vet(STAFF, "gran", hardship=True, subsidised=False,
                                      reason="widowed, low income")
    assert [h["action"] for h in vetted["history"]] == ["vetted"]
    grant(node, "gran", 60)
    assert by_class(node, "gran") == {"granted": 60}


def test_a_class_the_policy_does_not_issue_is_refused(policy_node: PolicyNode) -> None:
    node = policy_node(policy={"credit": {"classes": ["earned", "granted"]}})
    people(node, ("gran", 1940))
    with pytest.raises(RuleViolation) as err:
        grant(node, "gran", 60, credit_class=CreditClass.SPONSORED)
    assert err.value.code == ErrorCode.CREDIT_CLASS_NOT_ALLOWED


def test_sponsors_fund_sponsored_hours_naming_themselves(policy_node: PolicyNode) -> None:
    node = policy_node()
    people(node, ("gran", 1940))
    bank = node.timebank.people
    with pytest.raises(NotFound):
        bank.fund(STAFF, sponsor_id="sp1", grant_id="f1", local_id="gran", amount_minutes=60,
                  reason="winter")
    bank.add_sponsor(ADMIN, sponsor_id="sp1", name="Lujiazui foundation")
    record, created = bank.fund(STAFF, sponsor_id="sp1", grant_id="f1", local_id="gran",
                                amount_minutes=60, reason="winter")
    assert created and record["credit_class"] == "sponsored" and record["sponsor"] == "sp1"
    assert not bank.fund(STAFF, sponsor_id="sp1", grant_id="f1", local_id="gran",
                         amount_minutes=60, reason="winter")[1]
    assert by_class(node, "gran") == {"sponsored": 60}
    with pytest.raises(Conflict):
        bank.add_sponsor(ADMIN, sponsor_id="sp1", name="Another name")


def test_kin_registry_refuses_a_second_relation_and_bad_relatives(
        policy_node: PolicyNode) -> None:
    node = policy_node()
    people(node, ("gran", 1940), ("son", 1970))
    kin = node.timebank.people
    listed = kin.add_kin(STAFF, "gran", relative="son", relation="child")
    assert listed["items"][0]["relative"] == "son@sh-pudong"
    assert kin.add_kin(STAFF, "gran", relative="son", relation="child") == listed
    with pytest.raises(Conflict) as err:
        kin.add_kin(STAFF, "gran", relative="son", relation="friend")
    assert err.value.code == ErrorCode.KIN_EXISTS
    for relative, relation in (("gran", "child"), ("son", "cousin"), ("Bad Id", "child")):
        with pytest.raises(RuleViolation):
            kin.add_kin(STAFF, "gran", relative=relative, relation=relation)


def test_local_donation_and_distribution_keep_the_books(policy_node: PolicyNode) -> None:
    node = policy_node(policy={"credit": {"granted_requires_vetting": True}})
    people(node, ("donor", 1960), ("gran", 1940))
    grant(node, "donor", 60, credit_class=CreditClass.EARNED)
    grant(node, "donor", 30, credit_class=CreditClass.GROUP_EARNED)
    gifts = node.timebank.donations
    made, _ = gifts.donate(STAFF, donation_id="d1", member="donor", amount_minutes=50,
                           to_node=None, reason="for those in need")
    assert made["kind"] == "donation"
    assert by_class(node, "hardship-pool") == {"group_earned": 30, "earned": 20}
    with pytest.raises(RuleViolation) as err:
        gifts.distribute(STAFF, distribution_id="p1", member="gran", amount_minutes=40,
                         reason="winter")
    assert err.value.code == ErrorCode.NOT_ELIGIBLE
    node.timebank.people.vet(STAFF, "gran", hardship=True, subsidised=False, reason="alone")
    gifts.distribute(STAFF, distribution_id="p1", member="gran", amount_minutes=40,
                     reason="winter")
    assert by_class(node, "gran") == {"donated": 40}
    assert gifts.pool(ADMIN)["available_minutes"] == 10
    with pytest.raises(RuleViolation) as err:
        gifts.distribute(STAFF, distribution_id="p2", member="gran", amount_minutes=40,
                         reason="more")
    assert err.value.code == ErrorCode.INSUFFICIENT_FUNDS
    assert_sound(node)
