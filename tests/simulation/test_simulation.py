"""The deterministic simulation in CI: a few hundred seeds pass the auditor after every step and
once healed; a seed replays exactly; and two planted bugs are each found within those seeds,
with a command that replays the failure (docs/testing.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from node.exchange import answers
from node.exchange.inbound import Inbox
from tests.simulation.bugs import planted
from tests.simulation.many import SeedResult, results, run_many
from tests.simulation.network import CRASH_POINTS, NetFault
from tests.simulation.run import simulate

# 200 seeds (about half with hubs) meet every fault, crash point and partition kind (asserted
# below) in about two minutes of both cores; with the liar's and the adversary's, CI runs 236
# seeds. `./scripts/simulate` runs as many more as a change deserves.
CI_SEEDS = range(200)
CI_STEPS = 40
ADVERSARY_SEEDS = range(20)  # with the stolen-key adversary (tests/simulation/adversary.py)
ADVERSARY_STEPS = 60
LIAR_SEEDS = range(16)  # with a hub that lies about legs (tests/simulation/liar.py)
LIAR_STEPS = 40
JOBS = 2
ROOT = Path(__file__).resolve().parents[2]


# About a minute on two idle cores; far longer on a machine shared with other work, hence a
# timeout above the suite's default.
@pytest.mark.timeout(1_200)
def test_every_ci_seed_keeps_the_books() -> None:
    summary = run_many(CI_SEEDS, steps=CI_STEPS, jobs=JOBS)
    assert not summary.failures, "\n".join(str(f.report) for f in summary.failures)
    # The runs met what they are meant to survive, not a quiet network.
    met = summary.counts
    expected = [f.value for f in NetFault] + [f"crash:{p}" for p in CRASH_POINTS] + [
        "crash:at_rest", "crash:after_member_request", "partition:both_ways",
        "partition:one_way", "partition:request_blocked", "partition:answer_lost"]
    assert [kind for kind in expected if met[kind] == 0] == []
    assert met["transfers:cross:committed"] > 1_000
    assert met["transfers:cross:rejected"] > 0 and met["transfers:cross:expired"] > 0
    # About half the seeds trade through hubs (a star, or a chain of two hubs: world.py), and
    # hubs crashed and came back with legs in flight.
    assert met["transfers:routed:committed"] > 100 and met["transfers:routed:rejected"] > 0
    assert met["legs:forwarded:committed"] > met["transfers:routed:committed"]
    assert met["crash:hub_restarted"] > 20


def test_a_seed_replays_exactly() -> None:
    first, again = simulate(7, steps=30), simulate(7, steps=30)
    assert first.failure is None
    assert first.digest == again.digest
    assert simulate(8, steps=30).digest != first.digest
    # In a fresh process, with another string-hash seed (set and dict order), too.
    replay = subprocess.run(
        [sys.executable, "-m", "tests.simulation.many", "--seed", "7", "--steps", "30"],
        cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "4242"}, capture_output=True, text=True,
        check=False, timeout=120)
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert f"digest {first.digest}" in replay.stdout


def _first_failure(bug: str) -> SeedResult | None:
    with closing(results(CI_SEEDS, steps=CI_STEPS, plant=[bug], jobs=JOBS)) as found:
        return next((result for result in found if result.report is not None), None)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("bug", ["answers_repeat_afresh", "releases_when_in_doubt"])
def test_a_planted_bug_is_found_within_the_ci_seeds(bug: str) -> None:
    found = _first_failure(bug)
    assert found is not None, f"{len(CI_SEEDS)} seeds never noticed {bug}"
    command = f"scripts/simulate --seed {found.seed} --steps {CI_STEPS} --plant {bug} -v"
    assert f"replay: {command}" in str(found.report)
    replay = simulate(found.seed, steps=CI_STEPS, plant=[bug])
    assert replay.failure is not None and replay.digest == found.digest
    assert simulate(found.seed, steps=CI_STEPS).failure is None  # the same seed, no bug


def test_planting_a_bug_puts_the_honest_code_back() -> None:
    honest_apply, honest_step = Inbox._apply, answers.step
    with planted(["answers_repeat_afresh", "releases_on_temporary_reject"]):
        assert Inbox._apply is not honest_apply and answers.step is not honest_step
    assert (Inbox._apply, answers.step) == (honest_apply, honest_step)
    with pytest.raises(ValueError, match="no planted bug named nope"), planted(["nope"]):
        pass


@pytest.mark.timeout(1_200)
def test_a_stolen_key_never_hides_the_hours_it_mints() -> None:
    summary = run_many(ADVERSARY_SEEDS, steps=ADVERSARY_STEPS, jobs=JOBS, adversary=True)
    assert not summary.failures, "\n".join(str(f.report) for f in summary.failures)
    met = summary.counts
    # It forged, and tried to hide: some proposals were co-signed (nothing to hide yet, or a
    # transaction still in flight), others disputed as cut_behind.
    assert met["adversary:forged_prepares"] > 100
    assert met["adversary:proposal_co_signed"] > 0
    assert met["adversary:proposal_not_co_signed"] > 0
    assert met["transfers:cross:committed"] > 50  # the honest nodes kept trading


@pytest.mark.timeout(900)
def test_the_adversary_is_caught_hiding_where_the_cut_rule_is_missing() -> None:
    with closing(results(ADVERSARY_SEEDS, steps=ADVERSARY_STEPS, plant=["cosigns_any_cut"],
                         jobs=JOBS, adversary=True)) as found:
        first = next((result for result in found if result.report is not None), None)
    assert first is not None, "the auditor never noticed a node co-signing any cut"
    assert "hiding forged transactions" in str(first.report)
    assert "--plant cosigns_any_cut --adversary" in str(first.report)


@pytest.mark.timeout(900)
def test_a_lying_hub_never_settles_a_transfer_on_its_word() -> None:
    summary = run_many(LIAR_SEEDS, steps=LIAR_STEPS, jobs=JOBS, liar=True)
    assert not summary.failures, "\n".join(str(f.report) for f in summary.failures)
    met = summary.counts
    # Both lies were told and met: a forged end disputed, a forward never made kept reserved.
    assert met["liar:forged_end"] > 20 and met["liar:disputed"] > 20
    assert met["liar:said_forwarding"] > 100 and met["liar:still_reserved"] > 20
    assert met["transfers:routed:committed"] == 0
    assert met["transfers:cross:committed"] > 20  # nj-gulou and sh-pudong kept trading directly
