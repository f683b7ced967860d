"""Client-chosen ids over HTTP: the same id and body answers the stored result again (200,
Idempotent-Replayed), the same id with another body is a 409, and replaying someone else's id
reveals nothing about their record."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.node.api.support import World, assert_problem, db_digest, writes_nothing

TRANSFER = {"id": "t-1", "from": "alice", "to": "bob", "amount_minutes": 45, "memo": "shopping"}
GRANT = {
    "id": "g-1",
    "member": "alice",
    "amount_minutes": 90,
    "credit_class": "sponsored",
    "reason": "winter support",
}
ENDPOINTS = {
    "transfer": ("/api/v1/transfers", TRANSFER, "transfer_id_conflict"),
    "grant": ("/api/v1/grants", GRANT, "grant_id_conflict"),
}
REPLAYED = "Idempotent-Replayed"


@pytest.mark.parametrize("kind", ENDPOINTS)
def test_identical_retry_answers_the_stored_result(world: World, kind: str) -> None:
    path, body, _ = ENDPOINTS[kind]
    first = world.call("POST", path, "admin", body)
    assert first.status_code == 201, first.text
    assert REPLAYED not in first.headers
    world.clock.advance(3_600_000)  # a retry an hour later still gets the original record

    with writes_nothing(world.node):
        again = world.call("POST", path, "admin", body)

    assert again.status_code == 200, again.text
    assert again.headers[REPLAYED] == "true"
    assert again.json() == first.json()
    assert world.call("GET", f"{path}/{body['id']}", "admin").json() == first.json()


TRANSFER_CHANGES = [
    {"amount_minutes": 46},
    {"memo": "shopping!"},
    {"memo": ""},
    {"to": "carol"},
    {"from": "bob", "to": "alice"},
]
GRANT_CHANGES = [
    {"amount_minutes": 91},
    {"credit_class": "granted"},
    {"reason": "other"},
    {"member": "bob"},
]


@pytest.mark.parametrize(
    ("kind", "change"),
    [*[("transfer", c) for c in TRANSFER_CHANGES], *[("grant", c) for c in GRANT_CHANGES]],
)
def test_same_id_with_another_body_is_a_conflict(
    world: World, kind: str, change: dict[str, Any]
) -> None:
    path, body, code = ENDPOINTS[kind]
    first = world.call("POST", path, "admin", body)
    assert first.status_code == 201, first.text
    with writes_nothing(world.node):
        assert_problem(world.call("POST", path, "admin", {**body, **change}), 409, code)
    assert world.call("GET", f"{path}/{body['id']}", "admin").json() == first.json()


@pytest.mark.parametrize(
    "equivalent",
    [
        {**TRANSFER, "from": "alice@sh-pudong", "to": "bob@sh-pudong"},
        {**TRANSFER, "to": "bob@sh-pudong"},
    ],
)
def test_local_id_and_full_address_are_the_same_request(
    world: World, equivalent: dict[str, Any]
) -> None:
    first = world.call("POST", "/api/v1/transfers", "admin", TRANSFER)
    again = world.call("POST", "/api/v1/transfers", "admin", equivalent)
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json() == first.json()


def test_omitted_memo_equals_empty_memo(world: World) -> None:
    body = {k: v for k, v in TRANSFER.items() if k != "memo"}
    first = world.call("POST", "/api/v1/transfers", "admin", body)
    again = world.call("POST", "/api/v1/transfers", "admin", {**body, "memo": ""})
    assert (first.status_code, again.status_code) == (201, 200), again.text


def test_retry_after_the_money_is_spent_still_replays(world: World) -> None:
    spend_all = {**TRANSFER, "amount_minutes": 540}
    assert world.call("POST", "/api/v1/transfers", "member_self", spend_all).status_code == 201
    again = world.call("POST", "/api/v1/transfers", "member_self", spend_all)
    assert again.status_code == 200, again.text  # not insufficient_funds: it already happened


def test_staff_retry_of_a_members_transfer_replays(world: World) -> None:
    # An elder's request typed in twice, once on the phone and once at the station.
    first = world.call("POST", "/api/v1/transfers", "member_self", TRANSFER)
    again = world.call("POST", "/api/v1/transfers", "staff_own", TRANSFER)
    assert (first.status_code, again.status_code) == (201, 200), again.text


def test_concurrent_identical_requests_write_once(world: World) -> None:
    before = world.call("GET", "/api/v1/members/alice/balance", "admin").json()
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(
            pool.map(lambda _: world.call("POST", "/api/v1/transfers", "admin", TRANSFER), range(8))
        )
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.text for r in responses}) == 1
    after = world.call("GET", "/api/v1/members/alice/balance", "admin").json()
    assert before["available_minutes"] - after["available_minutes"] == 45


# Alice's transfer t-ab (alice → bob, 60 minutes, "lunch delivery") is already in the world.
ALICES_TRANSFER = {
    "id": "t-ab",
    "from": "alice",
    "to": "bob",
    "amount_minutes": 60,
    "memo": "lunch delivery",
}


def test_member_cannot_read_another_members_transfer_by_replaying_it(world: World) -> None:
    with writes_nothing(world.node):
        response = world.call("POST", "/api/v1/transfers", "member_other", ALICES_TRANSFER)
    problem = assert_problem(response, 403, "forbidden")
    assert REPLAYED not in response.headers
    assert not {"from", "to", "amount_minutes", "memo", "entry_height", "state"} & problem.keys()


def test_reusing_another_members_id_reveals_nothing_of_their_transfer(world: World) -> None:
    carols = {"id": "t-ab", "from": "carol", "to": "bob", "amount_minutes": 1}
    with writes_nothing(world.node):
        response = world.call("POST", "/api/v1/transfers", "member_other", carols)
    assert_problem(response, 409, "transfer_id_conflict")
    assert "alice" not in response.text and "lunch" not in response.text


def test_staff_of_another_station_cannot_replay_a_grant(world: World) -> None:
    alices_grant = {
        "id": "g-alice",
        "member": "alice",
        "amount_minutes": 600,
        "credit_class": "granted",
        "reason": "care plan",
    }
    before = db_digest(world.node)
    response = world.call("POST", "/api/v1/grants", "staff_other", alices_grant)
    body = assert_problem(response, 403, "forbidden")
    assert "amount_minutes" not in body and db_digest(world.node) == before
    assert world.call("POST", "/api/v1/grants", "staff_own", alices_grant).status_code == 200
