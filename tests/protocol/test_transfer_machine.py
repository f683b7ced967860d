"""The debtor side of a transfer: example paths, then invariants over random event sequences."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.conformance.routed_samples import first_leg, leg_answer
from protocol.conformance.samples import sample_prepare
from protocol.messages import message_hash
from protocol.messages.routed import DeliveredMessage
from protocol.messages.transfer import (
    ReceiptBody,
    RejectBody,
    StatusAnswerBody,
    TransferState,
)
from protocol.reasons import ReasonCode, is_final
from protocol.transfer_findings import Commit, Contradiction, NotYet
from protocol.transfer_machine import (
    TERMINAL,
    CommitToClearing,
    Effect,
    Event,
    LegAnswered,
    Outgoing,
    RaiseDispute,
    ReceiptArrived,
    RejectArrived,
    ReleaseReservation,
    SenderState,
    SendPrepare,
    SendStatusQuery,
    StatusAnswered,
    StatusRefused,
    Tick,
    start,
    step,
)

PREPARE = sample_prepare()
HASH = message_hash(PREPARE)
EXPIRES = PREPARE.body.expires_at_ms
TID = PREPARE.body.transfer_id
AMOUNT = PREPARE.body.amount_minutes


def _receipt(**changes: object) -> ReceiptBody:
    receipt = ReceiptBody(
        in_reply_to=PREPARE.message_id,
        transfer_id=TID,
        prepare_hash=HASH,
        creditor=PREPARE.body.creditor,
        amount_minutes=AMOUNT,
        committed_at_ms=EXPIRES - 1,
    )
    return receipt.model_copy(update=changes)


def _reject(reason: ReasonCode = ReasonCode.CREDITOR_UNKNOWN, **changes: object) -> RejectBody:
    reject = RejectBody(
        in_reply_to=PREPARE.message_id,
        transfer_id=TID,
        prepare_hash=HASH,
        reason=reason,
        detail="",
        relocated_to=None,
    )
    return reject.model_copy(update=changes)


def _status(state: TransferState, *, as_of_ms: int = EXPIRES + 1, **changes: object) -> Event:
    answer = StatusAnswerBody(
        in_reply_to="m-status-0001",
        transfer_id=TID,
        state=state,
        as_of_ms=as_of_ms,
        receipt=_receipt() if state is TransferState.COMMITTED else None,
        reject=_reject() if state is TransferState.REJECTED else None,
    )
    return StatusAnswered(answer.model_copy(update=changes))


def _started() -> Outgoing:
    outgoing, effects = start(PREPARE.body, prepare_hash=HASH)
    assert effects == (SendPrepare(TID),)
    return outgoing


def _run(events: list[Event]) -> tuple[Outgoing, list[Effect]]:
    outgoing, effects = _started(), []
    for event in events:
        outgoing, produced = step(outgoing, event)
        effects.extend(produced)
    return outgoing, effects


def test_receipt_commits() -> None:
    outgoing, effects = _run([ReceiptArrived(_receipt())])
    assert outgoing.state is SenderState.COMMITTED and outgoing.receipt == _receipt()
    assert effects == [CommitToClearing(TID, AMOUNT)]


def test_final_reject_releases() -> None:
    outgoing, effects = _run([RejectArrived(_reject())])
    assert outgoing.state is SenderState.REJECTED
    assert effects == [ReleaseReservation(TID, AMOUNT)]


def test_temporary_reject_keeps_the_reservation_and_resends() -> None:
    outgoing, effects = _run([RejectArrived(_reject(ReasonCode.RATE_LIMITED))])
    assert outgoing.state is SenderState.PENDING
    assert effects == [SendPrepare(TID)]


def test_expiry_puts_the_transfer_in_doubt_and_asks() -> None:
    outgoing, effects = _run([Tick(EXPIRES - 1), Tick(EXPIRES), Tick(EXPIRES + 5)])
    assert outgoing.state is SenderState.IN_DOUBT
    assert effects == [SendStatusQuery(TID), SendStatusQuery(TID)]


def test_unknown_after_expiry_by_the_receivers_clock_is_final() -> None:
    outgoing, effects = _run([Tick(EXPIRES), _status(TransferState.UNKNOWN_EXPIRED)])
    assert outgoing.state is SenderState.EXPIRED
    assert effects == [SendStatusQuery(TID), ReleaseReservation(TID, AMOUNT)]


def test_unknown_expired_claimed_before_the_expiry_is_a_contradiction() -> None:
    event = _status(TransferState.UNKNOWN_EXPIRED, as_of_ms=EXPIRES - 1)
    outgoing, effects = _run([Tick(EXPIRES), event])
    assert outgoing.state is SenderState.IN_DOUBT
    assert isinstance(effects[-1], RaiseDispute)


def test_unknown_not_yet_expired_asks_again_or_resends() -> None:
    in_doubt, effects = _run([Tick(EXPIRES), _status(TransferState.UNKNOWN, as_of_ms=EXPIRES - 1)])
    assert (in_doubt.state, effects[-1]) == (SenderState.IN_DOUBT, SendStatusQuery(TID))
    pending, effects = _run([_status(TransferState.UNKNOWN, as_of_ms=EXPIRES - 1)])
    assert (pending.state, effects) == (SenderState.PENDING, [SendPrepare(TID)])


def test_status_committed_and_rejected_settle_an_in_doubt_transfer() -> None:
    committed, _ = _run([Tick(EXPIRES), _status(TransferState.COMMITTED)])
    rejected, _ = _run([Tick(EXPIRES), _status(TransferState.REJECTED)])
    assert (committed.state, rejected.state) == (SenderState.COMMITTED, SenderState.REJECTED)


def test_status_refusals() -> None:
    temporary, effects = _run([Tick(EXPIRES), StatusRefused(ReasonCode.RATE_LIMITED)])
    assert (temporary.state, effects[-1]) == (SenderState.IN_DOUBT, SendStatusQuery(TID))
    final, effects = _run([Tick(EXPIRES), StatusRefused(ReasonCode.TRANSFER_ID_CONFLICT)])
    assert final.state is SenderState.IN_DOUBT and isinstance(effects[-1], RaiseDispute)


def test_mismatched_answers_raise_disputes_and_change_nothing() -> None:
    for event in [
        ReceiptArrived(_receipt(amount_minutes=AMOUNT + 1)),
        ReceiptArrived(_receipt(prepare_hash="0" * 64)),
        RejectArrived(_reject(transfer_id="tr-someone-else")),
        _status(TransferState.UNKNOWN, transfer_id="tr-someone-else"),
    ]:
        outgoing, effects = _run([event])
        assert outgoing == _started()
        assert len(effects) == 1 and isinstance(effects[0], RaiseDispute)


def test_terminal_states_repeat_quietly_and_dispute_contradictions() -> None:
    repeats = {
        SenderState.COMMITTED: [ReceiptArrived(_receipt()), _status(TransferState.COMMITTED)],
        SenderState.REJECTED: [RejectArrived(_reject()), _status(TransferState.REJECTED)],
        SenderState.EXPIRED: [_status(TransferState.UNKNOWN_EXPIRED)],
    }
    contradictions = {
        SenderState.COMMITTED: [RejectArrived(_reject()), _status(TransferState.UNKNOWN_EXPIRED)],
        SenderState.REJECTED: [ReceiptArrived(_receipt()), _status(TransferState.UNKNOWN_EXPIRED)],
        SenderState.EXPIRED: [ReceiptArrived(_receipt()), RejectArrived(_reject())],
    }
    for state, first in [
        (SenderState.COMMITTED, ReceiptArrived(_receipt())),
        (SenderState.REJECTED, RejectArrived(_reject())),
        (SenderState.EXPIRED, _status(TransferState.UNKNOWN_EXPIRED)),
    ]:
        settled, _ = _run([first])
        assert settled.state is state
        for event in [*repeats[state], Tick(EXPIRES * 2), StatusRefused(ReasonCode.RATE_LIMITED)]:
            assert step(settled, event) == (settled, ())
        for event in [*contradictions[state], ReceiptArrived(_receipt(amount_minutes=1))]:
            after, effects = step(settled, event)
            assert after == settled
            assert len(effects) == 1 and isinstance(effects[0], RaiseDispute)


# Invariants over random event sequences ---------------------------------------------------------

_reasons = st.sampled_from([r for r in ReasonCode if r is not ReasonCode.CREDITOR_RELOCATED])
_events: st.SearchStrategy[Event] = st.one_of(
    st.integers(EXPIRES - 10, EXPIRES + 10).map(Tick),
    st.sampled_from([_receipt(), _receipt(amount_minutes=AMOUNT + 1)]).map(ReceiptArrived),
    st.builds(
        lambda r, other: RejectArrived(
            _reject(r, transfer_id="tr-other-000") if other else _reject(r)
        ),
        _reasons,
        st.booleans(),
    ),
    st.builds(
        lambda s, t: _status(s, as_of_ms=t),
        st.sampled_from(list(TransferState)),
        st.integers(EXPIRES - 10, EXPIRES + 10),
    ),
    _reasons.map(StatusRefused),
)


def _carries_final_answer(event: Event) -> bool:
    """Is the event a final answer signed by the peer that matches our transfer?"""
    if isinstance(event, ReceiptArrived):
        return event.receipt == _receipt()
    if isinstance(event, RejectArrived):
        return event.reject.transfer_id == TID and is_final(event.reject.reason)
    if isinstance(event, StatusAnswered):
        answer = event.answer
        if answer.state is TransferState.UNKNOWN_EXPIRED:
            return answer.as_of_ms >= EXPIRES
        return answer.state in (TransferState.COMMITTED, TransferState.REJECTED)
    return False


@settings(max_examples=400, deadline=None)
@given(events=st.lists(_events, max_size=12))
def test_invariants_over_any_event_sequence(events: list[Event]) -> None:
    outgoing = _started()
    settlements = 0
    for event in events:
        before = outgoing
        outgoing, effects = step(outgoing, event)
        finishing = [e for e in effects if isinstance(e, CommitToClearing | ReleaseReservation)]
        settlements += len(finishing)
        # Nothing settles without a final answer from the peer; a clock tick never settles.
        if finishing:
            assert _carries_final_answer(event) and not isinstance(event, Tick)
        # Terminal states never change, whatever arrives.
        if before.state in TERMINAL:
            assert outgoing == before
        # Committed is reached only through the matching receipt.
        if outgoing.state is SenderState.COMMITTED:
            assert outgoing.receipt == _receipt()
        # A dispute never moves the transfer.
        if any(isinstance(e, RaiseDispute) for e in effects):
            assert outgoing == before
        # Release happens exactly when entering REJECTED or EXPIRED; commit when entering COMMITTED.
        entered = outgoing.state if outgoing.state != before.state else None
        assert (entered in (SenderState.REJECTED, SenderState.EXPIRED)) == any(
            isinstance(e, ReleaseReservation) for e in effects
        )
        assert (entered is SenderState.COMMITTED) == any(
            isinstance(e, CommitToClearing) for e in effects
        )
    # At most one settlement, ever: the reservation is spent or released once.
    assert settlements <= 1
    assert (settlements == 1) == (outgoing.state in TERMINAL)


def test_in_doubt_never_returns_to_pending() -> None:
    in_doubt, _ = _run([Tick(EXPIRES)])
    # Even if our clock steps back, an in-doubt transfer stays in doubt and keeps asking.
    assert step(in_doubt, Tick(EXPIRES - 100)) == (in_doubt, (SendStatusQuery(TID),))


# A leg of a routed transfer (§22.4) -----------------------------------------------------------


def _routed() -> tuple[Outgoing, tuple[Effect, ...]]:
    leg = first_leg()
    return start(leg.body, prepare_hash=message_hash(leg), routed=True)


def _delivered() -> Commit:
    answer = leg_answer(first_leg(), kind="transfer.delivered")
    assert isinstance(answer, DeliveredMessage)
    return Commit(answer.body)


def test_a_leg_is_asked_again_never_a_status_query() -> None:
    pending, effects = _routed()
    expires = pending.expires_at_ms
    assert pending.routed and effects == (SendPrepare(pending.transfer_id),)
    assert step(pending, Tick(expires - 1)) == (pending, ())
    in_doubt, effects = step(pending, Tick(expires))
    assert in_doubt.state is SenderState.IN_DOUBT
    assert effects == (SendPrepare(pending.transfer_id),)
    assert step(in_doubt, Tick(expires + 1)) == (in_doubt, (SendPrepare(pending.transfer_id),))
    # A hub's "forwarding" is not final: asked again, pending or in doubt alike.
    for outgoing in (pending, in_doubt):
        assert step(outgoing, LegAnswered(NotYet(resend_prepare=False))) == (
            outgoing, (SendPrepare(pending.transfer_id),))


def test_a_delivered_leg_commits_once_and_a_contradiction_is_a_dispute() -> None:
    pending, _ = _routed()
    delivered = _delivered()
    assert step(pending, LegAnswered(Contradiction("forged end"))) == (
        pending, (RaiseDispute(pending.transfer_id, "forged end"),))
    committed, effects = step(pending, LegAnswered(delivered))
    assert committed.state is SenderState.COMMITTED and committed.receipt == delivered.receipt
    assert effects == (CommitToClearing(pending.transfer_id, pending.amount_minutes),)
    assert step(committed, LegAnswered(delivered)) == (committed, ())
    assert step(committed, Tick(committed.expires_at_ms + 1)) == (committed, ())
