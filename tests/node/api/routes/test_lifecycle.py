"""A member's death and the node's closure over HTTP: the coded problems, the repeat answered
again, and what the record says."""

from __future__ import annotations

from tests.node.api.support import World, assert_problem, writes_nothing

DEATH = "/api/v1/members/alice/death"
BODY = {"heirs": [{"relative": "bob"}], "note": "death certificate seen"}


def test_a_death_over_http(world: World) -> None:
    held = world.call("GET", "/api/v1/members/alice/balance", "admin").json()
    with writes_nothing(world.node):
        assert_problem(world.call("POST", DEATH, "staff_own", BODY), 422, "heir_not_allowed")
        assert_problem(world.call("GET", DEATH, "staff_own"), 404, "death_not_found")
        bad = {**BODY, "heirs": [{"relative": "bob", "minutes": -5}]}
        assert_problem(world.call("POST", DEATH, "staff_own", bad), 422, "validation_failed")
    kin = world.call("POST", "/api/v1/members/alice/kin", "staff_own",
                     {"relative": "bob", "relation": "sibling"})
    assert kin.status_code == 200, kin.text
    made = world.call("POST", DEATH, "staff_own", BODY)
    assert made.status_code == 201, made.text
    record = made.json()
    # alice held granted hours only: they go to the pool, nothing is inherited
    assert record["heirs"] == [] and record["pool_minutes"] == held["available_minutes"]
    assert world.call("POST", DEATH, "admin", BODY).json() == record  # a repeat: 200
    again = world.call("POST", DEATH, "admin", {**BODY, "note": "another paper"})
    assert_problem(again, 409, "death_recorded")
    assert world.call("GET", DEATH, "regulator").json() == record
    assert world.call("GET", "/api/v1/members/alice", "admin").json()["status"] == "deactivated"


def test_the_closure_over_http(world: World) -> None:
    with writes_nothing(world.node):
        refused = world.call("POST", "/api/v1/closure", "admin",
                             {"successor": "nj-gulou", "reason": "merged"})
        assert_problem(refused, 422, "validation_failed")
    made = world.call("POST", "/api/v1/closure", "admin", {"reason": "merged"})
    assert made.status_code == 201, made.text
    everyone = world.call("GET", "/api/v1/closure", "regulator").json()
    assert everyone["closing"] and everyone["on_closure"] == "members_choose_node"
    assert [(m["member"], m["destination"]) for m in everyone["members"]] == [
        ("alice", None), ("bob", None)]  # carol holds nothing
    assert world.call("GET", "/api/v1/closure", "staff_other").json()["members"] == []
    assert_problem(world.call("POST", "/api/v1/closure", "admin", {"reason": "other"}), 409,
                   "closure_recorded")
