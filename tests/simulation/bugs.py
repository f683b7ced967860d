"""Bugs the simulation must find, planted only by the simulation itself (a test, or
`scripts/simulate --plant NAME`): each replaces one method of the node's exchange for the
length of a run and puts the honest one back afterwards. Nothing in node/ reads a flag.

    answers_repeat_afresh        the creditor's node skips its duplicate check: a transaction
                                 it already answered is answered again from scratch instead of
                                 from storage (so a prepare it committed now meets
                                 transfer_id_conflict, and the debtor's node releases hours
                                 the creditor already holds)
    releases_when_in_doubt       the debtor's node releases a reservation on a guess when a
                                 transfer's expiry passes without an answer, instead of asking
                                 the creditor's node (which may have committed it)
    releases_on_temporary_reject the debtor's node releases a reservation on a temporary
                                 refusal (a partner cap at the creditor's node) and still
                                 sends the prepare again, which may then commit. The
                                 simulation's workload rarely meets such a refusal (see
                                 docs/testing.md), so no test counts on finding this one.
    cosigns_any_cut              a node co-signs a window whatever its cut leaves out of its
                                 chains (no `cut_behind` check): the stolen-key adversary's
                                 hiding proposals are co-signed (run with --adversary)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.db.schema import transfers
from node.exchange import answers, store
from node.exchange.answers import AnswerContext, AnswerHandlers, _outgoing
from node.exchange.inbound import Delivered, Inbox
from node.exchange.requests import Context
from node.reconcile import cuts
from protocol.canonical import canonical_bytes
from protocol.directory import Directory
from protocol.message_rules import check_request
from protocol.reasons import is_final
from protocol.transaction import Transaction, build_response
from protocol.transfer_machine import (
    TERMINAL,
    Outgoing,
    RejectArrived,
    ReleaseReservation,
    SenderState,
    SendPrepare,
)

_honest_apply = Inbox._apply
_honest_step = answers.step
_honest_tick = AnswerHandlers.tick


def _answers_repeat_afresh(self: Inbox, transaction: Transaction, raw: bytes,
                           directory: Directory, now_ms: int, may_hold: bool,
                           conn: Connection) -> Delivered:
    if store.stored_in(conn, transaction.sender, transaction.transaction_id) is None:
        return _honest_apply(self, transaction, raw, directory, now_ms, may_hold, conn)
    ctx = Context(sender=transaction.sender, transaction_id=transaction.transaction_id,
                  now_ms=now_ms, directory=directory)
    answered = [
        self.handlers._answer_one(conn, ctx, m, check_request(
            m, sender=ctx.sender, receiver=self.node_id, now_ms=now_ms, directory=directory,
        )).message
        for m in transaction.messages
    ]
    response = build_response(request=transaction, created_at_ms=now_ms, answers=answered,
                              reason=None, key=self.signer.key())
    return Delivered(canonical_bytes(response.to_json()), repeat=False)


def _releases_on_temporary_reject(outgoing: Outgoing, event: Any) -> tuple[Outgoing, tuple]:
    after, effects = _honest_step(outgoing, event)
    temporary = (isinstance(event, RejectArrived) and not is_final(event.reject.reason)
                 and outgoing.state not in TERMINAL
                 and any(isinstance(e, SendPrepare) for e in effects))
    if not temporary:
        return after, effects
    release = ReleaseReservation(outgoing.transfer_id, outgoing.amount_minutes)
    return (dataclasses.replace(after, state=SenderState.REJECTED, reject=event.reject),
            (*effects, release))


def _releases_when_in_doubt(self: AnswerHandlers, conn: Connection, *,
                            now_ms: int) -> list[str]:
    due = conn.execute(select(transfers.c.wire_id).where(
        transfers.c.state == "pending", transfers.c.expires_at_ms <= now_ms,
        transfers.c.peer_node_id.is_not(None))).scalars().all()
    peers = _honest_tick(self, conn, now_ms=now_ms)
    for wire_id in due:
        row = conn.execute(select(transfers).where(transfers.c.wire_id == wire_id)).one()
        guess = dataclasses.replace(_outgoing(row), state=SenderState.EXPIRED)
        ctx = AnswerContext(peer=row.peer_node_id, transaction_id="", now_ms=now_ms)
        self._settle(conn, ctx, row, guess, ReleaseReservation(wire_id, row.amount_minutes))
    return peers


def _cosigns_any_cut(*args: Any, **kwargs: Any) -> cuts.Judged:
    return cuts.Judged(cuts.Verdict.CO_SIGN)


BUGS: dict[str, tuple[object, str, Callable[..., Any]]] = {
    "cosigns_any_cut": (cuts, "judge", _cosigns_any_cut),
    "answers_repeat_afresh": (Inbox, "_apply", _answers_repeat_afresh),
    "releases_when_in_doubt": (AnswerHandlers, "tick", _releases_when_in_doubt),
    "releases_on_temporary_reject": (answers, "step", _releases_on_temporary_reject),
}


@contextmanager
def planted(names: Sequence[str]) -> Iterator[None]:
    unknown = sorted(set(names) - set(BUGS))
    if unknown:
        raise ValueError(f"no planted bug named {', '.join(unknown)} (known: {', '.join(BUGS)})")
    with ExitStack() as undo:
        for name in names:
            owner, attribute, replacement = BUGS[name]
            honest = getattr(owner, attribute)
            setattr(owner, attribute, replacement)
            undo.callback(setattr, owner, attribute, honest)
        yield
