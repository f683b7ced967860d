"""POST /federation/v1/transactions refuses what the standard refuses, with its reason code, and
changes nothing when it does (a digest of every table before and after)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from node.exchange.requests import new_id
from protocol.canonical import canonical_bytes
from protocol.fields import GENESIS_HASH
from protocol.messages.transfer import PrepareBody, PrepareMessage, Purpose
from protocol.signing import SigningKey
from protocol.transaction import build_transaction
from tests.federation import Federation
from tests.node.api.support import db_digest
from tests.support import START_MS, node_key

SH, NJ = "sh-pudong", "nj-gulou"


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ], members=1, grant_minutes=600)
    yield federation
    federation.close()


def _prepare(amount: int = 30) -> PrepareMessage:
    return PrepareMessage(message_id=new_id(), body=PrepareBody(
        transfer_id=new_id(), debtor=f"m0@{SH}", creditor=f"m0@{NJ}", amount_minutes=amount,
        credit_class="granted", purpose=Purpose.GIFT, payment_request_id=None,
        created_at_ms=START_MS, expires_at_ms=START_MS + 600_000, memo="",
    ))


def _transaction(*, sequence: int = 1, prev_hash: str = GENESIS_HASH, tid: str = "",
                 key: SigningKey | None = None, amount: int = 30) -> bytes:
    transaction = build_transaction(
        transaction_id=tid or new_id(), sender=SH, receiver=NJ, sequence=sequence,
        prev_hash=prev_hash, created_at_ms=START_MS, messages=[_prepare(amount)],
        key=key or node_key(SH),
    )
    return canonical_bytes(transaction.to_json())


def _post(fed: Federation, body: bytes) -> tuple[int, dict[str, Any]]:
    reply = fed.run(fed.network.deliver(NJ, body))
    return reply.status, json.loads(reply.body)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: b"not json", "malformed"),
        (lambda: b'{"standard": "hourbridge/1", "standard": "hourbridge/1"}', "malformed"),
        (lambda: _transaction(key=SigningKey.from_seed(b"x" * 32)), "unknown_key"),
        (lambda: _transaction().replace(b'"amount_minutes":30', b'"amount_minutes":3000'),
         "bad_signature"),
        (lambda: _transaction().replace(b'"hourbridge/1"', b'"hourbridge/2"'),
         "unsupported_version"),
    ],
)
def test_unauthenticated_transactions_get_a_problem_and_change_nothing(
    fed: Federation, make: Any, reason: str
) -> None:
    before = db_digest(fed.nodes[NJ])
    status, problem = _post(fed, make())
    assert status == 422
    assert (problem["code"], problem["reason"]) == ("transaction_refused", reason)
    assert db_digest(fed.nodes[NJ]) == before


def test_chain_breaks_get_a_signed_refusal_and_change_nothing(fed: Federation) -> None:
    first = _transaction(tid="tx-first-0001")
    status, response = _post(fed, first)
    assert (status, response["outcome"]) == (200, "accepted")
    before = db_digest(fed.nodes[NJ])
    cases = {
        "sequence_gap": _transaction(sequence=3),
        "sequence_replayed": _transaction(sequence=1),
        "prev_hash_mismatch": _transaction(sequence=2, prev_hash="1" * 64),
        "transaction_id_conflict": _transaction(tid="tx-first-0001", amount=31),
    }
    for reason, body in cases.items():
        status, response = _post(fed, body)
        assert (status, response["outcome"], response["reason"]) == (200, "refused", reason)
        assert NJ in response["signatures"]
    assert db_digest(fed.nodes[NJ]) == before


def test_a_repeat_gets_the_stored_response_byte_for_byte(fed: Federation) -> None:
    body = _transaction()
    first = fed.run(fed.network.deliver(NJ, body))
    fed.clock.advance(1_000)
    before = db_digest(fed.nodes[NJ])
    again = fed.run(fed.network.deliver(NJ, body))
    assert again.body == first.body
    assert db_digest(fed.nodes[NJ]) == before
    assert fed.balance(f"m0@{NJ}") == 630


def test_the_links_view_shows_chain_heads_and_queues(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m0@{NJ}", 30)
    fed.settle()
    links = fed.call(SH, "GET", "/api/v1/federation/links").json()["items"]
    assert [(x["peer"], x["out_sequence"], x["queued_messages"], x["frozen_reason"])
            for x in links] == [(NJ, 1, 0, None)]
