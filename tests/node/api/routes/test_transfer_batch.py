"""POST /api/v1/transfers/batch: up to 100 transfers in one database transaction, all or none,
each idempotent by its own id."""

from __future__ import annotations

from typing import Any

from tests.node.api.support import World, assert_problem, writes_nothing

BATCH = "/api/v1/transfers/batch"


def _item(i: int, minutes: int = 5, to: str = "bob") -> dict[str, Any]:
    return {"id": f"b-{i}", "from": "alice", "to": to, "amount_minutes": minutes}


def _balance(world: World, local_id: str) -> int:
    reply = world.call("GET", f"/api/v1/members/{local_id}/balance", "admin")
    return int(reply.json()["available_minutes"])


def test_a_batch_makes_every_transfer_in_order(world: World) -> None:
    before = _balance(world, "bob")
    items = [_item(0), _item(1, 7), _item(2, 3, to="x.li@nj-gulou")]
    reply = world.call("POST", BATCH, "staff_own", {"items": items})
    assert reply.status_code == 201, reply.text
    made = reply.json()["items"]
    assert [(t["id"], t["amount_minutes"], t["state"]) for t in made] == [
        ("b-0", 5, "committed"), ("b-1", 7, "committed"), ("b-2", 3, "pending")]
    assert _balance(world, "bob") == before + 12
    again = world.call("POST", BATCH, "staff_own", {"items": items})
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == reply.json()
    assert _balance(world, "bob") == before + 12


def test_one_refused_item_refuses_the_batch_and_writes_nothing(world: World) -> None:
    items = [_item(0), _item(1, 100_000)]
    with writes_nothing(world.node):
        reply = world.call("POST", BATCH, "admin", {"items": items})
    body = assert_problem(reply, 422, "insufficient_funds")
    assert body["detail"].startswith("items[1] (id b-1): ")


def test_an_item_refused_before_the_database_names_its_index_too(world: World) -> None:
    items = [_item(0), _item(1, to="bob@xa-yanta")]
    with writes_nothing(world.node):
        reply = world.call("POST", BATCH, "admin", {"items": items})
    body = assert_problem(reply, 422, "unknown_node")
    assert body["detail"].startswith("items[1] (id b-1): ")


def test_batch_size_is_bounded(world: World) -> None:
    with writes_nothing(world.node):
        too_many = world.call("POST", BATCH, "admin", {"items": [_item(i) for i in range(101)]})
        empty = world.call("POST", BATCH, "admin", {"items": []})
    assert_problem(too_many, 422, "validation_failed")
    assert_problem(empty, 422, "validation_failed")


def test_acting_for_someone_else_refuses_the_batch(world: World) -> None:
    with writes_nothing(world.node):
        reply = world.call("POST", BATCH, "member_other", {"items": [_item(0)]})
    assert_problem(reply, 403, "forbidden")
