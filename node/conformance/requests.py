"""§8.2 and §10: the reserved `statement` and `checkpoint` requests, and the relocation and
payment requests a peer can drive (the kit is the old home node, or the payee's node)."""

from __future__ import annotations

from typing import Any

from node.conformance.admission import ELSEWHERE
from node.conformance.peer import Peer, new_id
from node.conformance.results import Report
from node.conformance.transfers import PAST_MS, Books, expect_answer, lifetime_ms
from protocol.fields import GENESIS_HASH
from protocol.merkle import TransferLeaf, transfers_root
from protocol.messages import message_hash
from protocol.messages.documents import AccountKind
from protocol.messages.other import RelocationMessage
from protocol.signing import sign_object
from protocol.statements import WindowFacts, statement_document
from protocol.version import STANDARD

RESERVED = "§8.2 reserved types"
RELOCATION = "§10 relocation"
PAYMENT = "§10 payment request"
RELOCATED_MINUTES = 5


def _reserved_messages(peer: Peer) -> list[dict[str, Any]]:
    now_ms = peer.now_ms()
    statement = statement_document(WindowFacts(
        issuer=peer.kit_id, counterparty=peer.target_id, window_index=1,
        outgoing_sequence_cut=0, incoming_sequence_cut=0, outgoing_head_hash=GENESIS_HASH,
        incoming_head_hash=GENESIS_HASH, opening_position_minutes=0, outgoing=(0, 0),
        incoming=(0, 0), pending=(0, 0), merkle_root=transfers_root([])), issued_at_ms=now_ms)
    checkpoint = {"standard": STANDARD, "kind": "checkpoint", "node": peer.kit_id, "height": 0,
                  "head_hash": GENESIS_HASH, "issued_at_ms": now_ms, "signatures": {},
                  "totals": [{"account_kind": kind.value, "balance_minutes": 0}
                             for kind in sorted(AccountKind)]}
    return [
        {"type": "statement", "message_id": new_id(), "body": {
            "statement": sign_object(statement, signer=peer.kit_id, key=peer.key)}},
        {"type": "checkpoint", "message_id": new_id(), "body": {
            "checkpoint": sign_object(checkpoint, signer=peer.kit_id, key=peer.key)}},
    ]


def run_reserved(peer: Peer, report: Report) -> None:
    """A statement and a checkpoint that pass §8.1: a final unsupported_message_type, stored
    and repeated for the same message id (§7)."""
    messages = _reserved_messages(peer)
    first = peer.send(peer.transaction(messages))
    for index, name in enumerate(("statement", "checkpoint")):
        expect_answer(report, RESERVED, f"a valid {name} message: unsupported_message_type",
                      first, index, ("message.reject",), reason="unsupported_message_type")
    again = peer.send(peer.transaction(messages[:1]))
    expect_answer(report, RESERVED, "the same statement message again: the stored answer",
                  again, 0, ("message.reject",), reason="unsupported_message_type")


def relocation(peer: Peer, new_local_id: str, **changes: Any) -> dict[str, Any]:
    now_ms = peer.now_ms()
    body = {
        "relocation_id": new_id(), "member": f"mover-{new_id()[:8]}@{peer.kit_id}",
        "new_local_id": new_local_id,
        "balances": [{"credit_class": "earned", "amount_minutes": RELOCATED_MINUTES}],
        "history": {"entries_count": 1, "earned_minutes_total": RELOCATED_MINUTES,
                    "spent_minutes_total": 0, "first_entry_at_ms": now_ms - PAST_MS,
                    "last_entry_at_ms": now_ms - PAST_MS, "journal_head_hash": "e" * 64},
        "profile": None, "created_at_ms": now_ms, "expires_at_ms": now_ms + lifetime_ms(peer),
    } | changes
    return {"type": "relocation.prepare", "message_id": new_id(), "body": body}


def run_relocation(peer: Peer, report: Report, books: Books, member: str) -> None:
    """A member of the kit moves to the target; a taken local id, an expired prepare and a
    member who is not the sender's are refused (§8.1, §10)."""
    new_local_id = f"kit-{new_id()[:12]}"
    now_ms = peer.now_ms()
    moving = relocation(peer, new_local_id)
    messages = [
        moving,
        relocation(peer, member),
        relocation(peer, f"kit-{new_id()[:12]}", created_at_ms=now_ms - PAST_MS - 1,
                   expires_at_ms=now_ms - PAST_MS),
        relocation(peer, f"kit-{new_id()[:12]}", member=f"mover@{ELSEWHERE}"),
    ]
    answer = peer.send(peer.transaction(messages))
    receipt = expect_answer(report, RELOCATION, "a member moves to the target: receipt", answer,
                            0, ("relocation.receipt",),
                            new_address=f"{new_local_id}@{peer.target_id}",
                            prepare_hash=message_hash(RelocationMessage.model_validate(moving)))
    if receipt is not None and receipt.get("new_address") == f"{new_local_id}@{peer.target_id}":
        books.commit(TransferLeaf(peer.kit_id, moving["body"]["relocation_id"],
                                  RELOCATED_MINUTES, receipt["prepare_hash"]))
    for index, (scenario, code) in enumerate((
            ("the new local id is taken", "member_exists"),
            ("expired by the receiver's clock", "expired"),
            ("the member is not at the sender", "malformed")), start=1):
        expect_answer(report, RELOCATION, scenario, answer, index, ("message.reject",),
                      reason=code)
    # A member of the target who moved away (creditor_relocated): prepared.py, from the
    # operator's fixtures.


def payment(peer: Peer, payer: str, **changes: Any) -> dict[str, Any]:
    now_ms = peer.now_ms()
    body = {"request_id": new_id(), "payee": f"helper@{peer.kit_id}", "payer": payer,
            "amount_minutes": 30, "category": "daily_living",
            "description": "conformance kit: an hour of shopping", "created_at_ms": now_ms,
            "expires_at_ms": now_ms + lifetime_ms(peer)} | changes
    return {"type": "payment.request", "message_id": new_id(), "body": body}


def run_payment(peer: Peer, report: Report, creditor: str) -> None:
    now_ms = peer.now_ms()
    messages = [
        payment(peer, creditor),
        payment(peer, f"no-such-member-{new_id()[:8]}@{peer.target_id}"),
        payment(peer, creditor, created_at_ms=now_ms - PAST_MS - 1,
                expires_at_ms=now_ms - PAST_MS),
        payment(peer, creditor, payee=f"helper@{ELSEWHERE}"),
    ]
    answer = peer.send(peer.transaction(messages))
    expect_answer(report, PAYMENT, "a request to a member of the target: ack", answer, 0,
                  ("message.ack",))
    for index, (scenario, code) in enumerate((
            ("no such payer", "member_unknown"),
            ("expired by the receiver's clock", "expired"),
            ("the payee is not at the sender", "malformed")), start=1):
        expect_answer(report, PAYMENT, scenario, answer, index, ("message.reject",),
                      reason=code)
    report.not_run(PAYMENT, "approval: a service_payment prepare from the target",
                   "the target's member must approve it on the target; not driven by a peer")
