"""Personal data, consents and their access log through node/privacy/service.py on a real
SQLite node: who may read and correct, the ID number kept as a keyed hash, duplicates found
by it, guardians for members under 14, and every access logged, refusals included."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import select

from node.db.schema import personal_data
from node.errors import AuthError, ErrorCode, RuleViolation
from node.privacy.consents import Purpose
from node.runtime import Node
from tests.factories import ADMIN
from tests.node.privacy.support import (
    ID_CHILD,
    ID_GRAN,
    REGULATOR,
    STAFF_EAST,
    STAFF_WEST,
    log_rows,
    member,
    register,
)

DATA = {"phone": "13800001111", "emergency_name": "李建国", "emergency_phone": "13900002222",
        "home_address": "南京市鼓楼区中山路18号", "id_number": ID_GRAN, "care_notes": "糖尿病"}


def test_staff_correct_and_read_her_data_with_the_id_number_masked(sqlite_node: Node) -> None:
    register(sqlite_node, "gran", name="王秀英")
    answer = sqlite_node.privacy.correct(STAFF_EAST, "gran", DATA)
    assert answer["id_number_masked"] == "3201**********1235"
    assert answer["possible_duplicates"] == []
    seen = sqlite_node.privacy.get(member("gran"), "gran")
    assert (seen["phone"], seen["home_address"]) == ("13800001111", "南京市鼓楼区中山路18号")
    with sqlite_node.db.read() as conn:
        row = conn.execute(select(personal_data)).one()
    assert ID_GRAN not in repr(tuple(row)) and len(row.id_hash) == 64
    key_file = sqlite_node.config.data_path / "id-numbers.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert log_rows(sqlite_node, "gran") == [
        ("staff:east:staff-east", "change", "care_notes,emergency_name,emergency_phone,"
         "home_address,id_number,phone", "allowed"),
        ("member:gran", "read", "phone,emergency_name,emergency_phone,home_address,care_notes,"
         "id_number", "allowed")]


def test_the_same_id_number_warns_of_a_duplicate(sqlite_node: Node) -> None:
    register(sqlite_node, "gran", name="王秀英")
    register(sqlite_node, "gran2", name="王秀英", station="west")
    sqlite_node.privacy.correct(STAFF_EAST, "gran", {"id_number": ID_GRAN})
    again = sqlite_node.privacy.correct(STAFF_WEST, "gran2", {"id_number": "3201061940010112 35"})
    assert again["possible_duplicates"] == ["gran"]
    record = sqlite_node.members.get(ADMIN, "gran")
    assert [m.local_id for m in sqlite_node.member_edits.duplicates(ADMIN, record)] == ["gran2"]
    assert sqlite_node.member_edits.duplicates(STAFF_EAST, record) == []  # west's: not shown
    cleared = sqlite_node.privacy.correct(STAFF_WEST, "gran2", {"id_number": None})
    assert cleared["id_number_masked"] is None
    assert sqlite_node.member_edits.duplicates(ADMIN, record) == []


@pytest.mark.parametrize("fields", [{"id_number": "320106194001011236"},  # wrong check
                                    {"phone": "call me"}, {"email": "x@example.org"},
                                    {"home_address": "a\nb"}])
def test_bad_fields_are_refused_before_anything_is_logged(sqlite_node: Node,
                                                          fields: dict[str, str]) -> None:
    register(sqlite_node, "gran", name="王秀英")
    with pytest.raises(RuleViolation) as refused:
        sqlite_node.privacy.correct(ADMIN, "gran", fields)
    assert refused.value.code == ErrorCode.VALIDATION_FAILED
    assert log_rows(sqlite_node) == []


def test_other_stations_staff_and_regulators_are_refused_and_logged(sqlite_node: Node) -> None:
    register(sqlite_node, "gran", name="王秀英")
    for who in (STAFF_WEST, REGULATOR, member("someone")):
        with pytest.raises(AuthError):
            sqlite_node.privacy.get(who, "gran")
    with pytest.raises(AuthError):
        sqlite_node.privacy.erase(member("gran"), "gran", reason="mine")
    sqlite_node.privacy.get(ADMIN, "gran")
    assert [(actor, action, result) for actor, action, _, result in log_rows(sqlite_node)] == [
        ("staff:west:staff-west", "read", "refused"), ("regulator:reg", "read", "refused"),
        ("member:someone", "read", "refused"), ("member:gran", "erase", "refused"),
        ("admin:test-admin", "read", "allowed")]


def test_consent_per_purpose_and_a_guardian_for_a_child(sqlite_node: Node) -> None:
    register(sqlite_node, "gran", name="王秀英")
    register(sqlite_node, "kid", name="小明", birth_year=2015)
    privacy = sqlite_node.privacy
    privacy.set_consent(member("gran"), "gran", Purpose.NOTICES, given=True, guardian_name=None)
    privacy.set_consent(member("gran"), "gran", Purpose.NOTICES, given=False,
                        guardian_name=None)
    listed = privacy.set_consent(STAFF_EAST, "gran", Purpose.HOME_VISIT_CONTACT, given=True,
                                 guardian_name=None)
    assert listed["current"] == {"home_visit_contact": True, "notices": False,
                                 "share_on_relocation": False, "cross_node_gifts": False}
    assert [(h["purpose"], h["given_by"], h["withdrawn_by"]) for h in listed["history"]] == [
        ("notices", "member:gran", "member:gran"),
        ("home_visit_contact", "staff:east:staff-east", None)]
    with pytest.raises(RuleViolation) as refused:
        privacy.set_consent(STAFF_EAST, "kid", Purpose.NOTICES, given=True, guardian_name=None)
    assert refused.value.code == ErrorCode.GUARDIAN_REQUIRED
    kid = privacy.set_consent(STAFF_EAST, "kid", Purpose.NOTICES, given=True,
                              guardian_name="张丽（母亲）")
    assert kid["history"][0]["guardian_name"] == "张丽（母亲）"
    sqlite_node.privacy.correct(STAFF_EAST, "kid", {"id_number": ID_CHILD})


def test_reading_a_death_record_is_logged(sqlite_node: Node) -> None:
    register(sqlite_node, "gran", name="王秀英")
    sqlite_node.timebank.deaths.record(STAFF_EAST, "gran", heirs=[], note="死亡证明")
    assert sqlite_node.timebank.deaths.get(STAFF_EAST, "gran")["disposition"]
    with pytest.raises(AuthError):
        sqlite_node.timebank.deaths.get(STAFF_WEST, "gran")
    assert log_rows(sqlite_node, "gran") == [
        ("staff:east:staff-east", "read", "death", "allowed"),
        ("staff:west:staff-west", "read", "death", "refused")]
    assert sqlite_node.privacy.verify_log().ok
