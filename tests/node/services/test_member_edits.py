"""Correcting members' records (node/services/member_edits.py) and merging duplicates
(member_merge.py) on a real SQLite node: the record changes, every change is kept, a new
station moves her to its staff, and a merge moves hours by a journal entry, never by edits."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from node.access import Principal, Role
from node.db.schema import journal_entries, member_changes, tb_audit
from node.errors import AuthError, Conflict, ErrorCode, RuleViolation
from node.ledger.verify import verify_ledger
from node.runtime import Node
from node.services.member_edits import same_name
from node.services.members import MemberRecord
from node.timebank.common import age_band
from protocol.credit import CreditClass
from tests.factories import ADMIN, by_class, grant, transfer
from tests.federation import Federation

EAST = Principal(Role.STAFF, "tok-east", station="east")
WEST = Principal(Role.STAFF, "tok-west", station="west")
GRAN = Principal(Role.MEMBER, "tok-gran", member_local_id="gran")
REGULATOR = Principal(Role.REGULATOR, "tok-reg")


def register(node: Node, local_id: str, name: str = "王芳", *, year: int | None = 1948,
             station: str | None = "east") -> MemberRecord:
    return node.members.create(ADMIN, local_id=local_id, display_name=name, station=station,
                               birth_year=year)


def history(node: Node, local_id: str) -> list[tuple[str, str | None, str | None, str]]:
    page = node.member_edits.changes(ADMIN, local_id, before_id=None, limit=100)
    return [(c["field"], c["before"], c["after"], c["reason"]) for c in page["items"]]


def test_staff_correct_a_record_and_every_change_is_kept(sqlite_node: Node) -> None:
    node = sqlite_node
    register(node, "gran", "王方", year=1984)
    result = node.member_edits.edit(EAST, "gran", fields={"display_name": "王芳",
                                                          "birth_year": 1948},
                                    reason="身份证核对")
    assert result.changed == ("display_name", "birth_year")
    assert (result.member.display_name, result.member.birth_year) == ("王芳", 1948)
    assert node.members.get(EAST, "gran").birth_year == 1948
    assert history(node, "gran") == [("birth_year", "1984", "1948", "身份证核对"),
                                     ("display_name", "王方", "王芳", "身份证核对")]
    item = node.member_edits.changes(ADMIN, "gran", before_id=None, limit=10)["items"][0]
    assert item["actor"] == "staff:east:tok-east"
    # The same correction sent again changes and records nothing.
    again = node.member_edits.edit(EAST, "gran", fields={"birth_year": 1948}, reason="again")
    assert again.changed == () and len(history(node, "gran")) == 2
    # Personal data never reaches the hash-chained journal.
    with node.db.read() as conn:
        memos = [row.memo for row in conn.execute(select(journal_entries))]
    assert not [memo for memo in memos if "王" in memo or "身份证" in memo]


def test_a_new_station_moves_her_to_that_stations_staff(sqlite_node: Node) -> None:
    node = sqlite_node
    register(node, "gran")
    node.member_edits.edit(EAST, "gran", fields={"station": "west"}, reason="moved house")
    with pytest.raises(AuthError):
        node.members.get(EAST, "gran")
    with pytest.raises(AuthError):
        node.member_edits.edit(EAST, "gran", fields={"station": "east"}, reason="take her back")
    assert node.members.get(WEST, "gran").station == "west"
    assert [m.local_id for m in node.members.list(WEST, after=None, limit=10)] == ["gran"]
    assert node.members.list(EAST, after=None, limit=10) == []
    assert history(node, "gran") == [("station", "east", "west", "moved house")]


BAD_INPUT: list[tuple[dict[str, object], str, str]] = [
    ({"birth_year": 1800}, "typo", "birth_year"),
    ({"birth_year": 2099}, "typo", "birth_year"),  # in the future
    ({"birth_year": True}, "typo", "birth_year"),
    ({"display_name": " "}, "typo", "display_name"),
    ({"display_name": "a\nb"}, "typo", "display_name"),
    ({"station": "East Side"}, "typo", "station"),
    ({"status": "active"}, "typo", "status"),
    ({"hardship": "yes"}, "typo", "hardship"),
    ({"birth_year": 1950}, "", "reason"),
]


def test_who_may_correct_a_record_and_bad_input_is_a_coded_refusal(sqlite_node: Node) -> None:
    node = sqlite_node
    register(node, "gran")
    for principal in (WEST, GRAN, REGULATOR):
        with pytest.raises(AuthError):
            node.member_edits.edit(principal, "gran", fields={"birth_year": 1950},
                                   reason="typo")
    for fields, reason, named in BAD_INPUT:
        with pytest.raises(RuleViolation) as err:
            node.member_edits.edit(ADMIN, "gran", fields=fields, reason=reason)
        assert err.value.code == ErrorCode.VALIDATION_FAILED and named in err.value.detail
    assert node.member_edits.edit(ADMIN, "gran", fields={"birth_year": 1950},
                                  reason="typo").changed == ("birth_year",)
    with pytest.raises(Conflict) as reserved:
        node.member_edits.edit(ADMIN, "hardship-pool", fields={"display_name": "x"},
                               reason="no")
    assert reserved.value.code == ErrorCode.LOCAL_ID_RESERVED


def test_care_fields_are_the_vetting_record(sqlite_node: Node) -> None:
    node = sqlite_node
    register(node, "gran")
    result = node.member_edits.edit(EAST, "gran", fields={"hardship": True}, reason="低保户")
    assert (result.hardship, result.subsidised, result.changed) == (True, False, ("hardship",))
    profile = node.timebank.people.profile(EAST, "gran")
    assert (profile["hardship"], profile["reason"]) == (True, "低保户")
    assert history(node, "gran") == [("hardship", "no", "yes", "低保户")]


def test_reading_the_history_is_paged_and_audited_refusals_too(sqlite_node: Node) -> None:
    node = sqlite_node
    register(node, "gran")
    node.member_edits.edit(EAST, "gran", fields={"birth_year": 1949}, reason="typo")
    assert len(node.member_edits.changes(GRAN, "gran", before_id=None, limit=10)["items"]) == 1
    for principal in (WEST, REGULATOR):
        with pytest.raises(AuthError):
            node.member_edits.changes(principal, "gran", before_id=None, limit=10)
    with node.db.read() as conn:
        rows = conn.execute(select(tb_audit.c.action, tb_audit.c.actor).where(
            tb_audit.c.subject == "changes:gran").order_by(tb_audit.c.id)).all()
    assert [tuple(r) for r in rows] == [("changes_read", "member:gran"),
                                        ("changes_refused", "staff:west:tok-west"),
                                        ("changes_refused", "regulator:tok-reg")]
    # Paged, newest first.
    for year in range(1941, 1946):
        node.member_edits.edit(ADMIN, "gran", fields={"birth_year": year}, reason=f"to {year}")
    first = node.member_edits.changes(ADMIN, "gran", before_id=None, limit=2)
    assert [c["after"] for c in first["items"]] == ["1945", "1944"]
    second = node.member_edits.changes(ADMIN, "gran", before_id=first["next_before_id"],
                                       limit=2)
    assert [c["after"] for c in second["items"]] == ["1943", "1942"]
    last = node.member_edits.changes(ADMIN, "gran", before_id=second["next_before_id"],
                                     limit=2)
    assert [c["after"] for c in last["items"]] == ["1941", "1949"]
    assert last["next_before_id"] is None


def test_duplicates_are_same_name_year_and_station(sqlite_node: Node) -> None:
    node = sqlite_node
    register(node, "wang1", "王芳")
    register(node, "wang2", "王 芳")
    register(node, "wang3", "王芳", year=1950)
    register(node, "wang4", "王芳", station="west")
    register(node, "li", "李明")
    record = register(node, "wang5", "王芳")
    found = node.member_edits.duplicates(EAST, record)
    assert [m.local_id for m in found] == ["wang1", "wang2"]
    assert same_name("Li  Ming") == same_name("li ming") == same_name("ＬＩ　ＭＩＮＧ")
    with pytest.raises(AuthError):
        node.member_edits.duplicates(WEST, record)


def test_a_merge_moves_every_class_by_one_entry_and_deactivates_the_duplicate(
        sqlite_node: Node) -> None:
    node = sqlite_node
    register(node, "wang1")
    register(node, "wang2")
    register(node, "li", "李明")
    grant(node, "wang2", 90, CreditClass.EARNED)
    grant(node, "wang2", 30)
    grant(node, "wang1", 20)
    transfer(node, "wang2", "li", 10)
    result = node.member_merge.merge(ADMIN, duplicate="wang2", kept="wang1",
                                     reason="registered twice")
    assert result.created and result.moved_by_class_minutes == {"earned": 90, "granted": 20}
    assert by_class(node, "wang1") == {"earned": 90, "granted": 40}
    assert by_class(node, "wang2") == {}
    dup = node.members.get(ADMIN, "wang2")
    assert dup.status == "deactivated"
    with node.db.read() as conn:
        entry = conn.execute(select(journal_entries).where(
            journal_entries.c.height == result.entry_height)).one()
        assert (entry.kind, entry.ref) == ("member_merge", "wang2")
        assert verify_ledger(conn, node_id=node.config.node_id, verify_key=None).ok
        reasons = conn.execute(select(member_changes.c.member_local_id, member_changes.c.field)
                               .order_by(member_changes.c.id)).all()
    assert [tuple(r) for r in reasons] == [("wang2", "merged_into"), ("wang2", "status"),
                                           ("wang1", "merged_from")]
    kept_history = node.member_edits.changes(ADMIN, "wang1", before_id=None, limit=5)["items"]
    assert kept_history[0]["other_name"] == "王芳"
    # Sent again, the same merge answers with the first one and moves nothing more.
    again = node.member_merge.merge(ADMIN, duplicate="wang2", kept="wang1", reason="again")
    assert (again.created, again.entry_height) == (False, result.entry_height)
    assert again.moved_by_class_minutes == result.moved_by_class_minutes
    assert by_class(node, "wang1") == {"earned": 90, "granted": 40}


def test_a_merge_is_refused_while_hours_are_held_or_for_anyone_but_an_admin(
        sqlite_node: Node) -> None:
    node = sqlite_node
    register(node, "wang1")
    register(node, "wang2")
    register(node, "helper", "张三", year=1990)
    grant(node, "wang2", 120)
    for principal in (EAST, GRAN, REGULATOR):
        with pytest.raises(AuthError):
            node.member_merge.merge(principal, duplicate="wang2", kept="wang1", reason="twice")
    with pytest.raises(RuleViolation) as same:
        node.member_merge.merge(ADMIN, duplicate="wang1", kept="wang1", reason="twice")
    assert same.value.code == ErrorCode.VALIDATION_FAILED
    node.timebank.requests.post(EAST, request_id="r1", recipient="wang2",
                                category="daily_living", item=None, description="shopping")
    with pytest.raises(Conflict) as held:
        node.member_merge.merge(ADMIN, duplicate="wang2", kept="wang1", reason="twice")
    assert held.value.code == ErrorCode.OPEN_SERVICE_REQUESTS
    assert by_class(node, "wang2") == {"granted": 120}
    assert node.members.get(ADMIN, "wang2").status == "active"
    node.timebank.requests.cancel(EAST, "r1", reason="not needed")
    node.members.deactivate(ADMIN, "wang1", reason="left")
    with pytest.raises(RuleViolation) as inactive:
        node.member_merge.merge(ADMIN, duplicate="wang2", kept="wang1", reason="twice")
    assert inactive.value.code == ErrorCode.MEMBER_INACTIVE


def test_a_relocated_member_is_placed_at_a_station_by_correcting_her_record(
        tmp_path: Path) -> None:
    """The headline case of issue 14: she arrives with her old address as name, no birth year
    and no station, so no station's staff sees her; an admin's correction places her."""
    fed = Federation(tmp_path, ["sh-pudong", "nj-gulou"], members=1, grant_minutes=60)
    try:
        moved = fed.call("sh-pudong", "POST", "/api/v1/members/m0/relocation",
                         {"id": "rel-1", "to_node": "nj-gulou", "new_local_id": "wang"})
        assert moved.status_code == 201, moved.text
        fed.settle()
        nj = fed.nodes["nj-gulou"]
        arrived = nj.members.get(ADMIN, "wang")
        assert (arrived.display_name, arrived.station, arrived.birth_year) == (
            "m0@sh-pudong", None, None)
        with pytest.raises(AuthError):
            nj.members.get(EAST, "wang")
        nj.member_edits.edit(ADMIN, "wang", fields={
            "display_name": "王芳", "birth_year": 1948, "station": "east"},
            reason="moved here from Shanghai; papers seen")
        placed = nj.members.get(EAST, "wang")
        assert (placed.display_name, placed.birth_year, placed.station) == (
            "王芳", 1948, "east")
        assert nj.members.balance(EAST, "wang")["available_minutes"] == 60
        assert [c[0] for c in history(nj, "wang")] == ["station", "birth_year",
                                                       "display_name"]
        with pytest.raises(RuleViolation) as gone:
            fed.nodes["sh-pudong"].member_edits.edit(ADMIN, "m0", fields={"birth_year": 1948},
                                                     reason="too late")
        assert gone.value.code == ErrorCode.MEMBER_RELOCATED
    finally:
        fed.close()


def test_a_birth_year_in_the_future_reads_as_an_unknown_age() -> None:
    """Registration takes years up to 2100: a node report must not fail on one (it did, with
    an IndexError, once a fuzzed PATCH stored one)."""
    assert age_band(-3) == "unknown" and age_band(0) == "under_18"
