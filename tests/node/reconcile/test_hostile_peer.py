"""A peer that lies on the reconciliation endpoint cannot change this node's books: forged
evidence, a refused response passed off as a late receipt, a co-signed window reopened."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from node.db.schema import in_transactions, links, remote_transfers
from node.exchange.requests import new_id
from node.exchange.transport import Reply
from node.reconcile import records
from node.reconcile.window import compute
from protocol.canonical import canonical_bytes
from protocol.fields import GENESIS_HASH
from protocol.messages import message_hash
from protocol.messages.transfer import PrepareMessage, ReceiptBody, ReceiptMessage
from protocol.reasons import ReasonCode
from protocol.reconciliation import build_request
from protocol.signing import sign_object
from protocol.transaction import build_response, decode_transaction
from protocol.wire import parse_object
from tests.factories import ADMIN
from tests.federation import Fault, Federation, audit
from tests.support import node_key

SH, NJ = "sh-pudong", "nj-gulou"


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ], members=3, grant_minutes=600)
    yield federation
    federation.close()


def ask(fed: Federation, op: str, args: dict[str, Any]) -> Reply:
    """NJ asks SH, signing the request properly (the lie is in what it carries)."""
    raw = build_request(request_id=new_id(), sender=NJ, receiver=SH, op=op, args=args,
                        issued_at_ms=fed.clock.now_ms(), key=node_key(NJ))
    return fed.run(fed.network.deliver(SH, raw, "/federation/v1/reconciliation"))


def sh_transaction(fed: Federation, sequence: int) -> str:
    with fed.nodes[NJ].db.read() as conn:
        return str(conn.execute(select(in_transactions.c.document).where(
            in_transactions.c.sender == SH, in_transactions.c.sequence == sequence)
        ).scalar_one())


def forged_debit(fed: Federation, minutes: int) -> dict[str, Any]:
    """A transaction 'from' SH taking m0's hours, signed with NJ's key, with NJ's receipt."""
    document = json.loads(sh_transaction(fed, 1))
    message = document["messages"][0]
    message["message_id"] = new_id()
    message["body"].update(transfer_id="forged-1", amount_minutes=minutes)
    document.update(transaction_id=new_id(), sequence=999, created_at_ms=fed.clock.now_ms(),
                    signatures={}, messages=[message])
    signed = sign_object(document, signer=NJ, key=node_key(NJ))
    transaction = decode_transaction(signed)
    prepare = transaction.messages[0]
    assert isinstance(prepare, PrepareMessage)
    receipt = ReceiptMessage(message_id=new_id(), body=ReceiptBody(
        in_reply_to=prepare.message_id, transfer_id="forged-1",
        prepare_hash=message_hash(prepare), creditor=prepare.body.creditor,
        amount_minutes=minutes, committed_at_ms=fed.clock.now_ms()))
    response = build_response(request=transaction, created_at_ms=fed.clock.now_ms(),
                              answers=[receipt], reason=None, key=node_key(NJ))
    return {"key": [SH, "forged-1"], "transaction": canonical_bytes(signed).decode(),
            "response": canonical_bytes(response.to_json()).decode()}


def settled_window(fed: Federation) -> None:
    assert fed.send(f"m0@{SH}", f"m1@{NJ}", 30).status_code == 201
    fed.settle()
    assert fed.close_window(SH, NJ)["state"] == "matched"


def test_evidence_signed_by_anyone_but_its_sender_is_refused(fed: Federation) -> None:
    settled_window(fed)
    before = fed.balance(f"m0@{SH}")

    reply = ask(fed, "repair", {"window_index": 1, "evidence": [forged_debit(fed, 500)]})

    assert reply.status == 200
    (outcome,) = json.loads(reply.body)["result"]["outcomes"]
    assert outcome["outcome"] == "disputed"
    assert "not signed by its sender" in outcome["detail"]
    assert fed.balance(f"m0@{SH}") == before
    assert fed.nodes[SH].exchange.links(ADMIN)[0]["out_sequence"] == 1
    audit(fed, quiescent=False)


