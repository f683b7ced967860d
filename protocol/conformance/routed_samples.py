"""One routed transfer, fixed (§22.4): li.wei at sh-pudong gives li.mama at nj-gulou two hours
through the hub hz-xihu, the route the vectors' link map gives when bj-xicheng is suspended
(positive/links.json). The legs, the end receipt and the answers each hop gives."""

from __future__ import annotations

from protocol.conformance.fixtures import RECEIVER, SENDER, T0_MS, vector_key
from protocol.credit import CreditClass
from protocol.messages import AnswerMessage, message_hash
from protocol.messages.routed import (
    DeliveredBody,
    DeliveredMessage,
    EndReceipt,
    ForwardingBody,
    ForwardingMessage,
    LegBody,
    LegMessage,
)
from protocol.messages.transfer import Purpose, RejectBody, RejectMessage
from protocol.policy import DEFAULT_POLICY, HOUR_MS
from protocol.reasons import ReasonCode
from protocol.routed import end_receipt, hop_margin_ms, next_leg

HUB = "hz-xihu"
PATH = (SENDER, HUB, RECEIVER)
# The hub forwards a second after the first leg was made; the creditor's node commits a second
# after that (each by its own clock).
FORWARDED_AT_MS = T0_MS + 1_000
COMMITTED_AT_MS = T0_MS + 2_000
# The debtor's node makes the first leg last its usual hour plus one margin per hub, so that the
# last leg still lasts about an hour (§22.4).
FIRST_LIFETIME_MS = HOUR_MS + (len(PATH) - 2) * hop_margin_ms(DEFAULT_POLICY)


def leg_body(*, created_at_ms: int = T0_MS, lifetime_ms: int = FIRST_LIFETIME_MS) -> LegBody:
    return LegBody(
        transfer_id="tr-routed-0001",
        debtor=f"li.wei@{SENDER}",
        creditor=f"li.mama@{RECEIVER}",
        amount_minutes=120,
        credit_class=CreditClass.EARNED,
        purpose=Purpose.GIFT,
        payment_request_id=None,
        created_at_ms=created_at_ms,
        expires_at_ms=created_at_ms + lifetime_ms,
        memo="经杭州转给妈妈的两小时 (two hours for Mum, through Hangzhou)",
        path=list(PATH),
        hop=0,
    )


def first_leg() -> LegMessage:
    """The leg sh-pudong sends to the hub (hop 0)."""
    return LegMessage(message_id="m-leg-0001-hop0", body=leg_body())


def second_leg() -> LegMessage:
    """The leg the hub sends on to nj-gulou (hop 1): same members, a margin earlier."""
    body = next_leg(first_leg().body, now_ms=FORWARDED_AT_MS, policy=DEFAULT_POLICY)
    assert body is not None  # an hour is left
    return LegMessage(message_id="m-leg-0001-hop1", body=body)


def sample_end() -> EndReceipt:
    """nj-gulou's signed word that it credited li.mama."""
    return end_receipt(second_leg().body, node_id=RECEIVER, key=vector_key(RECEIVER),
                       committed_at_ms=COMMITTED_AT_MS)


def routed_requests() -> list[LegMessage]:
    return [first_leg(), second_leg()]


def leg_answer(leg: LegMessage, *, kind: str, end: EndReceipt | None = None) -> AnswerMessage:
    """The answer of type `kind` that the leg's receiver gives to `leg`."""
    reply_id = f"a-{leg.message_id}"[:64]
    body = leg.body
    if kind == "transfer.forwarding":
        return ForwardingMessage(message_id=reply_id, body=ForwardingBody(
            in_reply_to=leg.message_id, transfer_id=body.transfer_id,
            prepare_hash=message_hash(leg), next_hop=body.path[body.hop + 2],
            as_of_ms=FORWARDED_AT_MS))
    if kind == "transfer.delivered":
        return DeliveredMessage(message_id=reply_id, body=DeliveredBody(
            in_reply_to=leg.message_id, transfer_id=body.transfer_id,
            prepare_hash=message_hash(leg), end=end or sample_end()))
    assert kind == "transfer.reject"
    return RejectMessage(message_id=reply_id, body=RejectBody(
        in_reply_to=leg.message_id, transfer_id=body.transfer_id,
        prepare_hash=message_hash(leg), reason=ReasonCode.PARTNER_CAP_EXCEEDED,
        detail=f"{body.receiver} owes too much to the next node on the path",
        relocated_to=None))
