"""One simulated run: a seed, a number of steps, the auditor after each, then heal and check.

    outcome = simulate(1234, steps=60)
    assert outcome.failure is None, outcome.report()

Everything the run does comes from random.Random sources seeded by `seed` (the workload, the
network's faults, the nodes' ids), and time is a FakeClock, so a seed replays exactly: the
trace of what happened, step by step, hashes to the same digest every time (`outcome.digest`).
A failure names the step, the broken invariant and the command that replays it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import random
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import case, func, select

from node.db.schema import transfers
from tests.simulation.actions import Actions
from tests.simulation.adversary import Adversary
from tests.simulation.bugs import planted
from tests.simulation.checks import check_healed, check_reconciled, check_step
from tests.simulation.liar import check_lied_to, lied_to, lying
from tests.simulation.world import Shape, SimFederation, seeded_world

STEPS = 60  # per seed in CI; scripts/simulate --steps changes it
HEAL_ROUNDS = 20  # with a liar: minutes of healing before what is still open is judged
VERIFY_EVERY = 10  # steps between two replays of every journal (the last step and healing too)


@dataclass
class Outcome:
    seed: int
    steps: int
    plant: tuple[str, ...] = ()
    adversary: bool = False
    liar: bool = False
    digest: str = ""
    counts: Counter[str] = field(default_factory=Counter)
    failure: str | None = None
    failed_step: int | None = None  # None: during healing, or no failure

    def replay(self) -> str:
        plants = "".join(f" --plant {name}" for name in self.plant)
        stolen = " --adversary" if self.adversary else ""
        lies = " --liar" if self.liar else ""
        return (f"scripts/simulate --seed {self.seed} --steps {self.steps}{plants}{stolen}"
                f"{lies} -v")

    def report(self) -> str:
        where = "healing" if self.failed_step is None else f"step {self.failed_step}"
        return (f"seed {self.seed} failed at {where}: {self.failure}\n"
                f"replay: {self.replay()}")


def simulate(seed: int, *, steps: int = STEPS, plant: Sequence[str] = (),
             verbose: bool = False, say: Callable[[str], None] = print,
             workdir: Path | None = None, adversary: bool = False,
             liar: bool = False) -> Outcome:
    """`adversary`: the first node's signing key is stolen (tests/simulation/adversary.py);
    three nodes, the two others honest. `liar`: a star of three cities round js-hub, which
    lies about the legs it is given (tests/simulation/liar.py)."""
    outcome = Outcome(seed=seed, steps=steps, plant=tuple(plant), adversary=adversary,
                      liar=liar)
    if not verbose:  # the nodes log every fault they meet; the trace says what happened
        logging.disable(logging.CRITICAL)
    try:
        with (tempfile.TemporaryDirectory(prefix=f"hb-sim-{seed}-") as scratch, planted(plant),
              lying(outcome.counts) if liar else nullcontext()):
            _run(outcome, workdir or Path(scratch), verbose=verbose, say=say)
    finally:
        logging.disable(logging.NOTSET)
    return outcome


def _run(outcome: Outcome, workdir: Path, *, verbose: bool, say: Callable[[str], None]) -> None:
    rng = random.Random(outcome.seed)
    shape = Shape.draw(rng)
    if outcome.adversary:
        shape = dataclasses.replace(shape, nodes=3, topology="mesh")
    if outcome.liar:
        shape = dataclasses.replace(shape, topology="star")
    trace: list[str] = [f"seed {outcome.seed}: {shape}"]

    def note(line: str) -> None:
        trace.append(line)
        if verbose:
            say(line)

    if verbose:
        say(trace[0])
    step: int | None = 0
    try:
        with seeded_world(workdir, outcome.seed, shape) as fed:
            thief = Adversary(fed, rng, outcome.counts, fed.node_ids[0],
                              shape.cap_minutes) if outcome.adversary else None
            actions = Actions(fed, rng, outcome.counts, adversary=thief)
            try:
                for step in range(outcome.steps):
                    line = actions.run_one(step)
                    verify = (step + 1) % VERIFY_EVERY == 0 or step + 1 == outcome.steps
                    _after(fed, note, f"{step:4d} {line}", verify=verify, adversary=thief)
                step = None
                _heal(fed, note, thief, liar=outcome.liar, counts=outcome.counts)
                _tally(fed, outcome.counts)
            finally:
                outcome.counts.update(fed.network.injected)
    except Exception as exc:  # an invariant broke, or a node raised: the run failed here
        outcome.failed_step = step
        outcome.failure = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        note(f"FAILED: {outcome.failure}")
        if verbose:
            say(traceback.format_exc())
    outcome.digest = hashlib.sha256("\n".join(trace).encode()).hexdigest()


def _after(fed: SimFederation, note: Callable[[str], None], line: str, *, verify: bool,
           adversary: Adversary | None) -> None:
    """What the network did during the step, the restarts it needs, and the auditor."""
    events, fed.network.events = fed.network.events, []
    restarted = fed.restart_crashed()
    totals = check_step(fed, verify=verify, adversary=adversary)
    extra = "".join(f" [{e}]" for e in events) + "".join(f" [{n} restarted]" for n in restarted)
    note(f"{line}{extra} | issued {totals['issued']} in flight {totals['in_flight']}")


def _heal(fed: SimFederation, note: Callable[[str], None],
          adversary: Adversary | None = None, *, liar: bool = False,
          counts: Counter[str] | None = None) -> None:
    """The network heals: no more faults or crashes, every link mended, held copies arrive;
    then time runs on until every transfer is final on both sides (but those a lying hub
    answered, which stay reserved: tests/simulation/liar.py)."""
    net = fed.network
    net.fault_rate = 0.0
    net.cut.clear()
    net.armed.clear()
    while net.held:
        note(f"heal: {fed.run(net.release_held(0))}")
    fed.restart_crashed()
    if liar:
        for _ in range(HEAL_ROUNDS):
            fed.settle(crash_ok=True)
            fed.clock.advance(60_000)
            fed.tick()
        fed.settle(crash_ok=True)
        check_lied_to(fed, counts if counts is not None else Counter())
        note(f"healed at {fed.clock.now_ms()} ms, lied to: {sorted(lied_to_counts(fed))}")
        return
    fed.heal()
    totals = check_healed(fed, adversary)
    matched = check_reconciled(fed)
    note(f"healed at {fed.clock.now_ms()} ms | issued {totals['issued']} "
         f"held {totals['held']} clearing {totals['clearing']} | {matched} windows matched")


def lied_to_counts(fed: SimFederation) -> dict[str, int]:
    return {node_id: len(rows) for node_id, rows in lied_to(fed).items() if rows}


def _tally(fed: SimFederation, counts: Counter[str]) -> None:
    """Transfers by kind and state, each counted once, at the debtor's node: local, cross
    (direct or routed) and, apart, routed ones; a hub's legs are counted as forwarded."""
    kind = case((transfers.c.peer_node_id.is_(None), "local"),
                (transfers.c.forwarded_from.is_not(None), "forwarded"),
                (transfers.c.route.is_not(None), "routed"), else_="direct")
    for node in fed.nodes.values():
        with node.db.read() as conn:
            rows = conn.execute(select(kind, transfers.c.state, func.count())
                                .group_by(kind, transfers.c.state)).all()
        for what, state, n in rows:
            if what == "forwarded":
                counts[f"legs:forwarded:{state}"] += n
                continue
            counts[f"transfers:{'local' if what == 'local' else 'cross'}:{state}"] += n
            if what == "routed":
                counts[f"transfers:routed:{state}"] += n
