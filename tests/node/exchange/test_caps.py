"""Net debit caps (standard §9.2, §15): enforced by the debtor's node before it reserves and by
the creditor's node on every prepare; concurrent transfers cannot exceed them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from node.errors import NodeError
from node.exchange import store
from node.services import outgoing
from tests.factories import ADMIN
from tests.federation import Federation, audit

SH, NJ = "sh-pudong", "nj-gulou"
CAP = 1_000


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ], members=4, grant_minutes=600,
                            caps={SH: CAP, NJ: CAP})
    yield federation
    federation.close()


def _owed(fed: Federation, node_id: str, peer: str) -> int:
    with fed.nodes[node_id].db.read() as conn:
        return store.owed_to(conn, peer)


def test_concurrent_requests_cannot_pass_the_partner_cap(fed: Federation) -> None:
    app = fed.network.apps[SH]

    async def one(i: int) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://sh-pudong.test") as client:
            return await client.post("/api/v1/transfers", json={
                "id": f"c{i}", "from": f"m{i % 4}", "to": f"m0@{NJ}", "amount_minutes": 60,
            }, headers={"Authorization": f"Bearer {fed.tokens[SH]}"})

    async def all_at_once() -> list[httpx.Response]:
        return await asyncio.gather(*(one(i) for i in range(30)))

    responses = fed.run(all_at_once())
    accepted = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code != 201]
    assert len(accepted) == CAP // 60
    assert {r.json()["code"] for r in refused} == {"partner_cap_exceeded"}
    assert _owed(fed, SH, NJ) == 60 * len(accepted) <= CAP
    fed.settle()
    assert _owed(fed, SH, NJ) == 60 * len(accepted)
    audit(fed)


def test_threads_racing_through_the_writer_cannot_pass_it_either(fed: Federation) -> None:
    node = fed.nodes[SH]

    def one(i: int) -> bool:
        try:
            node.transfers.create(ADMIN, transfer_id=f"th{i}", debtor=f"m{i % 4}",
                                  creditor=f"m1@{NJ}", amount_minutes=70, memo="")
        except NodeError as exc:
            assert exc.code == "partner_cap_exceeded"
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(24)))
    assert sum(results) == CAP // 70
    assert _owed(fed, SH, NJ) <= CAP


def test_cap_frees_up_as_hours_flow_back(fed: Federation) -> None:
    assert fed.send(f"m0@{SH}", f"m0@{NJ}", 600).status_code == 201
    assert fed.send(f"m1@{SH}", f"m0@{NJ}", 400).status_code == 201
    refused = fed.send(f"m2@{SH}", f"m0@{NJ}", 1)
    assert refused.json()["code"] == "partner_cap_exceeded"
    fed.settle()
    assert fed.send(f"m1@{NJ}", f"m2@{SH}", 300).status_code == 201
    fed.settle()
    assert _owed(fed, SH, NJ) == CAP - 300
    assert fed.send(f"m2@{SH}", f"m0@{NJ}", 300).status_code == 201
    fed.settle()
    audit(fed)


def test_the_creditor_node_enforces_the_cap_and_the_debtor_keeps_the_reservation(
    fed: Federation, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A debtor node that does not check its own cap (an older or faulty peer).
    monkeypatch.setattr(outgoing, "check_debit_caps", lambda *args, **kwargs: None)
    fed.send(f"m0@{SH}", f"m0@{NJ}", 600, transfer_id="a")
    fed.send(f"m1@{SH}", f"m1@{NJ}", 600, transfer_id="b")
    fed.settle()
    states = {t: fed.transfer(SH, t)["state"] for t in ("a", "b")}
    assert sorted(states.values()) == ["committed", "pending"]  # temporary: kept and resent
    assert fed.balance(f"m0@{SH}") + fed.balance(f"m1@{SH}") == 0
    audit(fed, quiescent=False)
    # Hours flow back; the resent prepare now fits under the cap.
    fed.send(f"m2@{NJ}", f"m2@{SH}", 500)
    fed.settle()
    fed.clock.advance(2_000)
    fed.settle()
    assert {fed.transfer(SH, t)["state"] for t in ("a", "b")} == {"committed"}
    audit(fed)
