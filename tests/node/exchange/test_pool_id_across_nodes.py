"""The pool's id across nodes (issue 12, finding 2): a relocation never lands a member on it,
and another node's donation reaches the pool the node made, which station staff cannot move."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from node.access import Role
from node.exchange.requests import Context, new_id
from node.ledger.system_ids import POOL_DISPLAY_NAME
from protocol.credit import CreditClass
from protocol.messages.other import (
    ClassBalance,
    HistorySummary,
    MessageRejectMessage,
    RelocationBody,
    RelocationMessage,
)
from protocol.reasons import ReasonCode
from tests.factories import ADMIN, by_class
from tests.federation import Federation, audit

SH, NJ = "sh-pudong", "nj-gulou"
POOL = "hardship-pool"


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ], members=2, grant_minutes=600)
    yield federation
    federation.close()


def test_a_relocation_to_the_pools_id_is_refused_at_both_ends(fed: Federation) -> None:
    refused = fed.call(SH, "POST", "/api/v1/members/m0/relocation",
                       {"id": "rel-1", "to_node": NJ, "new_local_id": POOL})
    assert (refused.status_code, refused.json()["code"]) == (409, "local_id_reserved")
    assert fed.balance(f"m0@{SH}") == 600
    # A prepare naming the pool (from a node that does not check) is refused, finally.
    nj = fed.nodes[NJ]
    handler = nj.exchange.requests.handlers["relocation.prepare"]
    now = fed.clock.now_ms()
    body = RelocationBody(
        relocation_id=new_id(), member=f"m0@{SH}", new_local_id=POOL,
        balances=[ClassBalance(credit_class=CreditClass.GRANTED, amount_minutes=600)],
        history=HistorySummary(entries_count=1, earned_minutes_total=600,
                               spent_minutes_total=0, first_entry_at_ms=now,
                               last_entry_at_ms=now, journal_head_hash="0" * 64),
        profile=None, created_at_ms=now, expires_at_ms=now + 60_000)
    ctx = Context(sender=SH, transaction_id="tx-by-hand", now_ms=now,
                  directory=nj.federation.require_current())
    message = RelocationMessage(message_id=new_id(), body=body)
    answer = nj.writer.run(lambda conn: handler(conn, ctx, message)).message
    assert isinstance(answer, MessageRejectMessage)
    assert answer.body.reason is ReasonCode.MEMBER_EXISTS
    pool = nj.members.get(ADMIN, POOL)
    assert (pool.display_name, pool.station) == (POOL_DISPLAY_NAME, None)
    assert by_class(nj, POOL) == {}
    audit(fed)


def test_another_nodes_donation_reaches_the_pool_the_node_made(fed: Federation) -> None:
    nj = fed.nodes[NJ]
    staff = nj.tokens.create(role=Role.STAFF, station="east", label="staff").token
    headers = {"Authorization": f"Bearer {staff}"}
    client = TestClient(fed.network.apps[NJ])
    hijack = client.post("/api/v1/members", headers=headers,
                         json={"local_id": POOL, "display_name": "Pool"})
    assert (hijack.status_code, hijack.json()["code"]) == (409, "local_id_reserved")
    made = fed.call(SH, "POST", "/api/v1/donations", {
        "id": "don-1", "member": "m0", "amount_minutes": 90, "to_node": NJ, "reason": "flood"})
    assert made.status_code == 201, made.text
    fed.settle()
    assert fed.transfer(SH, "don-1")["state"] == "committed"
    assert by_class(nj, POOL) == {"granted": 90}
    moved = client.post("/api/v1/transfers", headers=headers, json={
        "id": "t-out", "from": f"{POOL}@{NJ}", "to": f"m0@{NJ}", "amount_minutes": 90})
    assert (moved.status_code, moved.json()["code"]) == (403, "forbidden")
    assert by_class(nj, POOL) == {"granted": 90}
    audit(fed)
