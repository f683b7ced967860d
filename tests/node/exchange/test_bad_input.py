"""The bad-input corpus: inter-node transactions a node must refuse, each sent to a node's real
federation endpoint (POST /federation/v1/transactions, through its FastAPI app and database) and
refused with its stable reason code, with a digest of every table taken before and after.

Two sources, no case written twice:
* every negative transaction vector in schemas/vectors/negative/transaction/ (the ones another
  implementation checks itself against), sent to a node `nj-gulou` that holds the vectors'
  directory, at the vector's clock;
* what the vectors cannot carry, built here against a two-node federation: bodies that are not
  JSON, wrong types and huge numbers (no signer can produce them), oversized bodies, exact
  replays and conflicting duplicates of what the node already stored.

A refusal of the whole transaction changes no table. A refusal of one message inside an
accepted transaction (an expired prepare, say) changes no ledger table; the receiver keeps the
transaction and its signed answer as evidence, and advances the link (docs/decisions.md).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from node.api.app import create_app
from node.clock import FakeClock
from node.config import NodeConfig
from node.db.engine import Database
from node.db.schema import links
from node.exchange.requests import new_id
from node.exchange.transport import TRANSACTIONS_PATH
from node.runtime import Node, bootstrap_database, open_node
from protocol.canonical import canonical_bytes
from protocol.conformance.fixtures import directory_document, vector_key
from protocol.directory import key_text
from protocol.fields import GENESIS_HASH
from protocol.messages import encode_message
from protocol.messages.transfer import PrepareBody, PrepareMessage, Purpose
from protocol.signing import sign_object
from tests.factories import add_members
from tests.federation import Federation
from tests.node.api.support import db_digest
from tests.support import START_MS, node_key

SH, NJ = "sh-pudong", "nj-gulou"
REPO = Path(__file__).resolve().parents[3]
VECTORS_DIR = REPO / "schemas" / "vectors" / "negative" / "transaction"
VECTORS = {path.stem: json.loads(path.read_text(encoding="utf-8"))
           for path in sorted(VECTORS_DIR.glob("*.json"))}
# What a receiver keeps of a transaction it accepted while refusing a message in it.
EVIDENCE_TABLES = frozenset({"in_transactions", "in_messages", "links", "remote_transfers"})
Digest = dict[str, str]


def changed(before: Digest, after: Digest) -> set[str]:
    return {table for table in before if before[table] != after[table]}


def post(app: Any, body: bytes) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url=f"http://{NJ}.test") as client:
            return await client.post(TRANSACTIONS_PATH, content=body,
                                     headers={"content-type": "application/json"})

    return asyncio.run(go())


# Standard §5.4 step 12: the only refusals of a whole transaction that come as a signed response
# (§21.2); steps 1-11 come as a problem document.
CHAIN_REASONS = frozenset({"transaction_id_conflict", "sequence_replayed", "sequence_gap",
                           "prev_hash_mismatch"})


def assert_refused(reply: httpx.Response, reason: str, before: Digest, after: Digest) -> str:
    """The reason is the node's stable code for this input, in the form the HTTP binding
    (standard §21.2) gives its step; returns where it was refused."""
    body = reply.json()
    if reply.status_code == 422:  # steps 1-11: a problem, nothing stored
        assert (body["code"], body["reason"]) == ("transaction_refused", reason), body
        assert reply.headers["content-type"] == "application/problem+json"
        assert reason not in CHAIN_REASONS, body
        assert after == before
        return "transaction"
    assert reply.status_code == 200, reply.text
    if body["outcome"] == "refused":  # step 12, refused whole: signed, nothing stored
        assert body["reason"] == reason and reason in CHAIN_REASONS, body
        assert NJ in body["signatures"]
        assert after == before
        return "transaction"
    assert body["outcome"] == "accepted", body
    reasons = {(m["type"].endswith(".reject"), m["body"].get("reason")) for m in body["messages"]}
    assert reasons == {(True, reason)}, body["messages"]
    assert changed(before, after) <= EVIDENCE_TABLES, changed(before, after)
    return "message"


# the vectors ------------------------------------------------------------------------------------


class VectorNode:
    """The vector's receiver (nj-gulou; a routed leg's hub, hz-xihu) holding the vectors'
    directory, its clock set per vector."""

    def __init__(self, tmp_path: Path, node_id: str = NJ) -> None:
        authority = vector_key("authority").verify_key()
        self.config = NodeConfig(node_id=node_id, region="320106", url=f"http://{node_id}.test",
                                 data_dir=str(tmp_path), directory_anchors=[key_text(authority)])
        # The earliest clock of any vector (some read a clock before T0, at a key's window end):
        # each case moves it forward to its own.
        self.clock = FakeClock(min(vector["now_ms"] for vector in VECTORS.values()))
        db = Database(self.config.resolved_database_url())
        bootstrap_database(db, node_id=node_id, now_ms=self.clock.now_ms(),
                           key=vector_key(node_id))
        db.dispose()
        self.node: Node = open_node(self.config, clock=self.clock, key=vector_key(node_id))
        self.node.federation.accept(directory_document())
        add_members(self.node, "li.mama")  # the creditor of the vectors' prepares
        self.app = create_app(self.node)

    def at_link_state(self, sender: str, link: dict[str, Any]) -> None:
        if link["last_sequence"] == 0:
            return
        with self.node.db.write() as conn:
            conn.execute(insert(links).values(
                peer_node_id=sender, out_sequence=0, out_hash=GENESIS_HASH,
                in_sequence=link["last_sequence"], in_hash=link["last_hash"],
                reserved_minutes=0))


@pytest.fixture
def vector_node(tmp_path: Path) -> Iterator[VectorNode]:
    """nj-gulou, for the tests that send a vector of their own choosing."""
    made = VectorNode(tmp_path)
    yield made
    made.node.close()


def _receiver(name: str) -> str:
    """nj-gulou, but a routed leg's vector goes to the node it is addressed to (its hub,
    hz-xihu, or the creditor's node for the leg that skips the hub); the others addressed
    elsewhere test `wrong_receiver` at nj-gulou."""
    if not name.startswith("leg_"):
        return NJ
    return str(json.loads(bytes.fromhex(VECTORS[name]["wire_hex"]))["receiver"])


# transaction_id_conflict needs the node to hold a transaction with that id already: it is the
# "conflicting duplicates" case below, with a transaction this node really stored.
SENT_AS_IS = sorted(set(VECTORS) - {"transaction_id_conflict"})


@pytest.mark.parametrize("name", SENT_AS_IS)
def test_every_negative_vector_is_refused_by_a_node_with_its_reason(
    tmp_path: Path, name: str
) -> None:
    vector = VECTORS[name]
    vector_node = VectorNode(tmp_path, _receiver(name))
    try:
        _refused_as_the_vector_says(vector_node, vector)
    finally:
        vector_node.node.close()


def _refused_as_the_vector_says(vector_node: VectorNode, vector: dict[str, Any]) -> None:
    wire = bytes.fromhex(vector["wire_hex"])
    vector_node.clock.advance(vector["now_ms"] - vector_node.clock.now_ms())
    vector_node.at_link_state(json.loads(wire).get("sender", SH), vector["link"])
    before = db_digest(vector_node.node)
    reply = post(vector_node.app, wire)
    assert_refused(reply, vector["expected_reason"], before, db_digest(vector_node.node))


def test_the_vectors_cover_the_refusals_the_corpus_relies_on() -> None:
    reasons = {vector["expected_reason"] for vector in VECTORS.values()}
    assert reasons >= {"missing_signature", "bad_signature", "key_not_valid", "sender_suspended",
                       "sender_retired", "unknown_sender", "unknown_key", "sequence_replayed",
                       "sequence_gap", "prev_hash_mismatch", "clock_skew", "expired",
                       "wrong_receiver", "too_large", "malformed", "unsupported_version"}


# what the vectors cannot carry ------------------------------------------------------------------


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ], members=1, grant_minutes=600)
    yield federation
    federation.close()


def _prepare(*, amount: int = 30, message_id: str = "", transfer_id: str = "") -> dict[str, Any]:
    return encode_message(PrepareMessage(message_id=message_id or new_id(), body=PrepareBody(
        transfer_id=transfer_id or new_id(), debtor=f"m0@{SH}", creditor=f"m0@{NJ}",
        amount_minutes=amount, credit_class="granted", purpose=Purpose.GIFT,
        payment_request_id=None, created_at_ms=START_MS, expires_at_ms=START_MS + 600_000,
        memo="",
    )))


def _unsigned(messages: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    return {"standard": "hourbridge/1", "kind": "transaction", "transaction_id": new_id(),
            "sender": SH, "receiver": NJ, "sequence": 1, "prev_hash": GENESIS_HASH,
            "created_at_ms": START_MS, "messages": messages or [_prepare()]} | fields


def _signed(messages: list[dict[str, Any]] | None = None, **fields: Any) -> bytes:
    return canonical_bytes(sign_object(_unsigned(messages, **fields), signer=SH,
                                       key=node_key(SH)))


def _set(body: bytes, old: bytes, new: bytes) -> bytes:
    assert body.count(old) == 1, old
    return body.replace(old, new)


def _with_amount(amount: object) -> bytes:
    """A prepare whose amount no model would build, signed as a sender's bytes would be."""
    message = _prepare()
    message["body"]["amount_minutes"] = amount
    return _signed([message])