def test_forged_history_stops_recover_without_writing(fed: Federation) -> None:
    settled_window(fed)
    item = forged_debit(fed, 500)

    def lie(receiver: str, path: str, reply: Reply) -> Reply:
        body = json.loads(reply.body)
        if "transactions" not in body.get("result", {}):
            return reply
        # A history item has no "key" (standard §20): only the pair, at its sequence.
        body["result"]["transactions"] = [{"sequence": 999, "transaction": item["transaction"],
                                           "response": item["response"]}]
        body["signatures"] = {}
        signed = sign_object(body, signer=NJ, key=node_key(NJ))
        return Reply(200, canonical_bytes(signed), reply.content_type)

    fed.network.tamper = lie
    before = fed.balance(f"m0@{SH}")
    report = fed.run(fed.nodes[SH].reconciler.recover([NJ]))

    assert "does not verify" in report[0]["error"]
    assert fed.balance(f"m0@{SH}") == before


def test_a_refused_response_is_no_late_receipt(fed: Federation) -> None:
    fed.network.plan(SH, NJ, Fault.DROP_RESPONSE)
    assert fed.send(f"m0@{SH}", f"m1@{NJ}", 40, transfer_id="late").status_code == 201
    fed.pump(SH, NJ)
    document = sh_transaction(fed, 1)
    with fed.nodes[NJ].db.read() as conn:
        statement = fed.nodes[NJ].reconciler.sides.statements.sign(
            compute(conn, me=NJ, peer=SH, index=1, outgoing_cut=0, incoming_cut=1))
    transaction = decode_transaction(parse_object(document.encode(), bytes_max=10**6))
    refusal = build_response(request=transaction, created_at_ms=fed.clock.now_ms(),
                             answers=[], reason=ReasonCode.MALFORMED, key=node_key(NJ))

    reply = ask(fed, "propose", {"statement": statement, "final": False, "late_response": {
        "transaction": document, "response": canonical_bytes(refusal.to_json()).decode()}})

    assert reply.status == 200, reply.body
    assert fed.transfer(SH, "late")["state"] == "pending"  # neither released nor settled


def test_a_co_signed_window_is_never_reopened(fed: Federation) -> None:
    settled_window(fed)
    record = fed.nodes[SH].reconciler.windows(ADMIN)[0]["record"]
    fed.send(f"m0@{SH}", f"m1@{NJ}", 45)
    fed.settle()
    with fed.nodes[NJ].db.read() as conn:  # window 1 again, cut later
        statement = fed.nodes[NJ].reconciler.sides.statements.sign(
            compute(conn, me=NJ, peer=SH, index=1, outgoing_cut=0, incoming_cut=2))

    reply = ask(fed, "propose", {"statement": statement, "final": False, "late_response": None})

    assert reply.status == 422
    assert json.loads(reply.body)["reason"] == "sequence_replayed"
    assert fed.nodes[SH].reconciler.windows(ADMIN)[0]["record"] == record
    assert fed.close_window(SH, NJ)["window_index"] == 2


def test_an_operator_closes_any_dispute_not_only_the_newest(fed: Federation) -> None:
    settled_window(fed)
    with fed.nodes[SH].db.write() as conn:
        older = records.dispute(conn, peer=NJ, index=1, kind="duplicate", detail="first",
                                now_ms=fed.clock.now_ms())
        records.dispute(conn, peer=NJ, index=1, kind="totals_differ", detail="second",
                        now_ms=fed.clock.now_ms() + 1)

    closed = fed.call(SH, "POST", f"/api/v1/reconciliation/discrepancies/{older}/close",
                      {"resolution": "checked"})

    assert closed.status_code == 200, closed.text
    assert (closed.json()["id"], closed.json()["status"]) == (older, "closed")


# A fork: NJ signs a second transaction at SH's next incoming sequence that does not follow the
# chain head SH holds (issue 20). Properly signed by its sender and answered with SH's own key,
# it verifies as evidence; only the chain check can refuse it.

