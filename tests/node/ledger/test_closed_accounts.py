"""The ledger's backstop for closed accounts: no new hours land on a deactivated member's
account, whatever service asks; what gives back her own hours still lands."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from node.access import Principal, Role
from node.db.schema import accounts
from node.errors import ErrorCode, RuleViolation
from node.ledger.model import (
    CREDITS_TO_CLOSED_ACCOUNTS,
    AccountKind,
    EntryKind,
    Posting,
    member_account,
)
from node.runtime import Node
from node.timebank.common import TimebankEntry
from protocol.credit import CreditClass
from tests.factories import add_members, balance, grant

ADMIN = Principal(Role.ADMIN, "t")
ISSUANCE = AccountKind.ISSUANCE.value


def _post(node: Node, kind: str, debtor: str, creditor: str, minutes: int) -> None:
    legs = (Posting(debtor, CreditClass.EARNED, -minutes),
            Posting(creditor, CreditClass.EARNED, minutes))
    with node.db.write() as conn:
        node.ledger.post(conn, kind=kind, ref=None, actor="admin:t", memo="test",
                         now_ms=node.clock.now_ms(), legs=legs)


def _closed_alice(node: Node) -> str:
    add_members(node, "alice", "bob")
    grant(node, "alice", 60, CreditClass.EARNED)
    node.members.deactivate(ADMIN, "alice", reason="closed at her request")
    return member_account("alice")


@pytest.mark.parametrize("kind", [EntryKind.GRANT, EntryKind.TRANSFER, EntryKind.TRANSFER_IN,
                                  EntryKind.MEMBER_MERGE, TimebankEntry.ESTATE,
                                  TimebankEntry.DISTRIBUTION])
def test_new_hours_never_land_on_a_closed_account(node: Node, kind: str) -> None:
    alice = _closed_alice(node)
    with node.db.read() as conn:
        before = node.ledger.head(conn)
    with pytest.raises(RuleViolation) as refused:
        _post(node, kind, member_account("bob"), alice, 1) if kind == EntryKind.TRANSFER \
            else _post(node, kind, _issuance(node), alice, 1)
    assert refused.value.code == ErrorCode.MEMBER_INACTIVE
    with node.db.read() as conn:
        assert node.ledger.head(conn) == before
    assert balance(node, "alice") == 60


def test_her_own_hours_coming_back_still_land(node: Node) -> None:
    alice = _closed_alice(node)
    _post(node, EntryKind.REVERSAL, _issuance(node), alice, 5)
    assert balance(node, "alice") == 65


def test_a_closed_account_still_pays_out(node: Node) -> None:
    alice = _closed_alice(node)
    _post(node, EntryKind.GRANT, alice, _issuance(node), 10)  # hours leave; only credits stop
    assert balance(node, "alice") == 50


def test_every_time_bank_kind_named_by_value_exists() -> None:
    ledger_kinds = {str(kind) for kind in EntryKind}
    named = {str(kind) for kind in CREDITS_TO_CLOSED_ACCOUNTS} - ledger_kinds
    assert named <= {str(kind) for kind in TimebankEntry}, named


def _issuance(node: Node) -> str:
    with node.db.read() as conn:
        code = conn.execute(select(accounts.c.code).where(accounts.c.kind == ISSUANCE)
                            ).scalar_one()
    return str(code)
