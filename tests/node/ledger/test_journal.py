"""A small ledger, then assertions: posting rules, floors, credit classes, reversals."""

from __future__ import annotations

import pytest

from node.access import Principal, Role
from node.errors import Conflict, ErrorCode, InvariantViolation, RuleViolation
from node.ledger.model import AccountKind, Posting, member_account
from node.runtime import Node
from protocol.credit import CreditClass
from tests.factories import add_members, balance, by_class, grant, transfer

ADMIN = Principal(Role.ADMIN, "t")


def test_grant_moves_hours_out_of_issuance(node: Node) -> None:
    add_members(node, "alice")
    grant(node, "alice", 120)
    with node.db.read() as conn:
        totals = node.ledger.totals_by_kind(conn)
    assert totals == {AccountKind.ISSUANCE: -120, AccountKind.MEMBER: 120}
    assert balance(node, "alice") == 120


def test_transfer_spends_subsidies_before_earned_hours(node: Node) -> None:
    add_members(node, "alice", "bob")
    grant(node, "alice", 60, CreditClass.EARNED)
    grant(node, "alice", 30, CreditClass.GRANTED)
    transfer(node, "alice", "bob", 50)
    assert by_class(node, "alice") == {"earned": 40}
    assert by_class(node, "bob") == {"granted": 30, "earned": 20}


def test_group_earned_hours_are_not_spendable_by_transfer(node: Node) -> None:
    add_members(node, "alice", "bob")
    grant(node, "alice", 60, CreditClass.GROUP_EARNED)
    with pytest.raises(RuleViolation) as err:
        transfer(node, "alice", "bob", 1)
    assert err.value.code == ErrorCode.INSUFFICIENT_FUNDS


def test_member_cannot_go_below_floor_and_nothing_is_written(node: Node) -> None:
    add_members(node, "alice", "bob")
    grant(node, "alice", 10)
    with node.db.read() as conn:
        before = node.ledger.head(conn)
    with pytest.raises(RuleViolation):
        transfer(node, "alice", "bob", 11)
    with node.db.read() as conn:
        assert node.ledger.head(conn) == before
    assert balance(node, "alice") == 10


def test_unbalanced_postings_are_an_invariant_violation(node: Node) -> None:
    add_members(node, "alice")
    legs = (
        Posting("issuance", CreditClass.GRANTED, -10),
        Posting(member_account("alice"), CreditClass.GRANTED, 9),
    )
    with pytest.raises(InvariantViolation), node.db.write() as conn:
        node.ledger.post(conn, kind="grant", ref=None, actor="t", memo="", now_ms=1, legs=legs)


def test_postings_must_balance_per_credit_class(node: Node) -> None:
    add_members(node, "alice")
    legs = (
        Posting("issuance", CreditClass.GRANTED, -10),
        Posting(member_account("alice"), CreditClass.EARNED, 10),
    )
    with pytest.raises(InvariantViolation), node.db.write() as conn:
        node.ledger.post(conn, kind="grant", ref=None, actor="t", memo="", now_ms=1, legs=legs)


def test_reversal_appends_a_mirror_entry_and_keeps_the_original(node: Node) -> None:
    add_members(node, "alice", "bob")
    grant(node, "alice", 100)
    moved = transfer(node, "alice", "bob", 40)
    reversal = node.ledger_admin.reverse(ADMIN, height=moved["entry_height"], reason="mistake")
    assert reversal["reverses_height"] == moved["entry_height"]
    assert (balance(node, "alice"), balance(node, "bob")) == (100, 0)
    with node.db.read() as conn:
        original = node.ledger.load_entry(conn, moved["entry_height"])
    assert {p.amount_minutes for p in original.postings} == {-40, 40}
    with pytest.raises(Conflict) as err:
        node.ledger_admin.reverse(ADMIN, height=moved["entry_height"], reason="again")
    assert err.value.code == ErrorCode.ALREADY_REVERSED
    with pytest.raises(RuleViolation) as not_reversible:
        node.ledger_admin.reverse(ADMIN, height=reversal["height"], reason="undo the undo")
    assert not_reversible.value.code == ErrorCode.NOT_REVERSIBLE


def test_reversal_refused_when_the_hours_were_spent(node: Node) -> None:
    add_members(node, "alice", "bob", "carol")
    grant(node, "alice", 100)
    moved = transfer(node, "alice", "bob", 40)
    transfer(node, "bob", "carol", 40)
    with pytest.raises(RuleViolation) as err:
        node.ledger_admin.reverse(ADMIN, height=moved["entry_height"], reason="too late")
    assert err.value.code == ErrorCode.INSUFFICIENT_FUNDS


def test_deactivated_member_neither_sends_nor_receives_but_keeps_balance(node: Node) -> None:
    add_members(node, "alice", "bob")
    grant(node, "alice", 100)
    node.members.deactivate(ADMIN, "bob", reason="moved away")
    with pytest.raises(RuleViolation) as err:
        transfer(node, "alice", "bob", 10)
    assert err.value.code == ErrorCode.MEMBER_INACTIVE
    node.members.deactivate(ADMIN, "alice", reason="deceased")
    with pytest.raises(RuleViolation):
        transfer(node, "alice", "bob", 10)
    assert balance(node, "alice") == 100


def test_statement_lines_show_counterparty_and_running_balance(node: Node) -> None:
    add_members(node, "alice", "bob")
    grant(node, "alice", 100)
    transfer(node, "alice", "bob", 30)
    transfer(node, "alice", "bob", 20)
    page = node.members.statement(ADMIN, "alice", before_height=None, limit=10)
    lines = [(i["amount_minutes"], i["balance_after_minutes"], i["counterparty"])
             for i in page["items"]]
    assert lines == [
        (-20, 50, ["bob@sh-pudong"]),
        (-30, 70, ["bob@sh-pudong"]),
        (100, 100, ["issuance"]),
    ]
