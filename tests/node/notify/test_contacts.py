"""Contacts are personal data: only the member, her station's staff and an admin read or change
them, every access is audited (refusals too), and the audit never holds the values."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from node.access import Principal, Role
from node.db.schema import journal_entries, member_contacts, tb_audit
from node.errors import AuthError, ErrorCode, RuleViolation
from node.notify.contacts import ContactDetails
from node.runtime import Node
from tests.factories import ADMIN
from tests.node.timebank.conftest import STAFF, member, people

WEST = Principal(Role.STAFF, "staff-west", station="west")
REGULATOR = Principal(Role.REGULATOR, "regulator")
EMAIL = "wang.xiuying@example.org"
GATEWAY = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"  # a WeChat openid's shape


def _audit(node: Node, local_id: str) -> list[tuple[str, str, str]]:
    with node.db.read() as conn:
        return [(row.action, row.actor, row.detail) for row in conn.execute(
            select(tb_audit).where(tb_audit.c.subject == f"contacts:{local_id}")
            .order_by(tb_audit.c.id))]


@pytest.fixture
def town(node: Node) -> Node:
    """On SQLite, and on PostgreSQL when HOURBRIDGE_TEST_PG_URL names a server."""
    people(node, ("gran", 1940), ("vol", 1990))
    return node


def test_the_member_and_her_staff_read_and_write_every_access_audited(town: Node) -> None:
    contacts = town.notifications.contacts
    written = contacts.put(member("gran"), "gran", ContactDetails(email=EMAIL,
                                                                  gateway_recipient=GATEWAY))
    assert (written["email"], written["updated_by"]) == (EMAIL, "member:gran")
    assert contacts.get(STAFF, "gran")["gateway_recipient"] == GATEWAY
    assert contacts.get(ADMIN, "gran")["email"] == EMAIL
    assert _audit(town, "gran") == [
        ("contacts_written", "member:gran", "changed: email, gateway_recipient; "
                                            "present: email, gateway_recipient"),
        ("contacts_read", STAFF.actor, "present: email, gateway_recipient"),
        ("contacts_read", ADMIN.actor, "present: email, gateway_recipient"),
    ]


@pytest.mark.parametrize("principal", [member("vol"), WEST, REGULATOR])
def test_anyone_else_is_refused_and_the_refusal_audited(town: Node,
                                                        principal: Principal) -> None:
    contacts = town.notifications.contacts
    contacts.put(ADMIN, "gran", ContactDetails(email=EMAIL, gateway_recipient=None))
    with pytest.raises(AuthError) as refused:
        contacts.get(principal, "gran")
    assert refused.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(AuthError):
        contacts.put(principal, "gran", ContactDetails(email=None, gateway_recipient=None))
    assert [(action, actor) for action, actor, _ in _audit(town, "gran")[1:]] == [
        ("contacts_refused", principal.actor), ("contacts_refused", principal.actor)]
    assert contacts.get(ADMIN, "gran")["email"] == EMAIL  # unchanged


def test_erasing_removes_the_row_and_values_never_reach_the_audit_or_journal(
        town: Node) -> None:
    contacts = town.notifications.contacts
    contacts.put(member("gran"), "gran", ContactDetails(email=EMAIL, gateway_recipient=GATEWAY))
    erased = contacts.put(STAFF, "gran", ContactDetails(email=None, gateway_recipient=None))
    assert erased == {"email": None, "gateway_recipient": None, "updated_by": None,
                      "updated_at_ms": None}
    with town.db.read() as conn:
        assert conn.execute(select(member_contacts)).all() == []
        memos = " ".join(conn.execute(select(journal_entries.c.memo)).scalars())
    details = " ".join(detail for _, _, detail in _audit(town, "gran"))
    for value in (EMAIL, GATEWAY):
        assert value not in details and value not in memos


@pytest.mark.parametrize(("email", "gateway"), [
    ("two@at@example.org", None),
    ("line\nbreak@example.org", None),
    ("spaced out@example.org", None),
    (None, "has space"),
    (None, "x" * 129),
])
def test_malformed_contacts_are_refused(email: str | None, gateway: str | None) -> None:
    with pytest.raises(RuleViolation):
        ContactDetails(email=email, gateway_recipient=gateway)
