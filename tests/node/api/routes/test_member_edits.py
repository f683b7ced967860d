"""PATCH /api/v1/members/{id}, its history, the duplicate warning at registration and the
merge, through the real app (the `world` of tests/node/api: alice and bob at station east,
carol at west; alice has 540 granted minutes, bob 60)."""

from __future__ import annotations

import pytest

from tests.node.api.support import World, assert_problem, writes_nothing

ALICE = "/api/v1/members/alice"


def test_staff_correct_a_record_and_read_its_history(world: World) -> None:
    edited = world.call("PATCH", ALICE, "staff_own",
                        {"display_name": "Alice Wang", "birth_year": 1948,
                         "reason": "papers seen"})
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["display_name"], body["birth_year"], body["changed"]) == (
        "Alice Wang", 1948, ["display_name", "birth_year"])
    assert (body["hardship"], body["subsidised"]) == (False, False)
    page = world.call("GET", f"{ALICE}/changes", "member_self").json()
    assert [(c["field"], c["before"], c["after"], c["actor_label"]) for c in page["items"]] == [
        ("birth_year", None, "1948", "staff-east"), ("display_name", "Alice", "Alice Wang",
                                                     "staff-east")]
    assert page["next_before_id"] is None
    too_many = world.call("GET", f"{ALICE}/changes?limit=101", "admin")
    assert_problem(too_many, 422, "validation_failed")


def test_a_station_change_hands_her_to_the_other_stations_staff(world: World) -> None:
    moved = world.call("PATCH", ALICE, "staff_own", {"station": "west", "reason": "moved"})
    assert moved.status_code == 200, moved.text
    assert_problem(world.call("GET", ALICE, "staff_own"), 403, "forbidden")
    assert_problem(world.call("GET", f"{ALICE}/balance", "staff_own"), 403, "forbidden")
    assert world.call("GET", ALICE, "staff_other").json()["station"] == "west"
    listed = world.call("GET", "/api/v1/members", "staff_other").json()["items"]
    assert [m["local_id"] for m in listed] == ["alice", "carol"]


@pytest.mark.parametrize("body", [
    {"reason": "nothing named"},
    {"birth_year": 1950},
    {"birth_year": "1950", "reason": "a string"},
    {"station": None, "reason": "no station"},
    {"display_name": "", "reason": "empty"},
    {"status": "active", "reason": "not editable"},
    {"hardship": 1, "reason": "not a boolean"},
])
def test_bad_bodies_are_refused_and_write_nothing(world: World, body: dict[str, object]) -> None:
    with writes_nothing(world.node):
        assert_problem(world.call("PATCH", ALICE, "admin", body), 422, "validation_failed")


def test_registration_warns_of_possible_duplicates(world: World) -> None:
    again = world.call("POST", "/api/v1/members", "staff_own",
                       {"local_id": "alice2", "display_name": " alice "})
    assert again.status_code == 201, again.text
    assert [m["local_id"] for m in again.json()["possible_duplicates"]] == ["alice"]
    other = world.call("POST", "/api/v1/members", "staff_own",
                       {"local_id": "dora", "display_name": "Dora"})
    assert other.json()["possible_duplicates"] == []


def test_an_admin_merges_a_duplicate_by_ledger_entries(world: World) -> None:
    body = {"into": "bob", "reason": "registered twice"}
    merged = world.call("POST", f"{ALICE}/merge", "admin", body)
    assert merged.status_code == 201, merged.text
    answer = merged.json()
    assert answer["moved_by_class_minutes"] == {"granted": 540}
    assert answer["duplicate"]["status"] == "deactivated"
    assert world.call("GET", "/api/v1/members/bob/balance", "admin").json()[
        "available_minutes"] == 600
    statement = world.call("GET", "/api/v1/members/bob/statement", "admin").json()
    assert statement["items"][0]["kind"] == "member_merge"
    replay = world.call("POST", f"{ALICE}/merge", "admin", body)
    assert replay.status_code == 200 and replay.json() == answer
    assert_problem(world.call("POST", "/api/v1/members/bob/merge", "admin",
                              {"into": "alice", "reason": "the other way"}),
                   422, "member_inactive")
    bob = world.call("GET", "/api/v1/members/bob/changes", "admin").json()["items"]
    assert [(c["field"], c["after"], c["other_name"]) for c in bob] == [
        ("merged_from", "alice", "Alice")]
