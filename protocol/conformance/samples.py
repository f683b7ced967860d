"""One fixed sample of every message type, requests and the answers to them."""

from __future__ import annotations

from typing import Any

from protocol.conformance.fixtures import HASH_A, HASH_B, RECEIVER, SENDER, T0_MS, vector_key
from protocol.conformance.routed_samples import leg_answer
from protocol.credit import CreditClass
from protocol.merkle import TransferLeaf, transfers_root
from protocol.messages import AnswerMessage, RequestMessage, message_hash
from protocol.messages.documents import (
    AccountKind,
    CheckpointBody,
    CheckpointMessage,
    StatementBody,
    StatementMessage,
)
from protocol.messages.other import (
    AckBody,
    AckMessage,
    ClassBalance,
    HistorySummary,
    KinLink,
    KinRelation,
    MessageRejectBody,
    MessageRejectMessage,
    PaymentDeclineBody,
    PaymentDeclineMessage,
    PaymentRequestBody,
    PaymentRequestMessage,
    RelocationBody,
    RelocationMessage,
    RelocationProfile,
    RelocationReceiptBody,
    RelocationReceiptMessage,
    ServiceCategory,
)
from protocol.messages.routed import LegMessage
from protocol.messages.transfer import (
    PrepareBody,
    PrepareMessage,
    Purpose,
    ReceiptBody,
    ReceiptMessage,
    RejectBody,
    RejectMessage,
    StatusAnswerMessage,
    StatusBody,
    StatusMessage,
)
from protocol.policy import HOUR_MS
from protocol.reasons import ReasonCode
from protocol.signing import sign_object
from protocol.transfer_rules import answer_status
from protocol.version import STANDARD


def sample_prepare(
    *, transfer_id: str = "tr-0000000001", created_at_ms: int = T0_MS, lifetime_ms: int = HOUR_MS
) -> PrepareMessage:
    return PrepareMessage(
        message_id=f"m-{transfer_id}",
        body=PrepareBody(
            transfer_id=transfer_id,
            debtor=f"li.wei@{SENDER}",
            creditor=f"li.mama@{RECEIVER}",
            amount_minutes=120,
            credit_class=CreditClass.EARNED,
            purpose=Purpose.GIFT,
            payment_request_id=None,
            created_at_ms=created_at_ms,
            expires_at_ms=created_at_ms + lifetime_ms,
            memo="给妈妈的两小时 (two hours for Mum)",
        ),
    )


def sample_profile() -> RelocationProfile:
    """What wang.nainai agreed, ten minutes before the relocation, to share with nj-gulou."""
    return RelocationProfile(
        display_name="王奶奶 (Grandma Wang)",
        birth_year=1948,
        kin=[
            KinLink(address=f"wang.fang@{RECEIVER}", relation=KinRelation.CHILD),
            KinLink(address=f"wang.xiaoming@{SENDER}", relation=KinRelation.GRANDCHILD),
        ],
        station="gulou-east",
        consent_at_ms=T0_MS - 600_000,
    )


def _statement() -> dict[str, Any]:
    leaf = TransferLeaf(SENDER, "tr-0000000001", 120, message_hash(sample_prepare()))
    unsigned = {
        "standard": STANDARD,
        "kind": "statement",
        "issuer": SENDER,
        "counterparty": RECEIVER,
        "window_index": 1,
        "outgoing_sequence_cut": 1,
        "incoming_sequence_cut": 0,
        "outgoing_head_hash": HASH_A,
        "incoming_head_hash": "0" * 64,
        "opening_position_minutes": 0,
        "closing_position_minutes": -120,
        "outgoing": {"count": 1, "sum_minutes": 120},
        "incoming": {"count": 0, "sum_minutes": 0},
        "pending": {"count": 0, "sum_minutes": 0},
        "merkle_root": transfers_root([leaf]),
        "issued_at_ms": T0_MS,
    }
    return sign_object(unsigned, signer=SENDER, key=vector_key(SENDER))


def _checkpoint() -> dict[str, Any]:
    balances = {
        AccountKind.CLEARING: 120,
        AccountKind.EXPIRY: 0,
        AccountKind.ISSUANCE: -5_000,
        AccountKind.MEMBER: 4_880,
        AccountKind.PENDING: 0,
        AccountKind.REDEMPTION: 0,
    }
    unsigned = {
        "standard": STANDARD,
        "kind": "checkpoint",
        "node": SENDER,
        "height": 42,
        "head_hash": HASH_B,
        "totals": [
            {"account_kind": kind.value, "balance_minutes": minutes}
            for kind, minutes in sorted(balances.items())
        ],
        "issued_at_ms": T0_MS,
    }
    return sign_object(unsigned, signer=SENDER, key=vector_key(SENDER))


