"""The peer's side of reconciliation: the operations of the signed endpoint
`POST /federation/v1/reconciliation` (docs/reconciliation.md).

    propose    the closer's statement: compute ours for the same cuts (off the loop; not
               ready within PREPARE_BUDGET_S: "come back"); co-sign if they match
    summary    count and range digest of our leaves in a key range      (Merkle descent)
    split_key  the median key of our leaves in a range                  (Merkle descent)
    leaves     our leaves in a small range                              (Merkle descent)
    evidence   the signed transaction and response behind each of some transfers
    repair     evidence the closer hands us for transfers we lack: checked, then applied
    history    answered transactions on one chain after a sequence (`hourbridge recover`)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy.engine import Connection

from node.errors import ErrorCode, FederationRefusal, NodeError
from node.exchange import store
from node.reconcile import cuts, records, sightings
from node.reconcile.evidence import EvidenceError, history, verify_pair
from node.reconcile.peer import PeerFailed
from node.reconcile.prepare import PREPARE_ATTEMPTS_MAX, Plan, Preparations, Prepared, prepare
from node.reconcile.sides import Sides
from node.reconcile.window import CutUnknown, bounds
from node.states import DiscrepancyOutcome, WindowState
from protocol.errors import DecodeError, ProtocolError
from protocol.merkle_diff import LEAF_THRESHOLD_DEFAULT, LeafIndex
from protocol.messages.documents import Statement
from protocol.reasons import ReasonCode
from protocol.reconciliation import (
    Request,
    admit_request,
    build_reply,
    key_from_json,
    leaf_to_json,
)
from protocol.reconciliation_ops import EVIDENCE_ITEMS_MAX, HISTORY_PAGE_MAX, LEAVES_PER_REPLY_MAX
from protocol.signing import sign_object
from protocol.statements import compare, is_fresh

log = logging.getLogger("hourbridge.reconcile")
# "Come back" (standard §20.2): how long a `propose` waits for our statement of its cuts before
# answering `receiver_unavailable` with `retry_after_ms`, well below the closer's 10 s timeout
# for an answer (§21.3); and the wait it asks for.
PREPARE_BUDGET_S = 2.0
COME_BACK_AFTER_MS = 2_000
# The standard's per-call limits (§20): the replies built here must pass the peer's reader.
EVIDENCE_PER_REPLY_MAX = EVIDENCE_ITEMS_MAX
assert LEAVES_PER_REPLY_MAX == 4 * LEAF_THRESHOLD_DEFAULT


def _refuse(code: ReasonCode, detail: str, *,
            retry_after_ms: int | None = None) -> FederationRefusal:
    return FederationRefusal(ErrorCode.RECONCILIATION_REFUSED, code.value, detail,
                             retry_after_ms=retry_after_ms)


def _answer(statement: dict[str, Any], record: dict[str, Any] | None) -> dict[str, Any]:
    """The result of `propose` (standard §20.2): our statement, and the co-signed record when
    the two matched."""
    return {"statement": statement, "record": record, "matched": record is not None}


def _cuts(peer: str, theirs: Statement) -> sightings.Cuts:
    """(peer, window, our outgoing cut, our incoming cut) of the closer's statement."""
    return (peer, theirs.window_index, theirs.incoming_sequence_cut,
            theirs.outgoing_sequence_cut)


def _int(args: dict[str, Any], name: str, low: int = 0) -> int:
    value = args.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _refuse(ReasonCode.MALFORMED, f"{name} must be an integer >= {low}")
    return value


