"""A peer node's signed transaction, delivered to a node under test through its federation
endpoint: how API tests put requests from another node (payment requests) in place without
running that node. The peer signs with its deterministic test key (tests/support.py)."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from node.exchange.requests import new_id
from node.exchange.transport import TRANSACTIONS_PATH
from protocol.canonical import canonical_bytes
from protocol.fields import GENESIS_HASH
from protocol.messages import RequestMessage
from protocol.messages.other import PaymentRequestBody, PaymentRequestMessage, ServiceCategory
from protocol.transaction import build_transaction
from tests.support import node_key

DAY_MS = 86_400_000


def deliver(client: TestClient, *, sender: str, receiver: str, messages: list[RequestMessage],
            now_ms: int, sequence: int = 1, prev_hash: str = GENESIS_HASH) -> httpx.Response:
    transaction = build_transaction(
        transaction_id=new_id(), sender=sender, receiver=receiver, sequence=sequence,
        prev_hash=prev_hash, created_at_ms=now_ms, messages=messages, key=node_key(sender),
    )
    response: httpx.Response = client.post(
        TRANSACTIONS_PATH, content=canonical_bytes(transaction.to_json()),
        headers={"content-type": "application/json"})
    return response


def payment_request(*, request_id: str, payee: str, payer: str, amount_minutes: int,
                    now_ms: int) -> PaymentRequestMessage:
    return PaymentRequestMessage(message_id=new_id(), body=PaymentRequestBody(
        request_id=request_id, payee=payee, payer=payer, amount_minutes=amount_minutes,
        category=ServiceCategory.HEALTH, description="a ride to the clinic",
        created_at_ms=now_ms, expires_at_ms=now_ms + DAY_MS,
    ))
