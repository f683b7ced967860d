"""Visit codes on a real node: the volunteer checks in with the code the elder shows at her
door; a wrong code is refused and counted, and after the limit only staff check the visit in;
a new code voids the old one; staff check in without one, on the record."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from node.access import Principal, Role
from node.clock import FakeClock
from node.db.schema import metadata, tb_audit, tb_visit_codes
from node.errors import ErrorCode, NodeError
from node.runtime import Node
from node.timebank.visit_codes import CHECK_IN_TRIES_MAX, WRONG
from tests.factories import ADMIN, grant
from tests.node.api.support import writes_nothing
from tests.node.notify.support import kinds
from tests.node.timebank.conftest import STAFF, PolicyNode, member, people

WEST_STAFF = Principal(Role.STAFF, "staff-west", station="west")
REGULATOR = Principal(Role.REGULATOR, "reg")
# gran's son, whom she named her delegate (node/people): a session's principal acts for her.
SON = Principal(Role.MEMBER, "session-son", member_local_id="son", acts_for=frozenset({"gran"}))
VOL = member("vol")


@pytest.fixture
def town(policy_node: PolicyNode) -> Node:
    """gran (with hours) is served by vol; r1 is posted by her station and taken by vol."""
    node = policy_node()
    people(node, ("gran", 1940), ("vol", 1990), ("son", 1968))
    grant(node, "gran", 300)
    requests = node.timebank.requests
    requests.post(STAFF, request_id="r1", recipient="gran", category="daily_living", item=None,
                  description="shopping")
    requests.accept(VOL, "r1", volunteer="vol")
    return node


def refused(expected: ErrorCode, call: Any, *args: object, **kwargs: object) -> str:
    """The call's refusal, with the `expected` code; its detail for more checks."""
    with pytest.raises(NodeError) as err:
        call(*args, **kwargs)
    assert err.value.code == expected, err.value.detail
    return err.value.detail


def wrong_tries(node: Node) -> list[str]:
    with node.db.read() as conn:
        return list(conn.execute(select(tb_audit.c.detail).where(
            tb_audit.c.subject == "request:r1", tb_audit.c.action == WRONG)).scalars())


def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_right_code_checks_in_and_the_elder_is_told(town: Node) -> None:
    code = town.timebank.visit_codes.rotate(member("gran"), "gran")["code"]
    assert re.fullmatch(r"[0-9]{6}", code)

    arrived = town.timebank.requests.check_in(VOL, "r1", code=code)

    assert arrived["state"] == "in_progress"
    last = arrived["history"][-1]
    assert (last["action"], last["actor"], last["detail"]) == (
        "checked_in", "member:vol", "with the visit code (card 1)")
    assert kinds(town, "gran") == ["request_taken", "volunteer_arriving"]


def test_a_missing_or_malformed_code_is_refused_and_not_counted(town: Node) -> None:
    town.timebank.visit_codes.rotate(STAFF, "gran")
    requests = town.timebank.requests
    with writes_nothing(town):
        refused(ErrorCode.VISIT_CODE_WRONG, requests.check_in, VOL, "r1")
        refused(ErrorCode.VALIDATION_FAILED, requests.check_in, VOL, "r1", code="12345")
        refused(ErrorCode.VALIDATION_FAILED, requests.check_in, VOL, "r1", code="12345x")


def test_a_wrong_code_is_refused_and_counted(town: Node) -> None:
    code = town.timebank.visit_codes.rotate(STAFF, "gran")["code"]

    detail = refused(ErrorCode.VISIT_CODE_WRONG, town.timebank.requests.check_in, VOL,
                     "r1", code=other_than(code))

    assert detail == "that is not the visit code of gran; 4 more tries"
    assert code not in detail
    assert wrong_tries(town) == [f"wrong visit code, 1 of {CHECK_IN_TRIES_MAX}"]
    assert town.timebank.requests.get(STAFF, "r1")["state"] == "accepted"
    assert kinds(town, "gran") == ["request_taken"]  # nobody arrived


