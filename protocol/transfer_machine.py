"""The debtor node's side of a cross-node transfer as pure functions (DESIGN §6).

    start(prepare)        -> PENDING, [SendPrepare]
    step(state, event)    -> (state, effects)

States:  PENDING    reserved (member -> pending), prepare sent or queued, before expiry
         IN_DOUBT   our clock passed the expiry with no final answer; we ask for status
         COMMITTED  terminal: the creditor node's receipt arrived (pending -> clearing)
         REJECTED   terminal: a final reject arrived (reservation released)
         EXPIRED    terminal: the creditor node said "unknown" after the expiry by its own
                    clock, which is final because it never accepts a prepare after expiry

The rules the property tests hold this to: only a final answer signed by the peer moves the
transfer to a terminal state; no event releases the reservation without one; terminal states
never change; an answer that contradicts the transfer or an earlier final answer raises a dispute
and changes nothing (never release on a guess).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from protocol.messages.routed import DeliveredBody
from protocol.messages.transfer import PrepareBody, ReceiptBody, RejectBody, StatusAnswerBody
from protocol.reasons import ReasonCode
from protocol.transfer_findings import (
    Commit,
    Contradiction,
    Finding,
    NotYet,
    Refuse,
    from_receipt,
    from_reject,
    from_status,
    from_status_refused,
)


class SenderState(StrEnum):
    PENDING = "pending"
    IN_DOUBT = "in_doubt"
    COMMITTED = "committed"
    REJECTED = "rejected"
    EXPIRED = "expired"


TERMINAL = frozenset({SenderState.COMMITTED, SenderState.REJECTED, SenderState.EXPIRED})


@dataclass(frozen=True)
class Outgoing:
    state: SenderState
    transfer_id: str
    prepare_hash: str
    creditor: str
    amount_minutes: int
    expires_at_ms: int
    receipt: ReceiptBody | DeliveredBody | None = None
    reject: RejectBody | None = None
    # A leg of a routed transfer (§22.4): it has no status query; the leg itself is sent again
    # until a final answer, which the hub gives from what it holds, even past the expiry.
    routed: bool = False


# Events --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    now_ms: int


@dataclass(frozen=True)
class ReceiptArrived:
    receipt: ReceiptBody


@dataclass(frozen=True)
class RejectArrived:
    reject: RejectBody


@dataclass(frozen=True)
class StatusAnswered:
    answer: StatusAnswerBody


@dataclass(frozen=True)
class StatusRefused:
    """The peer answered our status query with message.reject."""

    reason: ReasonCode


@dataclass(frozen=True)
class LegAnswered:
    """What an answer to a leg proves, as protocol/routed.py read it (the end receipt's
    signature needs the directory, which the machine does not hold)."""

    finding: Finding


Event = Tick | ReceiptArrived | RejectArrived | StatusAnswered | StatusRefused | LegAnswered

# Effects -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendPrepare:
    transfer_id: str


@dataclass(frozen=True)
class SendStatusQuery:
    transfer_id: str


@dataclass(frozen=True)
class CommitToClearing:
    transfer_id: str
    amount_minutes: int


@dataclass(frozen=True)
class ReleaseReservation:
    transfer_id: str
    amount_minutes: int


@dataclass(frozen=True)
class RaiseDispute:
    transfer_id: str
    detail: str


Effect = SendPrepare | SendStatusQuery | CommitToClearing | ReleaseReservation | RaiseDispute


def start(prepare: PrepareBody, *, prepare_hash: str,
          routed: bool = False) -> tuple[Outgoing, tuple[Effect, ...]]:
    outgoing = Outgoing(
        routed=routed,
        state=SenderState.PENDING,
        transfer_id=prepare.transfer_id,
        prepare_hash=prepare_hash,
        creditor=prepare.creditor,
        amount_minutes=prepare.amount_minutes,
        expires_at_ms=prepare.expires_at_ms,
    )
    return outgoing, (SendPrepare(prepare.transfer_id),)


def _interpret(outgoing: Outgoing, event: Event) -> Finding:
    if isinstance(event, ReceiptArrived):
        return from_receipt(outgoing, event.receipt)
    if isinstance(event, RejectArrived):
        return from_reject(outgoing, event.reject)
    if isinstance(event, StatusAnswered):
        return from_status(outgoing, event.answer)
    if isinstance(event, LegAnswered):
        return event.finding
    assert isinstance(event, StatusRefused)
    return from_status_refused(event.reason)


def _tick(outgoing: Outgoing, now_ms: int) -> tuple[Outgoing, tuple[Effect, ...]]:
    if outgoing.routed:
        # The leg is asked again, not a status: a hub holding it answers from what it holds.
        if outgoing.state is SenderState.PENDING and now_ms >= outgoing.expires_at_ms:
            return replace(outgoing, state=SenderState.IN_DOUBT), (
                SendPrepare(outgoing.transfer_id),)
        if outgoing.state is SenderState.IN_DOUBT:
            return outgoing, (SendPrepare(outgoing.transfer_id),)
        return outgoing, ()
    if outgoing.state is SenderState.PENDING and now_ms >= outgoing.expires_at_ms:
        return replace(outgoing, state=SenderState.IN_DOUBT), (
            SendStatusQuery(outgoing.transfer_id),
        )
    if outgoing.state is SenderState.IN_DOUBT:
        return outgoing, (SendStatusQuery(outgoing.transfer_id),)
    return outgoing, ()


def _agrees_with_final(outgoing: Outgoing, finding: Finding) -> bool:
    """Does a finding repeat the final answer a terminal transfer already holds?"""
    if isinstance(finding, Commit):
        return outgoing.state is SenderState.COMMITTED and finding.receipt == outgoing.receipt
    if isinstance(finding, Refuse):
        if finding.reject is None:
            return outgoing.state is SenderState.EXPIRED
        return outgoing.state is SenderState.REJECTED and finding.reject == outgoing.reject
    # A late "not yet" carries no claim that contradicts the final answer.
    return isinstance(finding, NotYet)


def _settled(outgoing: Outgoing, finding: Finding) -> tuple[Outgoing, tuple[Effect, ...]]:
    if _agrees_with_final(outgoing, finding):
        return outgoing, ()
    detail = finding.detail if isinstance(finding, Contradiction) else "contradicts final answer"
    return outgoing, (RaiseDispute(outgoing.transfer_id, detail),)


def _open(outgoing: Outgoing, finding: Finding) -> tuple[Outgoing, tuple[Effect, ...]]:
    transfer_id, amount_minutes = outgoing.transfer_id, outgoing.amount_minutes
    if isinstance(finding, Commit):
        committed = replace(outgoing, state=SenderState.COMMITTED, receipt=finding.receipt)
        return committed, (CommitToClearing(transfer_id, amount_minutes),)
    if isinstance(finding, Refuse):
        state = SenderState.EXPIRED if finding.reject is None else SenderState.REJECTED
        refused = replace(outgoing, state=state, reject=finding.reject)
        return refused, (ReleaseReservation(transfer_id, amount_minutes),)
    if isinstance(finding, Contradiction):
        return outgoing, (RaiseDispute(transfer_id, finding.detail),)
    # Past our expiry a prepare would only be refused as expired, so we keep asking instead.
    if outgoing.routed or (finding.resend_prepare and outgoing.state is SenderState.PENDING):
        return outgoing, (SendPrepare(transfer_id),)
    return outgoing, (SendStatusQuery(transfer_id),)


def step(outgoing: Outgoing, event: Event) -> tuple[Outgoing, tuple[Effect, ...]]:
    if isinstance(event, Tick):
        return _tick(outgoing, event.now_ms)
    finding = _interpret(outgoing, event)
    if outgoing.state in TERMINAL:
        return _settled(outgoing, finding)
    return _open(outgoing, finding)
