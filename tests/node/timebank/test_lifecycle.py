"""The policy's lifecycle rules acted on: a member's death (her hours to her heirs or the pool by
one `estate` entry, never by editing a balance) and the node's closure (the local decision and
its plan)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from node.access import Principal, Role
from node.db.schema import journal_entries, members
from node.errors import AuthError, Conflict, ErrorCode, RuleViolation
from node.ledger.system_ids import POOL_LOCAL_ID
from node.runtime import Node
from node.timebank.deaths import Share
from protocol.credit import CreditClass
from tests.factories import ADMIN, balance, by_class, grant
from tests.node.api.support import writes_nothing
from tests.node.timebank.conftest import STAFF, PolicyNode, member, people
from tests.node.timebank.support import assert_sound, pool
from tests.support import directory_document

WEST = Principal(Role.STAFF, "staff-west", station="west")
NOTE = "death certificate and household register seen"


def _estate(node: Node) -> None:
    """gran leaves 600 earned, 120 granted and 60 group-earned minutes; son and daughter are her
    children, pal a friend, niece another relative, kid a child at another node."""
    people(node, ("gran", 1940), ("son", 1970), ("daughter", 1972), ("pal", 1945),
           ("niece", 1990))
    grant(node, "gran", 600, credit_class=CreditClass.EARNED)
    grant(node, "gran", 120, credit_class=CreditClass.SPONSORED)
    grant(node, "gran", 60, credit_class=CreditClass.GROUP_EARNED)
    kin = node.timebank.people
    for relative, relation in (("son", "child"), ("daughter", "child"), ("pal", "friend"),
                               ("niece", "other_relative"), ("kid@nj-gulou", "child")):
        kin.add_kin(STAFF, "gran", relative=relative, relation=relation)


def _record(node: Node, *heirs: Share, who: Principal = STAFF) -> dict[str, object]:
    record, _ = node.timebank.deaths.record(who, "gran", heirs=list(heirs), note=NOTE)
    return record


def test_heirs_inherit_earned_hours_and_the_pool_the_rest(policy_node: PolicyNode) -> None:
    node = policy_node("nanjing-2019")  # inherit_by_kin, gifts to direct relatives only
    _estate(node)
    record, created = node.timebank.deaths.record(
        STAFF, "gran", note=NOTE,
        heirs=[Share("son", 400), Share("daughter@sh-pudong", 200)])
    assert created and record["disposition"] == "inherit_by_kin"
    assert record["heirs"] == [{"relative": "son", "minutes": 400},
                               {"relative": "daughter", "minutes": 200}]
    assert (record["pool_minutes"], record["debt_minutes"]) == (180, 0)
    assert by_class(node, "son") == {"earned": 400}
    assert by_class(node, "daughter") == {"earned": 200}
    assert balance(node, "gran") == 0 and pool(node) == 180
    with node.db.read() as conn:
        entry = conn.execute(select(journal_entries).where(
            journal_entries.c.height == record["entry_height"])).one()
        status = conn.execute(select(members.c.status, members.c.deactivation_reason).where(
            members.c.local_id == "gran")).one()
    assert (entry.kind, entry.ref) == ("estate", "gran") and "Gran" not in entry.memo
    assert tuple(status) == ("deactivated", "deceased")
    again, created = node.timebank.deaths.record(
        ADMIN, "gran", note=NOTE, heirs=[Share("son", 400), Share("daughter@sh-pudong", 200)])
    assert not created and again == record
    with pytest.raises(Conflict) as err:
        _record(node, Share("son"))
    assert err.value.code == ErrorCode.DEATH_RECORDED
    with pytest.raises(AuthError):
        node.timebank.deaths.get(member("son"), "gran")
    assert node.timebank.deaths.get(STAFF, "gran") == record
    assert_sound(node)


REFUSED: list[tuple[tuple[Share, ...], ErrorCode]] = [
    ((Share("pal"),), ErrorCode.HEIR_NOT_ALLOWED),  # a friend never inherits
    ((Share("niece"),), ErrorCode.HEIR_NOT_ALLOWED),  # not a direct relative in Nanjing
    ((Share("carol"),), ErrorCode.HEIR_NOT_ALLOWED),  # not in her kin registry
    ((Share("kid@nj-gulou"),), ErrorCode.HEIR_NOT_ALLOWED),  # at another node
    ((), ErrorCode.HEIR_NOT_ALLOWED),  # she leaves earned hours: name the heirs
    ((Share("son", 400), Share("daughter", 100)), ErrorCode.VALIDATION_FAILED),  # not 600
    ((Share("son"), Share("daughter")), ErrorCode.VALIDATION_FAILED),  # shares not given
    ((Share("son", 300), Share("son@sh-pudong", 300)), ErrorCode.VALIDATION_FAILED),  # twice
]


def test_a_refused_death_writes_nothing(policy_node: PolicyNode) -> None:
    node = policy_node("nanjing-2019")
    _estate(node)
    for heirs, code in REFUSED:
        with writes_nothing(node), pytest.raises(RuleViolation) as err:
            _record(node, *heirs)
        assert err.value.code == code, heirs


def test_hours_held_for_a_visit_must_settle_first(policy_node: PolicyNode) -> None:
    node = policy_node()
    _estate(node)
    node.timebank.requests.post(STAFF, request_id="r1", recipient="gran", category="health",
                                item=None, description="")
    with writes_nothing(node), pytest.raises(Conflict) as err:
        _record(node, Share("son"))
    assert err.value.code == ErrorCode.OPEN_SERVICE_REQUESTS and "r1" in err.value.detail
    node.timebank.requests.cancel(STAFF, "r1", reason="she died")
    assert _record(node, Share("son"))["heirs"] == [{"relative": "son", "minutes": 600}]


def test_only_her_station_staff_or_an_admin_record_a_death(policy_node: PolicyNode) -> None:
    node = policy_node()
    _estate(node)
    for who in (WEST, member("son"), member("gran")):
        with writes_nothing(node), pytest.raises(AuthError):
            _record(node, Share("son"), who=who)


def test_donate_to_pool_gives_every_hour_to_the_pool(policy_node: PolicyNode) -> None:
    node = policy_node(policy={"lifecycle": {"on_death": "donate_to_pool"}})
    _estate(node)
    with writes_nothing(node), pytest.raises(RuleViolation) as err:
        _record(node, Share("son"))
    assert err.value.code == ErrorCode.VALIDATION_FAILED
    record = _record(node)
    assert (record["heirs"], record["pool_minutes"]) == ([], 780)
    assert balance(node, "gran") == 0 and pool(node) == 780 and balance(node, "son") == 0
    assert_sound(node)


def test_members_choose_their_node_when_it_closes(policy_node: PolicyNode) -> None:
    node = policy_node()  # on_closure = members_choose_node
    people(node, ("gran", 1940), ("idle", 1950))
    people(node, ("wei", 1960), station="west")
    grant(node, "gran", 90)
    grant(node, "wei", 30)
    closure = node.timebank.closure
    assert closure.plan(STAFF)["closing"] is False
    with writes_nothing(node), pytest.raises(RuleViolation):
        closure.decide(ADMIN, successor="nj-gulou", reason="merged")
    with writes_nothing(node), pytest.raises(AuthError):
        closure.decide(STAFF, successor=None, reason="merged")
    plan, created = closure.decide(ADMIN, successor=None, reason="merged into the city bank")
    assert created and plan["closing"] and plan["on_closure"] == "members_choose_node"
    assert [(m["member"], m["balance_minutes"], m["destination"]) for m in plan["members"]] == [
        ("gran", 90, None), ("wei", 30, None)]  # idle holds nothing; the pool is not a member
    assert [m["member"] for m in closure.plan(STAFF)["members"]] == ["gran"]
    assert closure.decide(ADMIN, successor=None, reason="merged into the city bank")[1] is False
    with pytest.raises(Conflict) as err:
        closure.decide(ADMIN, successor=None, reason="another reason")
    assert err.value.code == ErrorCode.CLOSURE_RECORDED


def test_relocate_to_successor_names_an_active_node(policy_node: PolicyNode) -> None:
    node = policy_node(policy={"lifecycle": {"on_closure": "relocate_to_successor"}})
    people(node, ("gran", 1940))
    grant(node, "gran", 90)
    closure = node.timebank.closure
    for successor, code in ((None, ErrorCode.VALIDATION_FAILED),
                            ("nj-gulou", ErrorCode.UNKNOWN_NODE)):
        with writes_nothing(node), pytest.raises(RuleViolation) as err:
            closure.decide(ADMIN, successor=successor, reason="merged")
        assert err.value.code == code
    node.federation.accept(directory_document(["sh-pudong", "nj-gulou"]))
    plan, _ = closure.decide(ADMIN, successor="nj-gulou", reason="merged")
    assert plan["successor"] == "nj-gulou"
    assert plan["members"] == [{"member": "gran", "station": "east", "status": "active",
                                "balance_minutes": 90, "destination": "nj-gulou"}]


def test_the_pool_has_no_death_to_record(policy_node: PolicyNode) -> None:
    node = policy_node("nanjing-2019")
    _estate(node)
    with writes_nothing(node), pytest.raises(Conflict) as err:
        node.timebank.deaths.record(ADMIN, POOL_LOCAL_ID, heirs=[], note=NOTE)
    assert err.value.code == ErrorCode.LOCAL_ID_RESERVED
