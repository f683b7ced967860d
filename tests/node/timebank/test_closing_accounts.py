"""Closing a member's account off never takes anyone over the policy's balance cap and never
runs ahead of hours still on their way: a death cuts an heir's share at her cap (the rest to the
pool), a merge that would pass the kept member's cap is refused, and both wait for payment
requests still open (node/services/held.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from node.db.schema import payment_requests_in
from node.errors import Conflict, ErrorCode, RuleViolation
from node.runtime import Node
from node.states import IncomingPaymentState
from node.timebank.deaths import Share
from protocol.credit import CreditClass
from tests.factories import ADMIN, balance, by_class, grant
from tests.node.api.support import writes_nothing
from tests.node.timebank.conftest import STAFF, PolicyNode, people
from tests.node.timebank.support import assert_sound, pool

NOTE = "death certificate seen"
CAP = 1_500 * 60  # nanjing-2019.toml: caps.balance_minutes


def _gran_and_son(node: Node, *, son_holds: int) -> None:
    people(node, ("gran", 1940), ("son", 1970))
    grant(node, "gran", 600, credit_class=CreditClass.EARNED)
    if son_holds:
        grant(node, "son", son_holds, credit_class=CreditClass.EARNED)
    node.timebank.people.add_kin(STAFF, "gran", relative="son", relation="child")


def test_an_heirs_share_stops_at_her_cap_and_the_rest_goes_to_the_pool(
        policy_node: PolicyNode) -> None:
    node = policy_node("nanjing-2019")
    _gran_and_son(node, son_holds=CAP - 200)
    record, _ = node.timebank.deaths.record(STAFF, "gran", heirs=[Share("son")], note=NOTE)
    assert record["heirs"] == [{"relative": "son", "minutes": 200}]
    assert record["pool_minutes"] == 400
    assert balance(node, "son") == CAP and pool(node) == 400 and balance(node, "gran") == 0
    assert_sound(node)


def test_an_heir_at_her_cap_inherits_nothing_and_nothing_is_lost(
        policy_node: PolicyNode) -> None:
    node = policy_node("nanjing-2019")
    _gran_and_son(node, son_holds=CAP)
    record, _ = node.timebank.deaths.record(STAFF, "gran", heirs=[Share("son")], note=NOTE)
    assert record["heirs"] == [{"relative": "son", "minutes": 0}]
    assert pool(node) == 600 and balance(node, "son") == CAP
    assert_sound(node)


def test_a_merge_over_the_kept_members_cap_is_refused_and_writes_nothing(
        policy_node: PolicyNode) -> None:
    node = policy_node("nanjing-2019")
    people(node, ("wang1", 1950), ("wang2", 1950))
    grant(node, "wang1", CAP - 100, credit_class=CreditClass.EARNED)
    grant(node, "wang2", 101, credit_class=CreditClass.EARNED)
    with writes_nothing(node), pytest.raises(RuleViolation) as refused:
        node.member_merge.merge(ADMIN, duplicate="wang2", kept="wang1", reason="same person")
    assert refused.value.code == ErrorCode.BALANCE_CAP_EXCEEDED
    assert by_class(node, "wang2") == {"earned": 101}
    assert balance(node, "wang1") == CAP - 100


def test_a_death_waits_for_a_payment_request_she_was_asked_to_pay(
        policy_node: PolicyNode) -> None:
    node = policy_node("nanjing-2019")
    _gran_and_son(node, son_holds=0)
    now = node.clock.now_ms()
    with node.db.write() as conn:  # a request from another node, awaiting her answer
        conn.execute(insert(payment_requests_in).values(
            payee_node="sh-pudong", request_id="pr-00000001", body_hash="0" * 64,
            payee="shop@sh-pudong", payer_local_id="gran", amount_minutes=30,
            category="daily_living", description="lunch", created_at_ms=now,
            expires_at_ms=now + 86_400_000, state=str(IncomingPaymentState.AWAITING),
            received_at_ms=now))
    with writes_nothing(node), pytest.raises(Conflict) as held:
        node.timebank.deaths.record(STAFF, "gran", heirs=[Share("son")], note=NOTE)
    assert held.value.code == ErrorCode.OPEN_PAYMENT_REQUESTS
    assert balance(node, "gran") == 600
