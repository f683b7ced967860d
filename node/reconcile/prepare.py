"""A window's statement, prepared off the event loop and off the write lock.

Computing a statement reads every transfer of the window (its leaves, the Merkle root) and,
for its first statement, the clearing entries since the link's last books check. For a window
of 100,000 transfers that is seconds of work. Run as one command of the WriteBatcher it would
hold the node's single write lock all along (no local transfer commits meanwhile) and, on
SQLite, where batches run on the event loop, freeze the whole node. So a statement is made in
three steps:

 1. **plan**, a short write: which window, which cuts, is it the window's first statement,
    and the link's generation (context.LeafIndexCache) and our outgoing chain's applied head
    read inside that write;
 2. **read**, in a worker thread on a snapshot (`Database.snapshot`) opened after the plan's
    write committed: the window's leaves and facts, and the entries counted twice;
 3. **save**, a short write: only if the link's generation is unchanged (and our outgoing
    head, where it lay below our outgoing cut, has not moved), sign the statement,
    store it and record what the books check found; otherwise plan again.

Why a snapshot read outside the write lock gives the same statement as a read inside it:

* Everything a window holds lies at or below its two cuts, and a chain's head moves only in the
  write that stores the answered transaction and applies it (node/exchange/store.py
  `advance`): rows at or below a cut were committed before the cut was chosen, and new
  traffic lands above the cuts. Only four writes change what lies at or below a cut: a repair
  from evidence (the closer's after its descent, or the `repair` op the closer asks of the
  responder), a late receipt handed over with a proposal, `hourbridge recover`'s replay, and a
  statement of the link saved at other cuts (the opening of the next window). On the closer
  these run under the per-link close lock, on the responder inside its handling of the
  closer's requests. Each raises the link's generation inside its own write. One more, on the
  responder alone: its outgoing cut is the closer's incoming head, which may lie above its
  own applied head by a window of transactions in flight, and the answers to those, applied
  while the window is read, land at or below the cut. The plan records that head and the
  save re-plans if it moved.
* The plan reads the generation G inside a write. The WriteBatcher returns only once that
  write's batch has committed, so every write that raised the generation to G (or below) has
  committed before the snapshot opens: the snapshot holds their effects.
* A write that changes the window after the plan raises the generation above G before the
  save runs (writes are serial), and the save then writes nothing: plan and read again, at
  most PREPARE_ATTEMPTS_MAX times, then in one write as before (slow, but always right).
* A write rolled back after raising the generation only costs one more attempt.

What is read "now" rather than at the cuts (the pending totals, the journal height of the
books check) is read in the snapshot too: pending totals are each side's own and not compared,
and the books check records the very height its snapshot read, so the next window checks every
entry after it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from node.db.engine import Database
from node.reconcile import records
from node.reconcile.window import Computed, compute

log = logging.getLogger("hourbridge.reconcile")

PREPARE_ATTEMPTS_MAX = 3  # plan, read, save; then one write as before
# Statements are prepared by two threads at most, whatever the number of links closing: each
# competes for the GIL with the event loop, so more would slow the API without closing sooner.
PREPARE_THREADS = 2
PREPARATIONS_MAX = 4  # statements the responder keeps prepared or in preparation
PREPARE_EXECUTOR = ThreadPoolExecutor(max_workers=PREPARE_THREADS,
                               thread_name_prefix="hourbridge-prepare")


@dataclass(frozen=True)
class Plan:
    """A statement to prepare: window `index` with `peer` at our cuts, and the link's
    generation when it was planned."""

    peer: str
    index: int
    outgoing_cut: int
    incoming_cut: int
    first: bool  # the window's first statement here: check our books too
    generation: int
    # The applied head of our outgoing chain. The responder's outgoing cut (the closer's
    # incoming head) may lie above it, by up to a window of transactions in flight (§6.5):
    # answers to those, applied while the window is read, raise no generation but add leaves
    # at or below the cut, so the save re-plans when it moved (Statements.save_prepared).
    out_sequence: int

    @property
    def key(self) -> tuple[str, int, int, int, bool]:
        return (self.peer, self.index, self.outgoing_cut, self.incoming_cut, self.first)


@dataclass(frozen=True)
class Prepared:
    plan: Plan
    computed: Computed
    counted_twice: list[str] = field(default_factory=list)  # refs, for a first statement
    checked_height: int = 0  # the journal height the books check covered


def read_window(db: Database, me: str, plan: Plan) -> Prepared:
    """Step 2, in a worker thread: the window read in one snapshot."""
    with db.snapshot() as conn:
        computed = compute(conn, me=me, peer=plan.peer, index=plan.index,
                           outgoing_cut=plan.outgoing_cut, incoming_cut=plan.incoming_cut)
        if not plan.first:
            return Prepared(plan, computed)
        found, height = records.counted_twice_since_check(conn, plan.peer, plan.index)
    return Prepared(plan, computed, found, height)


async def prepare(db: Database, me: str, plan: Plan) -> Prepared:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(PREPARE_EXECUTOR, read_window, db, me, plan)


class Preparations:
    """The responder's statements in preparation or prepared, by (peer, window, cuts), at most
    PREPARATIONS_MAX. A `propose` waits for its statement up to a budget and otherwise answers
    "come back" (standard §20.2) while the preparation goes on; the closer's next `propose` of
    the same cuts finds it here, and a proposal at other cuts (a window cut again) starts its
    own. A preparation made before the link's generation (or our outgoing head) moved is never
    used: the next proposal starts it afresh. Room is made by dropping the least recently used
    finished preparation, never one still running: with every slot running, a new proposal is
    told to come back and nothing is started (the running ones finish, and get used)."""

    def __init__(self, start: Callable[[Plan], Awaitable[Prepared]],
                 limit: int = PREPARATIONS_MAX) -> None:
        self.start = start
        self.limit = limit
        self._held: OrderedDict[tuple[str, int, int, int, bool],
                                tuple[Plan, asyncio.Future[Prepared]]] = OrderedDict()

    async def ready(self, plan: Plan, budget_s: float) -> Prepared | None:
        """The prepared statement, or None if it is not ready within `budget_s`."""
        held = self._held.get(plan.key)
        # A preparation from another event loop (a test client's, gone) cannot be awaited here.
        if (held is not None and held[0] == plan  # not if the generation or out head moved
                and held[1].get_loop() is asyncio.get_running_loop()):
            self._held.move_to_end(plan.key)
        else:
            self.drop(plan)
            if not self._room():
                return None  # every slot preparing: come back, start nothing
            started = asyncio.ensure_future(self.start(plan))
            started.add_done_callback(_retrieve)
            self._held[plan.key] = held = (plan, started)
        task = held[1]
        done, _ = await asyncio.wait({task}, timeout=budget_s)
        if not done or task.cancelled():  # cancelled: a newer plan of these cuts replaced it
            return None
        if task.exception() is not None:
            self.drop(plan)
        return task.result()

    def _room(self) -> bool:
        """Room for one more preparation: the least recently used finished one dropped if
        need be. False when every slot is still running."""
        while len(self._held) >= self.limit:
            finished = next((key for key, (_, task) in self._held.items() if task.done()), None)
            if finished is None:
                return False
            del self._held[finished]
        return True

    async def finish(self) -> None:
        """Wait for every preparation still running (a node stopping, a test ending)."""
        running = [task for _, task in self._held.values() if not task.done()]
        if running:
            await asyncio.wait(running)

    def drop(self, plan: Plan) -> None:
        """Forget the preparation of these cuts, stopping it if it still runs (the read in its
        worker thread goes on to its end; nobody waits for it)."""
        held = self._held.pop(plan.key, None)
        if held is not None:
            held[1].cancel()

    def __len__(self) -> int:
        return len(self._held)


def _retrieve(task: asyncio.Future[Prepared]) -> None:
    """A preparation nobody waits for any more may fail (a cut it reads went away): log it
    rather than leave asyncio to complain that its exception was never retrieved."""
    if not task.cancelled() and task.exception() is not None:
        log.info("a statement's preparation failed: %s", task.exception())
