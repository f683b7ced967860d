"""Relocation end to end between in-process nodes (standard §10): the whole account moves, the
old address points to the new one, refusals give everything back; every test ends audited."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from node.db.schema import out_transactions, relocations_in
from node.exchange.outbound import Pumped
from node.exchange.requests import Context, new_id
from protocol.credit import CreditClass
from protocol.messages import decode_request
from protocol.messages.other import (
    MessageRejectMessage,
    RelocationBody,
    RelocationMessage,
    RelocationReceiptMessage,
)
from protocol.reasons import ReasonCode
from tests.factories import ADMIN, by_class, grant, transfer
from tests.federation import Fault, Federation, audit

SH, NJ, GZ = "sh-pudong", "nj-gulou", "gz-nansha"
EXPIRY_MS = 15 * 60 * 1000  # the node's default transfer lifetime, which relocations share


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ, GZ], members=3, grant_minutes=600)
    yield federation
    federation.close()


def relocate(fed: Federation, local_id: str, new_local_id: str, *, relocation_id: str = "rel-1",
             node_id: str = SH, to_node: str = NJ) -> Any:
    return fed.call(node_id, "POST", f"/api/v1/members/{local_id}/relocation",
                    {"id": relocation_id, "to_node": to_node, "new_local_id": new_local_id})


def relocation(fed: Federation, relocation_id: str = "rel-1") -> dict[str, Any]:
    response = fed.call(SH, "GET", f"/api/v1/relocations/{relocation_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def member(fed: Federation, node_id: str, local_id: str) -> dict[str, Any]:
    return dict(fed.call(node_id, "GET", f"/api/v1/members/{local_id}").json())


def test_the_whole_account_moves_with_its_history(fed: Federation) -> None:
    sh = fed.nodes[SH]
    start = fed.clock.now_ms()
    grant(sh, "m0", 120, CreditClass.EARNED)
    grant(sh, "m0", 30, CreditClass.SPONSORED)
    fed.clock.advance(1_000)
    transfer(sh, "m1", "m0", 45)  # granted minutes in
    transfer(sh, "m0", "m2", 100)  # granted minutes out
    last = fed.clock.now_ms()
    before = by_class(sh, "m0")
    assert before == {"earned": 120, "granted": 545, "sponsored": 30}
    with sh.db.read() as conn:
        _, head_hash = sh.ledger.head(conn)
    fed.clock.advance(1_000)

    made = relocate(fed, "m0", "m0.moved")
    assert made.status_code == 201, made.text
    assert made.json()["state"] == "pending"
    assert member(fed, SH, "m0")["status"] == "relocating"
    assert fed.balance(f"m0@{SH}") == 0  # reserved

    fed.settle()

    view = relocation(fed)
    assert (view["state"], view["new_address"]) == ("committed", f"m0.moved@{NJ}")
    assert view["balances"] == [{"credit_class": c, "amount_minutes": v}
                                for c, v in sorted(before.items())]
    assert view["history"] == {
        "entries_count": 5, "earned_minutes_total": 600 + 120 + 30 + 45,
        "spent_minutes_total": 100, "first_entry_at_ms": start, "last_entry_at_ms": last,
        "journal_head_hash": head_hash,
    }
    assert by_class(fed.nodes[NJ], "m0.moved") == before
    assert fed.balance(f"m0@{SH}") == 0
    old = member(fed, SH, "m0")
    assert (old["status"], old["relocated_to"]) == ("relocated", f"m0.moved@{NJ}")
    new = member(fed, NJ, "m0.moved")
    assert (new["status"], new["display_name"], new["relocated_to"]) == (
        "active", f"m0@{SH}", None)
    with fed.nodes[NJ].db.read() as conn:
        stored = conn.execute(select(relocations_in)).one()
    assert stored.member == f"m0@{SH}" and stored.from_node == SH
    totals = audit(fed)
    assert totals["clearing"] == 0


def test_the_old_address_answers_with_the_new_one(fed: Federation) -> None:
    relocate(fed, "m0", "m0.sh")
    fed.settle()
    # A third node's transfer to the old address is refused with the new address.
    assert fed.send(f"m0@{GZ}", f"m0@{SH}", 30, transfer_id="late").status_code == 201
    fed.settle()
    view = fed.transfer(GZ, "late")
    assert (view["state"], view["reason_code"], view["relocated_to"]) == (
        "rejected", "creditor_relocated", f"m0.sh@{NJ}")
    assert fed.balance(f"m0@{GZ}") == 600
    # At the old node, a local transfer to the member names the new address too.
    local = fed.send(f"m1@{SH}", f"m0@{SH}", 10)
    assert local.status_code == 422
    assert local.json()["code"] == "member_relocated"
    assert f"m0.sh@{NJ}" in local.json()["detail"]
    # The moved member spends at the new node.
    assert fed.send(f"m0.sh@{NJ}", f"m1@{NJ}", 50).status_code == 201
    assert fed.balance(f"m0.sh@{NJ}") == 600 - 50
    audit(fed)


def test_a_taken_local_id_releases_the_reservation(fed: Federation) -> None:
    relocate(fed, "m0", "m1")  # m1@nj-gulou exists
    fed.settle()
    view = relocation(fed)
    assert (view["state"], view["reason_code"], view["new_address"]) == (
        "rejected", "member_exists", None)
    assert fed.balance(f"m0@{SH}") == 600
    assert member(fed, SH, "m0")["status"] == "active"
    assert fed.balance(f"m1@{NJ}") == 600
    audit(fed)
    # The member can try again with another id.
    assert relocate(fed, "m0", "m0.new", relocation_id="rel-2").status_code == 201
    fed.settle()
    assert relocation(fed, "rel-2")["state"] == "committed"
    assert fed.balance(f"m0.new@{NJ}") == 600
    audit(fed)


def test_the_api_is_idempotent_by_id(fed: Federation) -> None:
    first = relocate(fed, "m0", "m0.sh")
    assert first.status_code == 201, first.text
    again = relocate(fed, "m0", "m0.sh")
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = relocate(fed, "m0", "someone-else")
    assert (other.status_code, other.json()["code"]) == (409, "relocation_id_conflict")
    # While it is reserved the member can neither spend nor start a second relocation.
    assert fed.send(f"m0@{SH}", f"m1@{SH}", 10).json()["code"] == "member_inactive"
    assert relocate(fed, "m0", "x", relocation_id="rel-2").json()["code"] == "member_inactive"
    fed.settle()
    assert relocation(fed)["state"] == "committed"
    assert fed.balance(f"m0.sh@{NJ}") == 600
    assert relocate(fed, "m0", "m0.sh").status_code == 200  # still the stored answer
    audit(fed)


def test_open_transfers_must_settle_first(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m2@{GZ}", 60, transfer_id="open")
    refused = relocate(fed, "m0", "m0.sh")
    assert (refused.status_code, refused.json()["code"]) == (409, "open_transfers")
    fed.settle()
    assert relocate(fed, "m0", "m0.sh").status_code == 201
    fed.settle()
    assert fed.balance(f"m0.sh@{NJ}") == 540
    audit(fed)


def test_refusals_before_anything_is_reserved(fed: Federation) -> None:
    assert relocate(fed, "m0", "m0.sh", to_node=SH).json()["code"] == "validation_failed"
    assert relocate(fed, "m0", "m0.sh", to_node="xx-nowhere").json()["code"] == "unknown_node"
    assert relocate(fed, "nobody", "m0").status_code == 404
    assert fed.balance(f"m0@{SH}") == 600
    audit(fed)


def test_an_empty_account_moves_without_ledger_entries(fed: Federation) -> None:
    transfer(fed.nodes[SH], "m0", "m1", 600)
    assert relocate(fed, "m0", "m0.empty").status_code == 201
    fed.settle()
    view = relocation(fed)
    assert (view["state"], view["balances"]) == ("committed", [])
    assert member(fed, NJ, "m0.empty")["status"] == "active"
    audit(fed)


def test_lost_response_still_commits_once_on_both_sides(fed: Federation) -> None:
    relocate(fed, "m0", "m0.sh")
    fed.network.plan(SH, NJ, Fault.DROP_RESPONSE)
    assert fed.pump(SH, NJ).outcome is Pumped.RETRY
    # The new node committed; the old one still holds the reservation.
    assert fed.balance(f"m0.sh@{NJ}") == 600
    assert relocation(fed)["state"] == "pending"
    fed.settle()
    assert relocation(fed)["state"] == "committed"
    assert fed.balance(f"m0.sh@{NJ}") == 600
    with fed.nodes[NJ].db.read() as conn:
        assert conn.execute(select(func.count()).select_from(relocations_in)).scalar_one() == 1
    audit(fed)


def test_a_relocation_arriving_after_its_expiry_is_released(fed: Federation) -> None:
    relocate(fed, "m0", "m0.late")
    fed.network.delay_ms = EXPIRY_MS + 1
    fed.network.plan(SH, NJ, Fault.DELAY_PAST_EXPIRY)
    fed.settle()
    view = relocation(fed)
    assert (view["state"], view["reason_code"]) == ("rejected", "expired")
    assert fed.balance(f"m0@{SH}") == 600
    assert member(fed, SH, "m0")["status"] == "active"
    assert fed.call(NJ, "GET", "/api/v1/members/m0.late").status_code == 404
    audit(fed)


def test_the_debit_cap_limits_what_may_move(tmp_path: Path) -> None:
    fed = Federation(tmp_path, [SH, NJ], members=1, grant_minutes=600, caps={SH: 500})
    try:
        refused = relocate(fed, "m0", "m0.sh")
        assert (refused.status_code, refused.json()["code"]) == (422, "partner_cap_exceeded")
        assert fed.nodes[SH].members.get(ADMIN, "m0").status == "active"
        audit(fed)
    finally:
        fed.close()


def test_a_relocation_id_is_never_reused_for_other_content(fed: Federation) -> None:
    relocate(fed, "m0", "m0.sh")
    fed.settle()
    with fed.nodes[SH].db.read() as conn:
        document = conn.execute(select(out_transactions.c.document)).scalar_one()
    original = decode_request(json.loads(document)["messages"][0])
    assert isinstance(original, RelocationMessage)
    nj = fed.nodes[NJ]
    handler = nj.exchange.requests.handlers["relocation.prepare"]
    ctx = Context(sender=SH, transaction_id="tx-by-hand", now_ms=fed.clock.now_ms(),
                  directory=nj.federation.require_current())

    def answer(body: RelocationBody) -> Any:
        message = RelocationMessage(message_id=new_id(), body=body)
        return nj.writer.run(lambda conn: handler(conn, ctx, message)).message

    same = answer(original.body)  # the same content under another message id
    assert isinstance(same, RelocationReceiptMessage)
    assert same.body.new_address == f"m0.sh@{NJ}"
    other = answer(original.body.model_copy(update={"new_local_id": "m0.twice"}))
    assert isinstance(other, MessageRejectMessage)
    assert other.body.reason is ReasonCode.MALFORMED
    assert nj.writer.run(lambda conn: conn.execute(
        select(func.count()).select_from(relocations_in)).scalar_one()) == 1
    assert fed.call(NJ, "GET", "/api/v1/members/m0.twice").status_code == 404
    audit(fed)
