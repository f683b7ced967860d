"""Personal data through the real app (the `world` of tests/node/api: alice and bob at station
east, carol at west; alice has no birth year): every read and change is a row of the access log,
a staff read of another station's member is refused and logged, the regulator reads none, the
export downloads, a consent for alice names a guardian, erasure keeps her balance."""

from __future__ import annotations

from sqlalchemy import select

from node.db.schema import access_log
from tests.node.api.support import World, assert_problem

ALICE = "/api/v1/members/alice"
ID_NUMBER = "320106194001011235"


def _log(world: World) -> list[tuple[str, str, str, str]]:
    with world.node.db.read() as conn:
        return [(r.actor.split(":")[0] + ":" + r.member_local_id, r.action, r.fields, r.result)
                for r in conn.execute(select(access_log).order_by(access_log.c.seq))]


def test_every_read_and_change_through_the_api_is_logged(world: World) -> None:
    corrected = world.call("PATCH", f"{ALICE}/personal-data", "staff_own",
                           {"phone": "13800001111", "id_number": ID_NUMBER})
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["id_number_masked"] == "3201**********1235"
    assert world.call("GET", f"{ALICE}/personal-data", "member_self").json()[
        "phone"] == "13800001111"
    assert_problem(world.call("GET", f"{ALICE}/personal-data", "staff_other"), 403, "forbidden")
    assert_problem(world.call("GET", f"{ALICE}/export", "regulator"), 403, "forbidden")
    assert world.call("GET", f"{ALICE}/consents", "admin").status_code == 200
    exported = world.call("GET", f"{ALICE}/export", "admin")
    assert exported.headers["content-disposition"] == (
        'attachment; filename="hourbridge-alice.json"')
    assert exported.json()["personal_data"]["phone"] == "13800001111"
    assert ID_NUMBER not in exported.text
    assert _log(world) == [
        ("staff:alice", "change", "id_number,phone", "allowed"),
        ("member:alice", "read", "phone,emergency_name,emergency_phone,home_address,"
         "care_notes,id_number", "allowed"),
        ("staff:alice", "read", "phone,emergency_name,emergency_phone,home_address,"
         "care_notes,id_number", "refused"),
        ("regulator:alice", "export", "everything", "refused"),
        ("admin:alice", "read", "consents", "allowed"),
        ("admin:alice", "export", "everything", "allowed")]
    assert len(exported.json()["access_log"]) == 6  # the export's own row is in it


def test_a_consent_without_birth_year_names_a_guardian(world: World) -> None:
    refused = world.call("PUT", f"{ALICE}/consents/notices", "member_self", {"given": True})
    assert_problem(refused, 422, "guardian_required")
    given = world.call("PUT", f"{ALICE}/consents/notices", "member_self",
                       {"given": True, "guardian_name": "王丽"})
    assert given.json()["current"]["notices"] is True
    assert_problem(world.call("PUT", f"{ALICE}/consents/marketing", "admin", {"given": True}),
                   422, "validation_failed")


def test_erasure_keeps_her_balance_and_refuses_new_data(world: World) -> None:
    before = world.call("GET", f"{ALICE}/balance", "admin").json()
    erased = world.call("POST", f"{ALICE}/erase", "staff_own", {"reason": "her written request"})
    assert erased.status_code == 200, erased.text
    assert world.call("GET", ALICE, "admin").json()["display_name"] == "已注销成员"
    assert world.call("GET", f"{ALICE}/balance", "admin").json() == before
    assert_problem(world.call("PATCH", f"{ALICE}/personal-data", "admin", {"phone": "110110"}),
                   422, "member_erased")
    assert world.node.ledger_admin.verify().ok