def _wrong_type_messages() -> bytes:
    unsigned = _unsigned() | {"messages": {"0": _prepare()}}  # an object where the list goes
    return canonical_bytes(sign_object(unsigned, signer=SH, key=node_key(SH)))


MEMO_MAX_BYTES = 1_100 * 1024  # past the policy's transaction_bytes_max (1 MiB)
BadBody = Callable[[], bytes]
# name -> (body, HTTP status, stable code, reason)
SHAPES: dict[str, tuple[BadBody, int, str, str | None]] = {
    "not JSON": (lambda: b"hours, please", 422, "transaction_refused", "malformed"),
    "truncated JSON": (lambda: _signed()[:-7], 422, "transaction_refused", "malformed"),
    "a JSON array": (lambda: b"[]", 422, "transaction_refused", "malformed"),
    "empty body": (lambda: b"", 422, "transaction_refused", "malformed"),
    "not UTF-8": (lambda: _set(_signed(), b'"m0@nj', b'"\xff\xfe@nj'), 422, "transaction_refused",
                  "malformed"),
    "duplicate member": (lambda: _set(_signed(), b'{"created_at_ms"',
                                      b'{"sequence":1,"created_at_ms"'),
                         422, "transaction_refused", "malformed"),
    "string amount": (lambda: _with_amount("30"), 422, "transaction_refused", "malformed"),
    "string sequence": (lambda: _signed(None, sequence="1"), 422, "transaction_refused",
                        "malformed"),
    "object for messages": (_wrong_type_messages, 422, "transaction_refused", "malformed"),
    "amount 2**53 - 1": (lambda: _with_amount(2**53 - 1), 422,
                         "transaction_refused", "malformed"),
    "sequence of 40 digits": (lambda: _set(_signed(), b'"sequence":1', b'"sequence":1' + b"0" * 39),
                              422, "transaction_refused", "malformed"),
    "amount 1e400": (lambda: _set(_signed(), b'"amount_minutes":30', b'"amount_minutes":1e400'),
                     422, "transaction_refused", "malformed"),
    "negative amount": (lambda: _with_amount(-30), 422, "transaction_refused", "malformed"),
    "past the policy's size": (lambda: _set(_signed(), b'"memo":""',
                                            b'"memo":"' + b"x" * MEMO_MAX_BYTES + b'"'),
                               422, "transaction_refused", "too_large"),
    "one message id twice": (lambda: _signed([_prepare(message_id="m-twice-0001"),
                                              _prepare(message_id="m-twice-0001", amount=5)]),
                             422, "transaction_refused", "malformed"),
    "past the HTTP ceiling": (lambda: b'{"memo":"' + b"x" * (5 * 1024 * 1024) + b'"}', 413,
                              "body_too_large", "too_large"),  # final (§21.2)
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_bodies_no_signer_would_make_are_refused_and_change_nothing(
    fed: Federation, name: str
) -> None:
    make, status, code, reason = SHAPES[name]
    before = db_digest(fed.nodes[NJ])
    reply = post(fed.network.apps[NJ], make())
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert (reply.json()["code"], reply.json().get("reason")) == (code, reason)
    assert db_digest(fed.nodes[NJ]) == before


def _accepted_first(fed: Federation, *messages: dict[str, Any]) -> tuple[bytes, httpx.Response]:
    first = _signed(list(messages), transaction_id="tx-first-0001")
    reply = post(fed.network.apps[NJ], first)
    assert reply.json()["outcome"] == "accepted", reply.text
    return first, reply


def test_an_exact_replay_gets_the_stored_response_and_changes_nothing(fed: Federation) -> None:
    first, answer = _accepted_first(fed, _prepare())
    fed.clock.advance(1_000)
    before = db_digest(fed.nodes[NJ])
    again = post(fed.network.apps[NJ], first)
    assert again.content == answer.content  # byte for byte
    assert db_digest(fed.nodes[NJ]) == before
    assert fed.balance(f"m0@{NJ}") == 630  # credited once


def test_conflicting_duplicates_are_refused_with_their_codes(fed: Federation) -> None:
    """The same id with other content, at each layer: transaction, message, transfer."""
    message = _prepare(message_id="m-dup-0001", transfer_id="t-dup-0001")
    _, answer = _accepted_first(fed, message)
    head = answer.json()["transaction_hash"]
    app = fed.network.apps[NJ]

    before = db_digest(fed.nodes[NJ])
    other_content = _signed([_prepare(amount=31)], transaction_id="tx-first-0001")
    assert_refused(post(app, other_content), "transaction_id_conflict", before,
                   db_digest(fed.nodes[NJ]))

    cases = {
        "message_id_conflict": _prepare(amount=31, message_id="m-dup-0001"),
        "transfer_id_conflict": _prepare(amount=31, transfer_id="t-dup-0001"),
    }
    for sequence, (reason, repeated) in enumerate(cases.items(), start=2):
        before = db_digest(fed.nodes[NJ])
        reply = post(app, _signed([repeated], sequence=sequence, prev_hash=head))
        assert assert_refused(reply, reason, before, db_digest(fed.nodes[NJ])) == "message"
        head = reply.json()["transaction_hash"]
    assert fed.balance(f"m0@{NJ}") == 630  # only the first prepare moved hours
