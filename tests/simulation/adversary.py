"""The stolen-key adversary (issue 12): one node's signing key signs whatever the adversary
wants, on any of that node's links, and it sees every node's books to aim.

    forge   a transaction on the adversary's chain to a victim, every prepare a gift from
            nobody: hours that were never issued (the victim's caps may refuse them)
    hide    a window proposal to a victim cut at the victim's previous window, so that it leaves
            out everything since, signed at a time of the adversary's choosing within the skew
            bound, built to match the victim's own view at those cuts

The adversary's node is all attacker: no honest member acts there, and no honest member pays
anyone there, so the honest links keep every check of tests/simulation/checks.py. What the
auditor requires of the adversary's links (`check`):

* hours are conserved except the minutes the victims credited from forged prepares (`minted`),
  which the audit counts apart, and each victim's net position toward the adversary stays
  within the partner cap;
* no forged prepare is ever inside a co-signed (matched) window, and no co-signed window leaves
  out a forged transaction the victim had answered more than the skew bound before the
  co-signed statement was signed (the one in flight included), nor co-signs a stale one;
* once healed, every forged minute a victim holds is past its last co-signed cut, where its
  node report counts it as not reconciled, or an open dispute names the link.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select

from node.db.fast import FastStatement
from node.db.schema import in_transactions, remote_transfers
from node.exchange.requests import new_id
from node.exchange.store import clearing_balance
from node.exchange.store import link as link_state
from node.exchange.transport import TransportError
from node.reconcile import leaves as q
from node.reconcile import records
from node.reconcile.window import CutUnknown, compute
from node.states import WindowState
from protocol.reconciliation import build_request
from protocol.signing import sign_object
from protocol.statements import IN_FLIGHT_MAX, WindowFacts, statement_document
from tests.forgery import mint_transaction
from tests.simulation.network import SKEW_MS
from tests.simulation.world import MEMBERS, SimFederation
from tests.support import node_key

RECONCILE_PATH = "/federation/v1/reconciliation"
FORGED_RUN = IN_FLIGHT_MAX + 2  # forged transactions in a row, sometimes: past any window
# What the auditor reads at a victim's node after every step, compiled once (node/db/fast.py).
_COMMITTED_FROM = FastStatement(
    select(remote_transfers.c.transfer_id, remote_transfers.c.amount_minutes).where(
        remote_transfers.c.debtor_node == bindparam("forger"),
        remote_transfers.c.state == "committed"))
_RECEIVED = FastStatement(
    select(in_transactions.c.sequence, in_transactions.c.received_at_ms)
    .where(in_transactions.c.sender == bindparam("sender")))


@dataclass
class Adversary:
    fed: SimFederation
    rng: random.Random
    counts: Counter[str]
    node_id: str
    cap_minutes: int
    forged: set[str] = field(default_factory=set)  # transfer ids of every forged prepare

    @property
    def victims(self) -> list[str]:
        return [n for n in self.fed.node_ids if n != self.node_id]

    # acts ----------------------------------------------------------------------------------

    def forge(self) -> str:
        """One forged transaction, or sometimes a run of more than a window may hold in flight
        (standard §6.5): only such a run past a cut is a certain sign (`cut_behind`)."""
        victim = self.rng.choice(self.victims)
        with self.fed.nodes[victim].db.read() as conn:
            held = link_state(conn, self.node_id)
        sequence, prev_hash = held.in_sequence + 1, held.in_hash
        run = self.rng.choice((1, 1, 1, FORGED_RUN))
        done: list[str] = []
        for _ in range(run):
            credits = [(f"m{self.rng.randrange(MEMBERS)}@{victim}", self.rng.randint(1, 600))
                       for _ in range(self.rng.randint(1, 3))]
            raw, next_hash = mint_transaction(
                sender=self.node_id, receiver=victim, key=node_key(self.node_id),
                sequence=sequence, prev_hash=prev_hash, now_ms=self.fed.clock.now_ms(),
                credits=credits)
            for message in json.loads(raw)["messages"]:
                self.forged.add(message["body"]["transfer_id"])
            self.counts["adversary:forged_prepares"] += len(credits)
            try:
                reply = self.fed.run(self.fed.network.reach(self.node_id, victim, raw))
            except TransportError as exc:
                done.append(str(exc))
                break
            done.append(str(reply.status))
            if reply.status != 200:
                break
            sequence, prev_hash = sequence + 1, next_hash
        return f"forged {run} for {victim} from {held.in_sequence + 1}: {' '.join(done)}"

    def hide(self) -> str:
        victim = self.rng.choice(self.victims)
        statement = self._hiding_statement(victim)
        if statement is None:
            return f"nothing to hide from {victim}"
        raw = build_request(request_id=new_id(), sender=self.node_id, receiver=victim,
                            op="propose", args={"statement": statement, "final": False,
                                                "late_response": None},
                            issued_at_ms=self.fed.clock.now_ms(), key=node_key(self.node_id))
        if victim in self.fed.network.down:
            return f"{victim} is down"
        reply = self.fed.run(self.fed.network.deliver(victim, raw, RECONCILE_PATH))
        if reply.status != 200:
            self.counts["adversary:proposal_refused"] += 1
            return f"window {statement['window_index']} for {victim}: {reply.status}"
        signed = json.loads(reply.body)["result"]["record"] is not None
        self.counts[f"adversary:proposal_{'co_signed' if signed else 'not_co_signed'}"] += 1
        return (f"window {statement['window_index']} for {victim} cut at "
                f"{statement['outgoing_sequence_cut']}: {'co-signed' if signed else 'refused'}")

    def _hiding_statement(self, victim: str) -> dict[str, object] | None:
        """The victim's view of its next window cut where its previous one was, mirrored and
        signed as the adversary: a statement the victim would match."""
        with self.fed.nodes[victim].db.read() as conn:
            last = records.last_window(conn, self.node_id)
            index = 1 if last is None else last.index + (last.state != WindowState.OPEN)
            previous = records.window(conn, self.node_id, index - 1) if index > 1 else None
            cuts = (0, 0) if previous is None else (previous.outgoing_cut, previous.incoming_cut)
            try:
                theirs = compute(conn, me=victim, peer=self.node_id, index=index,
                                 outgoing_cut=cuts[0], incoming_cut=cuts[1]).facts
            except CutUnknown:
                return None
        mirrored = WindowFacts(
            issuer=self.node_id, counterparty=victim, window_index=index,
            outgoing_sequence_cut=theirs.incoming_sequence_cut,
            incoming_sequence_cut=theirs.outgoing_sequence_cut,
            outgoing_head_hash=theirs.incoming_head_hash,
            incoming_head_hash=theirs.outgoing_head_hash,
            opening_position_minutes=-theirs.opening_position_minutes,
            outgoing=theirs.incoming, incoming=theirs.outgoing, pending=(0, 0),
            merkle_root=theirs.merkle_root)
        signed_at = self.fed.clock.now_ms() + self.rng.randint(-SKEW_MS, SKEW_MS)
        return sign_object(statement_document(mirrored, issued_at_ms=signed_at),
                           signer=self.node_id, key=node_key(self.node_id))

    # what the auditor reads --------------------------------------------------------------------

    def minted(self) -> dict[tuple[str, str, str], int]:
        """Forged prepares a victim committed: (forger, victim, transfer id) -> minutes."""
        found = {}
        for victim in self.victims:
            with self.fed.nodes[victim].db.read() as conn:
                for row in _COMMITTED_FROM.rows(conn, {"forger": self.node_id}):
                    assert row.transfer_id in self.forged, f"{victim} committed an unforged " \
                                                           f"prepare {row.transfer_id}"
                    found[(self.node_id, victim, row.transfer_id)] = int(row.amount_minutes)
        return found

    def check(self, *, healed: bool = False) -> None:
        for victim in self.victims:
            self._check_victim(victim, healed=healed)

    def _check_victim(self, victim: str, *, healed: bool) -> None:
        with self.fed.nodes[victim].db.read() as conn:
            owed = -clearing_balance(conn, self.node_id)  # what the adversary owes the victim
            received = {int(row.sequence): int(row.received_at_ms)
                        for row in _RECEIVED.rows(conn, {"sender": self.node_id})}
            windows = records.list_windows(conn, peer=self.node_id, limit=10_000)
            disputed = records.open_disputes(conn, peer=self.node_id) > 0
        assert owed <= self.cap_minutes, \
            f"{victim}: the adversary owes {owed} minutes, over the cap {self.cap_minutes}"
        matched = [w for w in windows if w.state == WindowState.MATCHED]
        for window in matched:
            assert window.statement["incoming"]["count"] == 0, \
                f"{victim}: window {window.index} co-signed with forged prepares in it"
            # Never co-signed: a cut leaving out a transaction answered more than the skew
            # bound before the co-signed statement was signed, the one in flight included;
            # and that statement was fresh when co-signed (standard §11.1).
            assert window.record is not None and window.reconciled_at_ms is not None
            signed_at = int(window.record["issued_at_ms"])
            assert abs(window.reconciled_at_ms - signed_at) <= SKEW_MS, \
                f"{victim}: window {window.index} co-signed a stale statement"
            hidden = [s for s, at in received.items()
                      if s > window.incoming_cut and at < signed_at - SKEW_MS]
            assert not hidden, (f"{victim}: window {window.index} co-signed at cut "
                                f"{window.incoming_cut}, hiding forged transactions {hidden}")
        if healed:
            self._check_visible(victim, matched, windows, disputed)

    def _check_visible(self, victim: str, matched: list[records.Window],
                       windows: list[records.Window], disputed: bool) -> None:
        """Every forged minute the victim holds is past its last co-signed cut (counted as not
        reconciled) or in a window an open dispute holds."""
        minted = {t for (_, v, t) in self.minted() if v == victim}
        last_cut = max((w.incoming_cut for w in matched), default=0)
        with self.fed.nodes[victim].db.read() as conn:
            seen = {leaf.transfer_id for leaf in q.incoming_leaves(
                conn, self.node_id, q.Span(last_cut, 2**62))}
            if disputed:
                for window in windows:
                    if window.state == WindowState.DISPUTED:
                        before = records.window(conn, self.node_id, window.index - 1)
                        start = 0 if before is None else before.incoming_cut
                        seen |= {leaf.transfer_id for leaf in q.incoming_leaves(
                            conn, self.node_id, q.Span(start, window.incoming_cut))}
        assert minted <= seen, (f"{victim}: forged prepares {sorted(minted - seen)[:3]} are "
                                f"neither past the last co-signed cut nor disputed")