def test_after_the_limit_only_staff_check_the_visit_in(town: Node) -> None:
    code = town.timebank.visit_codes.rotate(STAFF, "gran")["code"]
    requests = town.timebank.requests
    for _ in range(CHECK_IN_TRIES_MAX):
        last = refused(ErrorCode.VISIT_CODE_WRONG, requests.check_in, VOL, "r1",
                       code=other_than(code))
    assert last.endswith("no more tries: the station's staff must check this visit in")
    assert len(wrong_tries(town)) == CHECK_IN_TRIES_MAX

    with writes_nothing(town):  # locked: even the right code, and nothing more is counted
        refused(ErrorCode.VISIT_CODE_LOCKED, requests.check_in, VOL, "r1", code=code)
        refused(ErrorCode.VISIT_CODE_LOCKED, requests.check_in, VOL, "r1")
        # Staff need no code, but one they give is still checked (and not counted).
        refused(ErrorCode.VISIT_CODE_WRONG, requests.check_in, STAFF, "r1",
                code=other_than(code))

    arrived = requests.check_in(STAFF, "r1")
    last_step = arrived["history"][-1]
    assert (arrived["state"], last_step["actor"], last_step["detail"]) == (
        "in_progress", STAFF.actor, "by staff, without the visit code")
    assert kinds(town, "gran") == ["request_taken", "volunteer_arriving"]


def test_staff_check_in_without_a_code_even_when_she_has_none(town: Node,
                                                             clock: FakeClock) -> None:
    requests = town.timebank.requests
    refused(ErrorCode.VISIT_CODE_UNSET, requests.check_in, VOL, "r1", code="123456")
    assert wrong_tries(town) == []  # nothing to guess: not counted
    arrived = requests.check_in(ADMIN, "r1")
    assert arrived["history"][-1]["detail"] == "by admin, without the visit code"
    clock.advance(30 * 60_000)
    assert requests.check_out(VOL, "r1")["state"] == "completed"


def test_a_new_code_voids_the_old_one_at_once(town: Node) -> None:
    codes = town.timebank.visit_codes
    old = codes.rotate(member("gran"), "gran")["code"]
    new = codes.rotate(SON, "gran")
    while new["code"] == old:  # one chance in a million: a new card must differ to test this
        new = codes.rotate(SON, "gran")
    assert new["made_by"] == "member:son" and new["card"] >= 2
    assert codes.show(member("gran"), "gran")["code"] == new["code"]

    refused(ErrorCode.VISIT_CODE_WRONG, town.timebank.requests.check_in, VOL, "r1",
            code=old)
    arrived = town.timebank.requests.check_in(VOL, "r1", code=new["code"])
    assert arrived["history"][-1]["detail"] == f"with the visit code (card {new['card']})"


@pytest.mark.parametrize("who", [member("gran"), SON, STAFF, ADMIN], ids=lambda p: p.actor)
def test_she_her_delegate_her_staff_and_admins_see_and_change_it(town: Node,
                                                                 who: Principal) -> None:
    made = town.timebank.visit_codes.rotate(who, "gran")
    assert (made["member"], made["card"], made["made_by"]) == ("gran", 1, who.actor)
    assert town.timebank.visit_codes.show(who, "gran") == made


@pytest.mark.parametrize("who", [VOL, member("son"), WEST_STAFF, REGULATOR],
                         ids=lambda p: p.actor)
def test_nobody_else_sees_or_changes_it(town: Node, who: Principal) -> None:
    """The volunteer who took her request included; `member("son")` is her son without the
    delegation (a token, not her session)."""
    codes = town.timebank.visit_codes
    codes.rotate(STAFF, "gran")
    with writes_nothing(town):
        refused(ErrorCode.FORBIDDEN, codes.show, who, "gran")
        refused(ErrorCode.FORBIDDEN, codes.rotate, who, "gran")


def test_before_the_first_code_there_is_none_to_show(town: Node) -> None:
    assert town.timebank.visit_codes.show(STAFF, "gran") == {
        "member": "gran", "code": None, "card": 0, "made_by": None, "made_at_ms": None}


def _texts(node: Node) -> list[str]:
    """Every text cell of every table, and every integer as text."""
    found: list[str] = []
    with node.db.read() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                found += [str(value) for value in row if isinstance(value, str | int)]
    return found


def test_the_code_is_stored_only_sealed(town: Node, clock: FakeClock) -> None:
    """Not in the journal, the audit trail, the notifications or anywhere else in the
    database, after a whole visit with a wrong try."""
    code = town.timebank.visit_codes.rotate(member("gran"), "gran")["code"]
    requests = town.timebank.requests
    refused(ErrorCode.VISIT_CODE_WRONG, requests.check_in, VOL, "r1",
            code=other_than(code))
    requests.check_in(VOL, "r1", code=code)
    clock.advance(45 * 60_000)
    requests.check_out(VOL, "r1")
    requests.confirm(member("gran"), "r1", rating=5, comment="")

    standalone = re.compile(rf"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])")
    assert [text for text in _texts(town) if standalone.search(text)] == []
    with town.db.read() as conn:
        sealed = conn.execute(select(tb_visit_codes.c.sealed)).scalar_one()
    assert code not in sealed
