"""Nodes with different local units trade in standard minutes (docs/standard.md §4): each member
asks and reads in their own node's unit, every message states minutes, and no minute is
created or lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.federation import Federation, audit

SH, NJ, GZ = "sh-pudong", "nj-gulou", "gz-nansha"
UNITS = {
    SH: ("point", 1, 6),  # ten points an hour
    NJ: ("half-hour", 1, 30),
    GZ: ("credit", 3, 2),  # three credits are worth two minutes
}


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ, GZ], members=2, grant_minutes=600,
                            local_units=UNITS)
    yield federation
    federation.close()


def send_units(fed: Federation, debtor: str, creditor: str, units: int, transfer_id: str) -> Any:
    response = fed.call(debtor.split("@")[1], "POST", "/api/v1/transfers", {
        "id": transfer_id, "from": debtor, "to": creditor, "amount_units": units,
    })
    assert response.status_code == 201, response.text
    return response.json()


def balance_view(fed: Federation, address: str) -> Any:
    local_id, node_id = address.split("@")
    return fed.call(node_id, "GET", f"/api/v1/members/{local_id}/balance").json()


def keys_and_values(obj: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield key, value
            yield from keys_and_values(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from keys_and_values(item)


def test_three_half_hours_arrive_as_fifteen_points(fed: Federation) -> None:
    made = fed.call(SH, "POST", "/api/v1/members", {"local_id": "wang", "display_name": "Wang"})
    assert made.status_code == 201, made.text

    out = send_units(fed, f"m0@{NJ}", f"wang@{SH}", 3, "hh-1")
    assert (out["amount_minutes"], out["amount_units"], out["remainder_units"]) == (90, 3, 0)
    fed.settle()

    assert fed.transfer(NJ, "hh-1")["state"] == "committed"
    wang = balance_view(fed, f"wang@{SH}")
    assert wang["unit"] == {"name": "point", "units": 1, "minutes": 6}
    assert (wang["available_minutes"], wang["available_units"]) == (90, 15)
    assert wang["available_remainder_minutes"] == 0
    payer = balance_view(fed, f"m0@{NJ}")
    assert (payer["available_minutes"], payer["available_units"]) == (510, 17)
    # Every message on the wire states minutes and nothing else.
    fields = [kv for d in fed.network.log for kv in keys_and_values(json.loads(d.body))]
    assert ("amount_minutes", 90) in fields
    assert not [key for key, _ in fields if "unit" in key]
    audit(fed)


def test_units_that_do_not_convert_exactly_leave_the_remainder_with_the_payer(
    fed: Federation,
) -> None:
    out = send_units(fed, f"m0@{GZ}", f"m1@{NJ}", 47, "cr-1")  # 15 blocks of 3 credits, 2 left
    assert (out["amount_minutes"], out["remainder_units"]) == (30, 2)
    fed.settle()

    payer = balance_view(fed, f"m0@{GZ}")  # 570 minutes = 855 credits
    assert (payer["available_minutes"], payer["available_units"]) == (570, 855)
    payee = balance_view(fed, f"m1@{NJ}")  # 630 minutes = 21 half-hours
    assert (payee["available_minutes"], payee["available_units"]) == (630, 21)

    back = send_units(fed, f"m1@{NJ}", f"m0@{GZ}", 1, "hh-2")  # 30 minutes = 45 credits
    fed.settle()
    assert back["amount_minutes"] == 30
    assert balance_view(fed, f"m0@{GZ}")["available_units"] == 900
    totals = audit(fed)
    assert totals["held"] == totals["issued"] == 3 * 2 * 600


def test_leftover_minutes_show_beside_whole_units(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m1@{NJ}", 45, transfer_id="min-1")  # a member may still say minutes
    fed.settle()
    payee = balance_view(fed, f"m1@{NJ}")  # 645 minutes = 21 half-hours and 15 minutes
    assert (payee["available_units"], payee["available_remainder_minutes"]) == (21, 15)
    payer = balance_view(fed, f"m0@{SH}")  # 555 minutes = 92 points and 3 minutes
    assert (payer["available_units"], payer["available_remainder_minutes"]) == (92, 3)
    audit(fed)
