"""The personal centre's reads (node/people/centre.py): names only from the member's own
records, under the statement's access rule."""

from __future__ import annotations

import pytest

from node.access import Principal, Role
from node.errors import AuthError
from node.runtime import Node
from tests.node.people.support import Family


def member(local_id: str, acts_for: frozenset[str] = frozenset()) -> Principal:
    return Principal(Role.MEMBER, "session", member_local_id=local_id, acts_for=acts_for)


def give(node: Node, family: Family, transfer_id: str, debtor: str, creditor: str) -> int:
    api = family.api
    made = api.client.post("/api/v1/grants", headers=api.admin, json={
        "id": f"g-{transfer_id}", "member": debtor, "amount_minutes": 60,
        "credit_class": "earned", "reason": "test"})
    assert made.status_code == 201, made.text
    sent = api.client.post("/api/v1/transfers", headers=api.admin, json={
        "id": transfer_id, "from": debtor, "to": creditor, "amount_minutes": 30})
    assert sent.status_code == 201, sent.text
    return int(sent.json()["entry_height"])


def test_names_come_from_her_own_entries_and_kin(family: Family) -> None:
    node = family.node
    hers = give(node, family, "t-1", "alice", "bob")
    others = give(node, family, "t-2", "carol", "sam")
    facts = node.people.centre.facts(member("alice"), "alice", heights=[hers, others])
    assert facts.heights == {hers: ("bob",)}  # carol's gift to sam is not on her account
    assert facts.people == {"bob": "Bob", "sam": "Sam"}  # bob from the entry, sam as kin
    assert facts.kin == {"sam@sh-pudong": "child"}
    assert "carol" not in facts.people


def test_only_those_who_may_read_her_statement_get_her_facts(family: Family) -> None:
    node = family.node
    hers = give(node, family, "t-1", "alice", "bob")
    with pytest.raises(AuthError):
        node.people.centre.facts(member("carol"), "alice", heights=[hers])
    with pytest.raises(AuthError):  # an id that does not exist is refused alike
        node.people.centre.facts(member("carol"), "nobody", heights=[])
    delegate = node.people.centre.facts(member("sam", frozenset({"alice"})), "alice",
                                        heights=[hers])
    assert delegate.people["bob"] == "Bob"
    assert node.people.centre.facts(member("bob"), "bob", heights=[hers]).people == {
        "alice": "Alice"}


def test_open_transfers_are_hers_alone(family: Family) -> None:
    node = family.node
    give(node, family, "t-1", "alice", "bob")
    assert node.people.centre.open_transfers(member("alice"), "alice") == []  # delivered here
    with pytest.raises(AuthError):
        node.people.centre.open_transfers(member("carol"), "alice")