def forked_credit(fed: Federation) -> dict[str, Any]:
    """NJ's transaction 2 to SH crediting m0@SH, chained to genesis instead of transaction 1."""
    with fed.nodes[SH].db.read() as conn:
        document = json.loads(conn.execute(select(in_transactions.c.document).where(
            in_transactions.c.sender == NJ, in_transactions.c.sequence == 1)).scalar_one())
    message = document["messages"][0]
    message["message_id"] = new_id()
    message["body"].update(transfer_id="forked-01", amount_minutes=300)
    document.update(transaction_id=new_id(), sequence=2, prev_hash=GENESIS_HASH,
                    created_at_ms=fed.clock.now_ms(), signatures={}, messages=[message])
    signed = sign_object(document, signer=NJ, key=node_key(NJ))
    transaction = decode_transaction(signed)
    prepare = transaction.messages[0]
    assert isinstance(prepare, PrepareMessage)
    receipt = ReceiptMessage(message_id=new_id(), body=ReceiptBody(
        in_reply_to=prepare.message_id, transfer_id="forked-01",
        prepare_hash=message_hash(prepare), creditor=prepare.body.creditor,
        amount_minutes=300, committed_at_ms=fed.clock.now_ms()))
    response = build_response(request=transaction, created_at_ms=fed.clock.now_ms(),
                              answers=[receipt], reason=None, key=node_key(SH))
    return {"key": [NJ, "forked-01"], "transaction": canonical_bytes(signed).decode(),
            "response": canonical_bytes(response.to_json()).decode()}


def sh_books(fed: Federation) -> tuple[Any, ...]:
    """SH's incoming chain head from NJ, what it stored from NJ, and the credited member."""
    with fed.nodes[SH].db.read() as conn:
        head = conn.execute(select(links.c.in_sequence, links.c.in_hash).where(
            links.c.peer_node_id == NJ)).one()
        stored = conn.execute(select(in_transactions.c.transaction_id).where(
            in_transactions.c.sender == NJ).order_by(in_transactions.c.sequence)).all()
        held = conn.execute(select(remote_transfers.c.transfer_id)).all()
    return tuple(head), stored, held, fed.balance(f"m0@{SH}")


@pytest.fixture
def linked(fed: Federation) -> Federation:
    """Both chains of the link at sequence 1, window 1 matched."""
    assert fed.send(f"m0@{SH}", f"m1@{NJ}", 30).status_code == 201
    assert fed.send(f"m1@{NJ}", f"m2@{SH}", 20).status_code == 201
    fed.settle()
    assert fed.close_window(SH, NJ)["state"] == "matched"
    return fed


def test_a_forked_transaction_handed_over_in_repair_moves_no_head(linked: Federation) -> None:
    fed = linked
    before = sh_books(fed)
    assert before[0][0] == 1

    reply = ask(fed, "repair", {"window_index": 1, "evidence": [forked_credit(fed)]})

    assert reply.status == 200, reply.body
    (outcome,) = json.loads(reply.body)["result"]["outcomes"]
    assert outcome["outcome"] == "disputed"
    assert "does not continue the chain" in outcome["detail"]
    assert sh_books(fed) == before  # head, stored transactions, records, ledger


def test_a_forked_transaction_in_recover_history_stops_it_without_writing(
        linked: Federation) -> None:
    fed = linked
    item = forked_credit(fed)

    def lie(receiver: str, path: str, reply: Reply) -> Reply:
        body = json.loads(reply.body)
        if "transactions" not in body.get("result", {}):
            return reply
        # A history item has no "key" (standard §20): only the pair, at its sequence.
        body["result"]["transactions"] = [{"sequence": 2, "transaction": item["transaction"],
                                           "response": item["response"]}]
        body["signatures"] = {}
        return Reply(200, canonical_bytes(sign_object(body, signer=NJ, key=node_key(NJ))),
                     reply.content_type)

    fed.network.tamper = lie
    before = sh_books(fed)
    report = fed.run(fed.nodes[SH].reconciler.recover([NJ]))

    assert all("does not continue the chain" in chain["error"] for chain in report), report
    assert sh_books(fed) == before
