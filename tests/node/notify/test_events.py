"""Each event tells the right member, in the event's own transaction: driven through the real
services of a node (the service cycle, a complaint) and of two in-process nodes (a transfer
from another city, a payment request)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.clock import FakeClock
from node.errors import AuthError
from node.runtime import Node
from node.states import DisputeOutcome
from tests.factories import ADMIN, grant
from tests.federation import Fault, Federation, audit
from tests.node.notify.support import kinds, stored
from tests.node.timebank.conftest import (
    SECOND_STAFF,
    STAFF,
    member,
    people,
    serve,
    visit_code,
)

SH, NJ = "sh-pudong", "nj-gulou"


def _payload(node: Node, local_id: str) -> list[dict[str, object]]:
    return [json.loads(row["payload"]) for row in stored(node, local_id)]


def _texts(node: Node, local_id: str) -> list[str]:
    page = node.notifications.inbox.page(ADMIN, local_id, before_id=None, limit=10)
    return [item["text"]["zh"] for item in page["items"]]


@pytest.fixture
def town(node: Node) -> Node:
    """On SQLite, and on PostgreSQL when HOURBRIDGE_TEST_PG_URL names a server."""
    people(node, ("gran", 1940), ("vol", 1990))
    grant(node, "gran", 120)
    return node


def test_the_service_cycle_tells_each_side(town: Node, clock: FakeClock) -> None:
    requests = town.timebank.requests
    requests.post(member("gran"), request_id="r1", recipient="gran", category="daily_living",
                  item=None, description="sweep the floor")
    assert stored(town) == []
    requests.accept(member("vol"), "r1", volunteer="vol")
    assert kinds(town, "gran") == ["request_taken"]
    requests.check_in(member("vol"), "r1", code=visit_code(town, "gran"))
    clock.advance(75 * 60_000)
    requests.check_out(member("vol"), "r1")
    assert kinds(town, "gran") == ["request_taken", "volunteer_arriving"]
    assert kinds(town, "vol") == []
    requests.confirm(member("gran"), "r1", rating=5, comment="")

    assert _payload(town, "vol") == [{"request": "r1", "recipient": "gran",
                                      "credited_minutes": 75}]
    assert _texts(town, "gran") == ["志愿者 Vol 已到，开始为您服务：“生活照料”。",
                                    "Vol 已接下您的“生活照料”需求。"]
    assert _texts(town, "vol") == ["Gran 已确认您的“生活照料”服务，您得到 1 小时 15 分。谢谢您！"]


def test_a_refused_step_tells_nobody(town: Node, clock: FakeClock) -> None:
    serve(town, "r1", recipient="gran", volunteer="vol", minutes=30, clock=clock)
    with pytest.raises(AuthError):  # STAFF served the visit: it may not pay for it
        town.timebank.requests.confirm(STAFF, "r1", rating=5, comment="")
    assert kinds(town, "vol") == []
    town.timebank.requests.confirm(SECOND_STAFF, "r1", rating=4, comment="")
    assert kinds(town, "vol") == ["visit_confirmed"]


def test_a_resolved_complaint_tells_both_sides(town: Node, clock: FakeClock) -> None:
    serve(town, "r1", recipient="gran", volunteer="vol", minutes=45, clock=clock)
    town.timebank.disputes.complain(member("gran"), "r1", reason="left early")
    assert "complaint_resolved" not in kinds(town, "gran") + kinds(town, "vol")
    town.timebank.disputes.resolve(SECOND_STAFF, "r1", outcome=DisputeOutcome.REFUND,
                                   released_minutes=None, reason="checked with the family")

    expected = {"request": "r1", "outcome": "refund", "released_minutes": 0,
                "refunded_minutes": 45}
    assert _payload(town, "gran")[-1] == expected and _payload(town, "vol")[-1] == expected
    assert _texts(town, "gran")[0] == "关于“生活照料”的投诉已处理：时间已退回（45 分）。"


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ], members=2, grant_minutes=600)
    yield federation
    federation.close()


def test_hours_from_another_city_tell_the_creditor_once(fed: Federation) -> None:
    fed.network.plan(SH, NJ, Fault.DUPLICATE)  # the transaction arrives twice
    sent = fed.send(f"m0@{SH}", f"m1@{NJ}", 180, memo="for mother's care")
    assert sent.status_code == 201, sent.text
    fed.settle()

    nj, sh = fed.nodes[NJ], fed.nodes[SH]
    [payload] = _payload(nj, "m1")
    assert payload == {"transfer": payload["transfer"], "sender": f"m0@{SH}", "node": SH,
                       "amount_minutes": 180, "purpose": "gift"}
    assert _texts(nj, "m1") == [f"您收到 3 小时，来自 {SH} 的 m0。"]
    assert stored(sh) == []  # the sender's own node tells nobody
    audit(fed)


def test_a_payment_request_from_another_city_tells_the_payer_once(fed: Federation) -> None:
    fed.network.plan(NJ, SH, Fault.DROP_RESPONSE)  # NJ sends the request again
    asked = fed.call(NJ, "POST", "/api/v1/payment-requests", {
        "id": "pay-1", "payee": "m0", "payer": f"m1@{SH}", "amount_minutes": 90,
        "category": "daily_living", "description": "lunch delivery"})
    assert asked.status_code == 201, asked.text
    fed.settle()

    sh = fed.nodes[SH]
    [payload] = _payload(sh, "m1")
    assert payload == {"payee": f"m0@{NJ}", "node": NJ, "request": payload["request"],
                       "amount_minutes": 90}
    assert _texts(sh, "m1") == [f"{NJ} 的 m0 请您为一次服务付 1 小时 30 分。请确认或拒绝。"]
    assert stored(fed.nodes[NJ]) == []