class Responder:
    def __init__(self, sides: Sides, *, closing: Callable[[str], bool]) -> None:
        """`closing(peer)`: this node is closing a window with `peer` right now."""
        self.sides = sides
        self.node_id = sides.node_id
        self.closing = closing
        self.prepare_budget_s = PREPARE_BUDGET_S
        self.retry_after_ms = COME_BACK_AFTER_MS
        self.preparations = Preparations(partial(prepare, sides.db, sides.node_id))

    async def serve(self, raw: bytes) -> bytes:
        sides = self.sides
        try:
            request = admit_request(raw, directory=sides.federation.require_current(),
                                    receiver=self.node_id, now_ms=sides.clock.now_ms())
        except ProtocolError as exc:
            raise _refuse(exc.code, exc.detail) from exc
        try:
            result = await self._dispatch(request)
        except DecodeError as exc:
            raise _refuse(exc.code, exc.detail) from exc
        return build_reply(request, result=result, issued_at_ms=sides.clock.now_ms(),
                           key=sides.signer.key())

    async def _dispatch(self, request: Request) -> dict[str, Any]:
        args, peer, writer = request.args, request.sender, self.sides.writer
        if request.op == "propose":
            if self.closing(peer):
                # Both sides closing one link at once would cut it twice: one waits.
                raise _refuse(ReasonCode.RECEIVER_UNAVAILABLE,
                              f"closing a window with {peer} right now; propose again later")
            return await self._propose(peer, args)
        if request.op in ("summary", "split_key", "leaves"):
            leaves = await self._index(peer, _int(args, "window_index", 1))
            lo, hi = key_from_json(args.get("lo")), key_from_json(args.get("hi"))
            if request.op == "summary":
                found = leaves.summary(lo, hi)
                return {"count": found.count, "digest": found.digest.hex()}
            if request.op == "split_key":
                try:
                    return {"key": list(leaves.split_key(lo, hi))}
                except ValueError as exc:
                    raise _refuse(ReasonCode.MALFORMED, str(exc)) from exc
            chosen = leaves.leaves(lo, hi)
            if len(chosen) > LEAVES_PER_REPLY_MAX:
                raise _refuse(ReasonCode.TOO_LARGE, f"{len(chosen)} leaves in the range, "
                              f"limit {LEAVES_PER_REPLY_MAX}: ask for a smaller one")
            return {"leaves": [leaf_to_json(leaf) for leaf in chosen]}
        if request.op == "evidence":
            keys = self._keys(args.get("keys"))
            return {"evidence": await writer.submit(
                partial(self.sides.repairs.evidence_for, peer=peer, keys=keys))}
        if request.op == "repair":
            index = _int(args, "window_index", 1)
            items = args.get("evidence")
            if not isinstance(items, list) or len(items) > EVIDENCE_PER_REPLY_MAX:
                raise _refuse(ReasonCode.MALFORMED,
                              f"evidence must be a list of at most {EVIDENCE_PER_REPLY_MAX}")
            keys = self._keys([i.get("key") for i in items if isinstance(i, dict)])
            return {"outcomes": await writer.submit(
                partial(self._repair, peer, index, keys, items))}
        # history
        direction = args.get("direction")
        if direction not in ("from_you", "to_you"):
            raise _refuse(ReasonCode.MALFORMED, "direction must be from_you or to_you")
        limit = min(_int(args, "limit", 1), HISTORY_PAGE_MAX)
        return {"transactions": await writer.submit(partial(
            lambda conn: history(conn, self.node_id, peer, direction=direction,
                                 after=_int(args, "after"), limit=limit)))}

    @staticmethod
    def _keys(value: Any) -> list[tuple[str, str]]:
        if not isinstance(value, list) or len(value) > EVIDENCE_PER_REPLY_MAX:
            raise _refuse(ReasonCode.MALFORMED,
                          f"keys must be a list of at most {EVIDENCE_PER_REPLY_MAX}")
        keys = [key_from_json(item) for item in value]
        if any(key is None for key in keys):
            raise _refuse(ReasonCode.MALFORMED, "a key is [debtor_node, transfer_id]")
        return [key for key in keys if key is not None]

    async def _index(self, peer: str, index: int) -> LeafIndex:
        found = await self.sides.repairs.leaf_index(peer, index)
        if found is None:
            raise _refuse(ReasonCode.MALFORMED, f"no window {index} with {peer} here")
        return found

    def _repair(self, peer: str, index: int, keys: list[tuple[str, str]], items: list[Any],
                conn: Connection) -> list[dict[str, Any]]:
        if records.window(conn, peer, index) is None:
            raise _refuse(ReasonCode.MALFORMED, f"no window {index} with {peer} here")
        return self.sides.repairs.repair(conn, peer, index, keys, items)

    # propose -------------------------------------------------------------------------------

    async def _propose(self, peer: str, args: dict[str, Any]) -> dict[str, Any]:
        """Admit the proposal (a short write), prepare our statement of the same cuts off the
        loop and the writer (node/reconcile/prepare.py), and conclude (a short write). A
        statement not ready within `prepare_budget_s` is a "come back" (standard §20.2):
        `receiver_unavailable` with `retry_after_ms`, nothing of the window stored but when
        we first saw its cuts (node/reconcile/sightings.py; a late receipt the admission
        applied stays applied: evidence, applied once), the preparation going on for the
        closer's next proposal of the same cuts."""
        sides = self.sides
        try:
            theirs = sides.compare.verify_statement(args.get("statement"), peer)
        except PeerFailed as exc:
            raise _refuse(ReasonCode.BAD_SIGNATURE, exc.detail) from exc
        arrived_ms = sides.clock.now_ms()
        for _ in range(PREPARE_ATTEMPTS_MAX):
            admitted = await sides.writer.submit(partial(self._admit, peer, theirs, args))
            if not isinstance(admitted, Plan):
                return admitted  # a repeat
            try:
                prepared = await self.preparations.ready(admitted, self.prepare_budget_s)
            except CutUnknown as exc:
                raise _refuse(ReasonCode.SEQUENCE_GAP, str(exc)) from exc
            if prepared is None:
                break
            answer = await sides.writer.submit(partial(self._conclude, peer, theirs, args,
                                                       prepared))
            # Used, or the link changed under it: a window's leaves are not kept in memory
            # longer than the closer may come back for them.
            self.preparations.drop(admitted)
            if answer is not None:
                return answer
        # Stored before the closer hears "come back": a restart meanwhile keeps the time.
        await sides.writer.submit(partial(sightings.saw, cuts=_cuts(peer, theirs),
                                          at_ms=arrived_ms))
        raise _refuse(ReasonCode.RECEIVER_UNAVAILABLE,
                      f"preparing our statement of window {theirs.window_index}; propose it "
                      f"again in {self.retry_after_ms} ms", retry_after_ms=self.retry_after_ms)

    def _checks(self, conn: Connection, peer: str,
                theirs: Statement) -> dict[str, Any] | tuple[cuts.Judged, bool]:
        """§20.2 (1)-(4): a repeat's stored answer, or the cut rule's verdict and whether this
        is the window's first statement here. Refuses what must be refused."""
        index = theirs.window_index
        last = records.last_window(conn, peer)
        if (last is not None and index == last.index and last.state != WindowState.OPEN
                and last.peer_statement == theirs.model_dump(mode="json")):
            return _answer(last.statement, last.record)  # a repeat
        if last is not None and index == last.index and last.state == WindowState.MATCHED:
            # Both nodes signed this window's record: it is never reopened or rewritten.
            raise _refuse(ReasonCode.SEQUENCE_REPLAYED, f"window {index} with {peer} is "
                          f"matched and co-signed; the next is {index + 1}")
        # The next window, or the last one again: a closer that stopped half way (a crash, a
        # lost reply) or an operator who resolved a dispute asks for it afresh.
        following = 1 if last is None else last.index + 1
        if index not in (following, following - 1):
            raise _refuse(ReasonCode.SEQUENCE_GAP, f"window {index} proposed; the next window "
                          f"with {peer} here is {following}")
        return self._judge(conn, peer, last, theirs), index == following

    def _admit(self, peer: str, theirs: Statement, args: dict[str, Any],
               conn: Connection) -> dict[str, Any] | Plan:
        """A command: the checks, the late receipt, and the plan of our statement."""
        checked = self._checks(conn, peer, theirs)
        if isinstance(checked, dict):
            return checked
        judged, first = checked
        index, outgoing_cut, incoming_cut = (theirs.window_index, theirs.incoming_sequence_cut,
                                             theirs.outgoing_sequence_cut)
        if judged.verdict is not cuts.Verdict.DISPUTE:
            self._take_late_response(conn, peer, index, outgoing_cut, args.get("late_response"))
        try:
            bounds(conn, peer=peer, index=index, outgoing_cut=outgoing_cut,
                   incoming_cut=incoming_cut)
        except CutUnknown as exc:
            raise _refuse(ReasonCode.SEQUENCE_GAP, str(exc)) from exc
        return Plan(peer, index, outgoing_cut, incoming_cut, first,
                    self.sides.ctx.leaf_indexes.link_generation(peer),
                    store.link(conn, peer).out_sequence)

    def _conclude(self, peer: str, theirs: Statement, args: dict[str, Any], prepared: Prepared,
                  conn: Connection) -> dict[str, Any] | None:
        """A command: the checks again (time has passed), then store our prepared statement,
        compare and co-sign. None: the link changed since the plan, prepare again."""
        sides = self.sides
        checked = self._checks(conn, peer, theirs)
        if isinstance(checked, dict):
            return checked
        judged, _ = checked
        if self.closing(peer):
            raise _refuse(ReasonCode.RECEIVER_UNAVAILABLE,
                          f"closing a window with {peer} right now; propose again later")
        mine = sides.statements.save_prepared(conn, prepared)
        if mine is None:
            return None
        index = theirs.window_index
        if judged.hidden is not None:  # a dispute: CUT_AGAIN was refused before any write
            self._cut_behind(conn, peer, index, theirs, judged.hidden)
            return _answer(mine.statement, None)
        found = compare(Statement.model_validate(mine.statement), theirs)
        sides.compare.remember_peer(conn, peer, index, theirs, found)
        has_dispute = records.open_disputes(conn, peer=peer, index=index) > 0
        if not found and not has_dispute and sides.statements.books_agree(
                conn, peer, index, dispute=args.get("final") is True):
            record = sign_object(theirs.model_dump(mode="json"), signer=self.node_id,
                                 key=sides.signer.key())
            sides.compare.matched(conn, peer, index, theirs, record)
            return _answer(mine.statement, record)
        if args.get("final") is True:
            sides.compare.dispute_mismatch(conn, peer, index, [d.value for d in found])
        return _answer(mine.statement, None)

    def _judge(self, conn: Connection, peer: str, last: records.Window | None,
               theirs: Statement) -> cuts.Judged:
        """Is the statement fresh, and do its cuts leave out what the closer knew of
        (standard §11.1)? Refuses a stale statement, and one whose cuts might hide a
        transaction, before anything is written: the closer cuts again."""
        sides = self.sides
        skew_ms = sides.federation.require_current().policy.skew_ms
        now_ms = sides.clock.now_ms()
        if not is_fresh(issued_at_ms=theirs.issued_at_ms, now_ms=now_ms, skew_ms=skew_ms):
            # A stale statement could date its cut before the transactions it leaves out.
            raise _refuse(ReasonCode.CLOCK_SKEW, f"statement signed at {theirs.issued_at_ms} ms, "
                          f"{now_ms - theirs.issued_at_ms} ms from our clock (bound {skew_ms}): "
                          "cut the window again")
        held = last if last is not None and last.index == theirs.window_index else None
        same_cuts = held is not None and (held.outgoing_cut, held.incoming_cut) == (
            theirs.incoming_sequence_cut, theirs.outgoing_sequence_cut)
        # The earliest time we saw these cuts: the window we hold at them, or a proposal of
        # them we told to come back (then the closer signs them again, later, §20.6), as
        # stored: a restart in between keeps it.
        seen = [held.closed_at_ms] if held is not None and same_cuts else []
        seen += [t for t in [sightings.first_seen(conn, _cuts(peer, theirs))] if t is not None]
        judged = cuts.judge(conn, me=self.node_id, peer=peer, theirs=theirs,
                            held_since_ms=min(seen, default=None), skew_ms=skew_ms)
        if judged.verdict is cuts.Verdict.CUT_AGAIN:
            assert judged.hidden is not None
            raise _refuse(ReasonCode.CLOCK_SKEW, f"{judged.hidden.detail(peer)}: cut the window "
                          "again once you hold our answer")
        return judged

    def _cut_behind(self, conn: Connection, peer: str, index: int, theirs: Statement,
                    hidden: cuts.Hidden) -> None:
        """The closer's cut leaves out a transaction it knew of: never co-signed (§11.1)."""
        sides = self.sides
        now_ms = sides.clock.now_ms()
        log.error("window %s with %s: %s", index, peer, hidden.detail(peer))
        records.dispute(conn, peer=peer, index=index, kind=records.DiscrepancyKind.CUT_BEHIND,
                        now_ms=now_ms,
                        detail=hidden.detail(peer),
                        evidence={"peer_statement": theirs.model_dump(mode="json"),
                                  "chain": hidden.chain, "cut": hidden.cut,
                                  "sequence": hidden.sequence,
                                  "answered_at_ms": hidden.answered_at_ms,
                                  "transfers_past_cut": hidden.transfers,
                                  "minutes_past_cut": hidden.minutes})
        records.settle_window(conn, peer=peer, index=index, state=WindowState.DISPUTED,
                              peer_statement=theirs.model_dump(mode="json"), record=None,
                              now_ms=now_ms)

    def _take_late_response(self, conn: Connection, peer: str, index: int, cut: int,
                            item: Any) -> None:
        """The closer's signed response to our last transaction before the cut, which we may
        never have received: apply it, as if it had arrived (a late receipt)."""
        if not isinstance(item, dict):
            return
        sides = self.sides
        try:
            pair = verify_pair(item, directory=sides.federation.require_current(),
                               me=self.node_id, peer=peer)
            if pair.transaction.sender != self.node_id or pair.transaction.sequence != cut:
                return  # not the answer to our transaction at the cut
            with conn.begin_nested():
                applied = sides.books.apply_pair(conn, pair, now_ms=sides.clock.now_ms())
        except (EvidenceError, NodeError) as exc:
            # Not usable evidence; the comparison will show what differs.
            log.warning("late response from %s not applied: %s", peer, exc)
            return
        if applied.changed:
            sides.ctx.leaf_indexes.touch(peer)  # harmless if this write rolls back
        if applied.answers_applied:
            records.record_discrepancy(
                conn, peer=peer, index=index, kind=records.DiscrepancyKind.STATE_MISMATCH,
                outcome=DiscrepancyOutcome.REPAIRED,
                now_ms=sides.clock.now_ms(),
                detail=f"late receipt: the response to our transaction "
                       f"{pair.transaction.sequence} arrived with the proposal")
