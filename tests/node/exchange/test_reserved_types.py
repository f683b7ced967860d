"""`statement` and `checkpoint` are reserved in hourbridge/1 (standard §8.2): a node accepts the
transaction that carries one, answers the message with a final `message.reject`
`unsupported_message_type`, stores that answer and repeats it for the same message id — so a
conforming sender stops, instead of retrying a temporary refusal forever."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from protocol.canonical import canonical_bytes
from protocol.conformance.fixtures import vector_key
from protocol.conformance.samples import sample_requests
from protocol.transaction import build_transaction
from tests.node.exchange.test_bad_input import VectorNode, post, vector_node  # noqa: F401

POSITIVE = Path(__file__).resolve().parents[3] / "schemas" / "vectors" / "positive"


@pytest.mark.parametrize("message_type", ["statement", "checkpoint"])
def test_a_reserved_message_gets_a_stored_final_refusal(
    vector_node: VectorNode, message_type: str  # noqa: F811
) -> None:
    vector = json.loads((POSITIVE / f"{message_type}.json").read_text(encoding="utf-8"))
    wire = bytes.fromhex(vector["wire_hex"])
    vector_node.clock.advance(vector["now_ms"] - vector_node.clock.now_ms())

    first = post(vector_node.app, wire)
    again = post(vector_node.app, wire)  # the same transaction: its stored response, verbatim

    assert first.status_code == 200, first.text
    body = first.json()
    assert body["outcome"] == "accepted"
    (answer,) = body["messages"]
    assert answer["type"] == "message.reject"
    assert answer["body"]["reason"] == "unsupported_message_type"
    assert again.content == first.content
    # The same message in a later transaction: the stored final answer, not a new decision.
    message = next(m for m in sample_requests() if m.type == message_type)
    later = build_transaction(
        transaction_id="tx-later-0001", sender="sh-pudong", receiver="nj-gulou", sequence=2,
        prev_hash=vector["transaction_hash"], created_at_ms=vector["now_ms"], messages=[message],
        key=vector_key("sh-pudong"))
    repeated = post(vector_node.app, canonical_bytes(later.to_json())).json()
    assert repeated["messages"] == body["messages"]