def sample_requests() -> list[RequestMessage]:
    """One request of every type, as sh-pudong sends them to nj-gulou."""
    prepare = sample_prepare()
    return [
        prepare,
        StatusMessage(
            message_id="m-status-0001",
            body=StatusBody(
                transfer_id=prepare.body.transfer_id,
                prepare_hash=message_hash(prepare),
                expires_at_ms=prepare.body.expires_at_ms,
            ),
        ),
        RelocationMessage(
            message_id="m-relocate-0001",
            body=RelocationBody(
                relocation_id="rl-0000000001",
                member=f"wang.nainai@{SENDER}",
                new_local_id="wang.nainai",
                balances=[
                    ClassBalance(credit_class=CreditClass.DONATED, amount_minutes=30),
                    ClassBalance(credit_class=CreditClass.EARNED, amount_minutes=1_800),
                ],
                history=HistorySummary(
                    entries_count=57,
                    earned_minutes_total=2_400,
                    spent_minutes_total=570,
                    first_entry_at_ms=T0_MS - 700 * 24 * HOUR_MS,
                    last_entry_at_ms=T0_MS - 3 * HOUR_MS,
                    journal_head_hash=HASH_B,
                ),
                profile=sample_profile(),
                created_at_ms=T0_MS,
                expires_at_ms=T0_MS + HOUR_MS,
            ),
        ),
        PaymentRequestMessage(
            message_id="m-payreq-0001",
            body=PaymentRequestBody(
                request_id="pr-0000000001",
                payee=f"zhao.volunteer@{SENDER}",
                payer=f"li.wei@{RECEIVER}",
                amount_minutes=90,
                category=ServiceCategory.DAILY_LIVING,
                description="陪同就医 (accompanied a hospital visit)",
                created_at_ms=T0_MS,
                expires_at_ms=T0_MS + 72 * HOUR_MS,
            ),
        ),
        PaymentDeclineMessage(
            message_id="m-decline-0001",
            body=PaymentDeclineBody(request_id="pr-0000000002", declined_at_ms=T0_MS),
        ),
        StatementMessage(
            message_id="m-statement-0001",
            body=StatementBody.model_validate({"statement": _statement()}),
        ),
        CheckpointMessage(
            message_id="m-checkpoint-0001",
            body=CheckpointBody.model_validate({"checkpoint": _checkpoint()}),
        ),
    ]


def sample_answer(request: RequestMessage, *, kind: str) -> AnswerMessage:
    """The answer of type `kind` that nj-gulou (a leg: the leg's receiver) gives to `request`."""
    reply_id = f"a-{request.message_id}"[:64]
    if isinstance(request, PrepareMessage):
        return _transfer_answer(request, kind=kind, reply_id=reply_id)
    if isinstance(request, LegMessage):
        return leg_answer(request, kind=kind)
    if kind == "transfer.status_answer":
        assert isinstance(request, StatusMessage)
        body = answer_status(
            request.body, in_reply_to=request.message_id, stored=None, now_ms=T0_MS + 2 * HOUR_MS
        )
        return StatusAnswerMessage(message_id=reply_id, body=body)
    if kind == "relocation.receipt":
        assert isinstance(request, RelocationMessage)
        return RelocationReceiptMessage(
            message_id=reply_id,
            body=RelocationReceiptBody(
                in_reply_to=request.message_id,
                relocation_id=request.body.relocation_id,
                prepare_hash=message_hash(request),
                new_address=f"{request.body.new_local_id}@{RECEIVER}",
                committed_at_ms=T0_MS + 1_000,
            ),
        )
    if kind == "message.ack":
        return AckMessage(message_id=reply_id, body=AckBody(in_reply_to=request.message_id))
    assert kind == "message.reject"
    return MessageRejectMessage(
        message_id=reply_id,
        body=MessageRejectBody(
            in_reply_to=request.message_id,
            reason=ReasonCode.MEMBER_UNKNOWN,
            detail="no member with that local id",
        ),
    )


def _transfer_answer(prepare: PrepareMessage, *, kind: str, reply_id: str) -> AnswerMessage:
    if kind == "transfer.receipt":
        return ReceiptMessage(
            message_id=reply_id,
            body=ReceiptBody(
                in_reply_to=prepare.message_id,
                transfer_id=prepare.body.transfer_id,
                prepare_hash=message_hash(prepare),
                creditor=prepare.body.creditor,
                amount_minutes=prepare.body.amount_minutes,
                committed_at_ms=T0_MS + 1_000,
            ),
        )
    assert kind == "transfer.reject"
    return RejectMessage(
        message_id=reply_id,
        body=RejectBody(
            in_reply_to=prepare.message_id,
            transfer_id=prepare.body.transfer_id,
            prepare_hash=message_hash(prepare),
            reason=ReasonCode.CREDITOR_RELOCATED,
            detail="the creditor moved to another node",
            relocated_to="li.mama@hz-xihu",
        ),
    )
