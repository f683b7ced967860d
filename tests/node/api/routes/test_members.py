"""Statements: newest first, a `next_before_height` cursor that walks every line exactly once,
`balance_after_minutes` that adds up, and page sizes capped by the node's `page_size_max`."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from node.clock import FakeClock
from tests.conftest import Api
from tests.support import build_node, make_config

PAGE_SIZE_MAX = 5
STATEMENT = "/api/v1/members/alice/statement"

# (label, kind, details): alice's balance moves with every row except bob's own grant.
OPS: list[tuple[str, str, dict[str, Any]]] = [
    ("g1", "grant", {"member": "alice", "amount_minutes": 500, "credit_class": "granted"}),
    ("g2", "grant", {"member": "alice", "amount_minutes": 300, "credit_class": "earned"}),
    ("t1", "transfer", {"from": "alice", "to": "bob", "amount_minutes": 50}),
    ("g3", "grant", {"member": "bob", "amount_minutes": 100, "credit_class": "granted"}),
    ("t2", "transfer", {"from": "bob", "to": "alice", "amount_minutes": 30}),
    ("t3", "transfer", {"from": "alice", "to": "bob", "amount_minutes": 70}),
    ("t4", "transfer", {"from": "alice", "to": "bob", "amount_minutes": 5}),
    ("t5", "transfer", {"from": "bob", "to": "alice", "amount_minutes": 25}),
    ("t6", "transfer", {"from": "alice", "to": "bob", "amount_minutes": 40}),
    ("r3", "reversal", {"of": "t3"}),
    ("t7", "transfer", {"from": "alice", "to": "bob", "amount_minutes": 15}),
    ("t8", "transfer", {"from": "bob", "to": "alice", "amount_minutes": 10}),
    ("t9", "transfer", {"from": "alice", "to": "bob", "amount_minutes": 35}),
]
ALICE_BALANCE = 500 + 300 - 50 + 30 - 70 - 5 + 25 - 40 + 70 - 15 + 10 - 35


class Ledger:
    """A node with a small page_size_max and the OPS above; `lines` is what alice's statement
    must show, newest first, as (height, amount)."""

    def __init__(self, api: Api, clock: FakeClock) -> None:
        self.api = api
        self.heights: dict[str, int] = {}
        self.lines: list[tuple[int, int]] = []
        for local_id in ("alice", "bob"):
            self._post("/api/v1/members", {"local_id": local_id, "display_name": local_id})
        for label, kind, details in OPS:
            clock.advance(1_000)
            self._apply(label, kind, details)
        self.lines.reverse()

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.api.client.post(path, json=body, headers=self.api.admin)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def _apply(self, label: str, kind: str, details: dict[str, Any]) -> None:
        if kind == "grant":
            done = self._post("/api/v1/grants", {"id": label, "reason": "r", **details})
            height, delta = done["entry_height"], details["amount_minutes"]
            touches_alice = details["member"] == "alice"
        elif kind == "transfer":
            done = self._post("/api/v1/transfers", {"id": label, **details})
            sign = -1 if details["from"] == "alice" else 1
            height, delta, touches_alice = done["entry_height"], sign * done["amount_minutes"], True
        else:
            done = self._post(
                "/api/v1/ledger/reversals", {"height": self.heights[details["of"]], "reason": "r"}
            )
            original = dict(self.lines)[self.heights[details["of"]]]
            height, delta, touches_alice = done["height"], -original, True
        self.heights[label] = height
        if touches_alice:
            self.lines.append((height, delta))

    def page(self, **params: int) -> dict[str, Any]:
        response = self.api.client.get(STATEMENT, params=params, headers=self.api.admin)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def ledger(tmp_path: Path, clock: FakeClock) -> Iterator[Ledger]:
    config = make_config(tmp_path / "sh-pudong", "sh-pudong").model_copy(
        update={"page_size_max": PAGE_SIZE_MAX}
    )
    node = build_node(config, clock, bootstrap=True)
    yield Ledger(Api(node), clock)
    node.close()


def walk(ledger: Ledger, limit: int) -> list[list[dict[str, Any]]]:
    pages, params = [], {"limit": limit}
    for _ in range(len(OPS) + 2):  # bounded: a cursor that never ends fails instead of hanging
        page = ledger.page(**params)
        pages.append(page["items"])
        if page["next_before_height"] is None:
            return pages
        assert page["next_before_height"] == page["items"][-1]["height"]
        params = {"limit": limit, "before_height": page["next_before_height"]}
    raise AssertionError("the cursor did not end")


@pytest.mark.parametrize("limit", [1, 3, 4, 5])
def test_cursor_walks_every_line_once_newest_first(ledger: Ledger, limit: int) -> None:
    pages = walk(ledger, limit)
    items = [item for page in pages for item in page]
    assert [(i["height"], i["amount_minutes"]) for i in items] == ledger.lines
    assert [len(page) for page in pages[:-1]] == [limit] * (len(pages) - 1)
    assert 1 <= len(pages[-1]) <= limit
    created = [i["created_at_ms"] for i in items]
    assert created == sorted(created, reverse=True)


def test_balance_after_adds_up(ledger: Ledger) -> None:
    items = [item for page in walk(ledger, 4) for item in page]
    balance = ledger.api.client.get("/api/v1/members/alice/balance", headers=ledger.api.admin)
    assert items[0]["balance_after_minutes"] == balance.json()["available_minutes"]
    assert items[0]["balance_after_minutes"] == ALICE_BALANCE
    for newer, older in pairwise(items):
        assert (
            newer["balance_after_minutes"] - newer["amount_minutes"]
            == older["balance_after_minutes"]
        ), newer
    assert items[-1]["balance_after_minutes"] == items[-1]["amount_minutes"]  # opened at zero


def test_lines_name_the_other_side(ledger: Ledger) -> None:
    items = {i["height"]: i for page in walk(ledger, 5) for i in page}
    transfer = items[ledger.heights["t1"]]
    assert (transfer["kind"], transfer["ref"]) == ("transfer", "t1")
    assert transfer["counterparty"] == ["bob@sh-pudong"]
    assert items[ledger.heights["g1"]]["counterparty"] == ["issuance"]
    assert items[ledger.heights["r3"]]["kind"] == "reversal"
    assert sum(items[ledger.heights["g2"]]["by_class_minutes"].values()) == 300


@pytest.mark.parametrize("params", [{}, {"limit": 6}, {"limit": 1000}])
def test_limit_above_page_size_max_is_capped(ledger: Ledger, params: dict[str, int]) -> None:
    page = ledger.page(**params)
    assert len(page["items"]) == PAGE_SIZE_MAX
    assert page["next_before_height"] == page["items"][-1]["height"]


def test_cursor_into_the_middle_and_past_the_start(ledger: Ledger) -> None:
    middle = ledger.lines[6][0]
    page = ledger.page(limit=5, before_height=middle)
    assert [i["height"] for i in page["items"]] == [h for h, _ in ledger.lines[7:12]]
    assert page["next_before_height"] is None  # the last 5 lines: nothing older
    assert ledger.page(before_height=1) == {"items": [], "next_before_height": None}
