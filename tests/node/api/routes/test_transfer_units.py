"""Local units on the member API (docs/standard.md §4): a transfer asked for in the node's unit
moves whole ratio blocks of minutes and leaves the rest with the payer; balances are shown in
the unit too; idempotency never confuses a units request with a minutes request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from node.access import Role
from node.clock import FakeClock
from tests.conftest import Api
from tests.factories import add_members, grant
from tests.node.api.support import assert_problem, writes_nothing
from tests.support import build_node, directory_document, make_config

SH = "sh-pudong"
CREDIT = ("credit", 3, 2)  # the standard's example: 3 credits are worth 2 minutes
TRANSFERS = "/api/v1/transfers"


def open_api(tmp_path: Path, clock: FakeClock, unit: tuple[str, int, int] | None) -> Api:
    node = build_node(make_config(tmp_path / SH, SH), clock, bootstrap=True)
    if unit is not None:
        node.federation.accept(directory_document([SH], local_units={SH: unit}))
    add_members(node, "alice", "bob")
    grant(node, "alice", 600)
    api = Api(node)
    api.token("admin", Role.ADMIN)  # issued now, so a refused request's digest stays the same
    return api


@pytest.fixture
def api(tmp_path: Path, clock: FakeClock) -> Iterator[Api]:
    api = open_api(tmp_path, clock, CREDIT)
    yield api
    api.node.close()


def post(api: Api, body: dict[str, Any]) -> Any:
    base = {"id": "t-1", "from": "alice", "to": "bob"}
    return api.client.post(TRANSFERS, json={**base, **body}, headers=api.admin)


def available(api: Api, local_id: str) -> int:
    response = api.client.get(f"/api/v1/members/{local_id}/balance", headers=api.admin)
    return int(response.json()["available_minutes"])


def test_units_move_whole_blocks_and_the_remainder_stays_with_the_payer(api: Api) -> None:
    made = post(api, {"amount_units": 7})
    assert made.status_code == 201, made.text
    out = made.json()
    assert (out["amount_minutes"], out["amount_units"], out["remainder_units"]) == (4, 7, 1)
    assert (available(api, "alice"), available(api, "bob")) == (596, 4)


def test_a_minutes_transfer_reports_no_units(api: Api) -> None:
    out = post(api, {"amount_minutes": 4}).json()
    assert (out["amount_minutes"], out["amount_units"], out["remainder_units"]) == (4, None, None)


@pytest.mark.parametrize(
    "amounts", [{}, {"amount_minutes": 4, "amount_units": 6}], ids=["neither", "both"]
)
def test_exactly_one_amount(api: Api, amounts: dict[str, int]) -> None:
    with writes_nothing(api.node):
        problem = assert_problem(post(api, amounts), 422, "validation_failed")
    assert "exactly one of amount_minutes or amount_units" in str(problem["errors"])


@pytest.mark.parametrize("bad", [0, -3, 1.5, "6", True, 2**53])
def test_units_are_positive_integers(api: Api, bad: Any) -> None:
    with writes_nothing(api.node):
        assert_problem(post(api, {"amount_units": bad}), 422, "validation_failed")


def test_units_that_make_no_whole_block_are_refused(api: Api) -> None:
    with writes_nothing(api.node):
        problem = assert_problem(post(api, {"amount_units": 2}), 422, "amount_below_unit")
    assert "3 credit = 2 minutes" in problem["detail"]


def test_units_worth_more_than_the_amount_bound_are_refused(
    tmp_path: Path, clock: FakeClock
) -> None:
    api = open_api(tmp_path, clock, ("coin", 1, 10_000))
    with writes_nothing(api.node):
        assert_problem(post(api, {"amount_units": 10_001}), 422, "amount_out_of_range")
    api.node.close()


def test_a_units_retry_replays_and_a_minutes_request_with_that_id_conflicts(api: Api) -> None:
    first = post(api, {"amount_units": 7})
    with writes_nothing(api.node):
        again = post(api, {"amount_units": 7})
        assert_problem(post(api, {"amount_minutes": 4}), 409, "transfer_id_conflict")
        assert_problem(post(api, {"amount_units": 6}), 409, "transfer_id_conflict")  # 4 min too
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (200, "true")
    assert again.json() == first.json()
    # The stored transfer, like the ledger, is in minutes; the unit fields answer the POST.
    stored = api.client.get(f"{TRANSFERS}/t-1", headers=api.admin).json()
    assert stored == {**first.json(), "amount_units": None, "remainder_units": None}


def test_a_minutes_id_is_not_replayed_by_units_that_move_the_same_minutes(api: Api) -> None:
    assert post(api, {"amount_minutes": 4}).status_code == 201
    with writes_nothing(api.node):
        assert_problem(post(api, {"amount_units": 6}), 409, "transfer_id_conflict")


def test_a_retry_after_the_node_changed_its_unit_is_a_conflict(api: Api) -> None:
    assert post(api, {"amount_units": 7}).status_code == 201
    api.node.federation.accept(
        directory_document([SH], serial=2, local_units={SH: ("half-hour", 1, 30)})
    )
    with writes_nothing(api.node):
        assert_problem(post(api, {"amount_units": 7}), 409, "transfer_id_conflict")


def test_the_balance_is_shown_in_the_unit_with_leftover_minutes(api: Api) -> None:
    post(api, {"amount_units": 7})  # alice keeps 596 minutes = 894 credits exactly
    post(api, {"id": "t-2", "amount_minutes": 1})  # 595 minutes = 891 credits + 1 minute
    body = api.client.get("/api/v1/members/alice/balance", headers=api.admin).json()
    assert body["unit"] == {"name": "credit", "units": 3, "minutes": 2}
    assert (body["available_minutes"], body["available_units"]) == (595, 891)
    assert body["available_remainder_minutes"] == 1


def test_without_a_directory_the_unit_is_the_standard_minute(
    tmp_path: Path, clock: FakeClock
) -> None:
    api = open_api(tmp_path, clock, None)
    out = post(api, {"amount_units": 5}).json()
    assert (out["amount_minutes"], out["remainder_units"]) == (5, 0)
    body = api.client.get("/api/v1/members/bob/balance", headers=api.admin).json()
    assert body["unit"] == {"name": "minute", "units": 1, "minutes": 1}
    assert (body["available_units"], body["available_remainder_minutes"]) == (5, 0)
    api.node.close()
