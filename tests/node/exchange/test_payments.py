"""Payment requests end to end between in-process nodes (standard §10): the payee's node asks,
the payer's node acknowledges and waits for the payer, who approves (a service_payment transfer
naming the request) or declines. Every test ends audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from node.exchange.requests import Context, new_id
from protocol.messages.other import (
    MessageRejectMessage,
    PaymentDeclineBody,
    PaymentDeclineMessage,
)
from protocol.policy import DEFAULT_POLICY
from protocol.reasons import ReasonCode
from tests.federation import Federation, audit

SH, NJ = "sh-pudong", "nj-gulou"  # the payer lives at sh-pudong, the payee at nj-gulou


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ], members=2, grant_minutes=600)
    yield federation
    federation.close()


def ask(fed: Federation, *, request_id: str = "pay-1", payer: str = f"m1@{SH}",
        amount: int = 90) -> Any:
    return fed.call(NJ, "POST", "/api/v1/payment-requests", {
        "id": request_id, "payee": "m0", "payer": payer, "amount_minutes": amount,
        "category": "daily_living", "description": "lunch delivery, three days",
    })


def sent(fed: Federation, request_id: str = "pay-1") -> dict[str, Any]:
    response = fed.call(NJ, "GET", f"/api/v1/payment-requests/{request_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def waiting(fed: Federation, local_id: str = "m1") -> list[dict[str, Any]]:
    response = fed.call(SH, "GET", f"/api/v1/members/{local_id}/payment-requests")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def decide(fed: Federation, item: dict[str, Any], action: str) -> Any:
    return fed.call(SH, "POST", f"/api/v1/payment-requests/incoming/{item['payee_node']}/"
                    f"{item['request_id']}/{action}")


def test_request_acknowledged_approved_and_paid(fed: Federation) -> None:
    made = ask(fed)
    assert made.status_code == 201, made.text
    assert made.json()["state"] == "sent"
    fed.settle()
    assert sent(fed)["state"] == "acknowledged"
    (item,) = waiting(fed)
    assert (item["state"], item["payee"], item["payer"], item["amount_minutes"]) == (
        "awaiting", f"m0@{NJ}", f"m1@{SH}", 90)
    assert item["request_id"] == made.json()["request_id"]

    approved = decide(fed, item, "approve")
    assert approved.status_code == 201, approved.text
    assert (approved.json()["state"], approved.json()["transfer_state"]) == (
        "approved", "pending")
    again = decide(fed, item, "approve")  # one transfer, however often it is approved
    assert again.status_code == 200
    assert again.json()["transfer_id"] == approved.json()["transfer_id"]
    assert fed.balance(f"m1@{SH}") == 510

    fed.settle()
    view = sent(fed)
    assert view["state"] == "paid"
    assert view["paid_by_transfer"] is not None
    assert fed.transfer(SH, approved.json()["transfer_id"])["state"] == "committed"
    assert waiting(fed)[0]["transfer_state"] == "committed"
    assert fed.balance(f"m1@{SH}") == 510
    assert fed.balance(f"m0@{NJ}") == 690
    audit(fed)


def test_declined_request_is_reported_to_the_payee(fed: Federation) -> None:
    ask(fed)
    fed.settle()
    (item,) = waiting(fed)
    declined = decide(fed, item, "decline")
    assert declined.status_code == 200, declined.text
    assert declined.json()["state"] == "declined"
    assert decide(fed, item, "decline").headers["Idempotent-Replayed"] == "true"
    refused = decide(fed, item, "approve")
    assert (refused.status_code, refused.json()["code"]) == (409, "payment_request_closed")
    fed.settle()
    assert sent(fed)["state"] == "declined"
    assert fed.balance(f"m1@{SH}") == 600
    audit(fed)


def test_unknown_payer_is_refused(fed: Federation) -> None:
    ask(fed, payer=f"nobody@{SH}")
    fed.settle()
    view = sent(fed)
    assert (view["state"], view["reason_code"]) == ("refused", "member_unknown")
    audit(fed)


def test_expired_request_cannot_be_approved(fed: Federation) -> None:
    ask(fed)
    fed.settle()
    (item,) = waiting(fed)
    assert item["expires_at_ms"] - item["created_at_ms"] == DEFAULT_POLICY.expiry_max_ms
    fed.clock.advance(DEFAULT_POLICY.expiry_max_ms)
    assert waiting(fed)[0]["state"] == "expired"
    refused = decide(fed, item, "approve")
    assert (refused.status_code, refused.json()["code"]) == (422, "payment_request_expired")
    assert fed.balance(f"m1@{SH}") == 600
    audit(fed)


def test_approval_without_funds_leaves_the_request_waiting(fed: Federation) -> None:
    ask(fed, amount=900)
    fed.settle()
    (item,) = waiting(fed)
    refused = decide(fed, item, "approve")
    assert (refused.status_code, refused.json()["code"]) == (422, "insufficient_funds")
    assert waiting(fed)[0]["state"] == "awaiting"
    audit(fed)


def test_the_request_api_is_idempotent_and_checks_its_input(fed: Federation) -> None:
    first = ask(fed)
    again = ask(fed)
    assert (again.status_code, again.json()) == (200, first.json())
    other = ask(fed, amount=91)
    assert (other.status_code, other.json()["code"]) == (409, "payment_request_id_conflict")
    local = ask(fed, request_id="pay-2", payer=f"m1@{NJ}")
    assert (local.status_code, local.json()["code"]) == (422, "validation_failed")
    fed.settle()
    assert len(waiting(fed)) == 1
    audit(fed)


def test_a_payer_who_moved_away_is_unknown_at_the_old_node(fed: Federation) -> None:
    moved = fed.call(SH, "POST", "/api/v1/members/m1/relocation",
                     {"id": "rel-m1", "to_node": NJ, "new_local_id": "m1.sh"})
    assert moved.status_code == 201, moved.text
    fed.settle()
    ask(fed)
    fed.settle()
    view = sent(fed)
    assert (view["state"], view["reason_code"]) == ("refused", "member_unknown")
    assert f"m1.sh@{NJ}" in view["detail"]
    audit(fed)


def test_a_decline_of_a_request_never_sent_is_refused(fed: Federation) -> None:
    nj = fed.nodes[NJ]
    handler = nj.exchange.requests.handlers["payment.decline"]
    ctx = Context(sender=SH, transaction_id="tx-by-hand", now_ms=fed.clock.now_ms(),
                  directory=nj.federation.require_current())
    message = PaymentDeclineMessage(message_id=new_id(), body=PaymentDeclineBody(
        request_id="never-sent-0001", declined_at_ms=fed.clock.now_ms()))
    answer = nj.writer.run(lambda conn: handler(conn, ctx, message)).message
    assert isinstance(answer, MessageRejectMessage)
    assert answer.body.reason is ReasonCode.MALFORMED
    audit(fed)


def test_a_payment_that_failed_can_be_approved_again_or_declined(fed: Federation) -> None:
    ask(fed)
    fed.settle()
    (item,) = waiting(fed)
    first = decide(fed, item, "approve").json()
    fed.network.down.add(NJ)  # the payment never reaches the payee's node
    fed.pump(SH, NJ)
    fed.clock.advance(16 * 60 * 1000)
    fed.tick()
    fed.network.down.clear()
    fed.heal()  # in doubt, then settled by the status query: never arrived
    (item,) = waiting(fed)
    assert item["transfer_state"] in ("rejected", "expired")
    assert fed.balance(f"m1@{SH}") == 600
    second = decide(fed, item, "approve")
    assert second.status_code == 201, second.text
    assert second.json()["transfer_id"] != first["transfer_id"]
    fed.settle()
    assert sent(fed)["state"] == "paid"
    assert fed.balance(f"m1@{SH}") == 510
    assert decide(fed, item, "decline").status_code == 409  # paid now: nothing to decline
    audit(fed)
