#!/usr/bin/env python3
"""Real-process chaos: three nodes under steady load, killed with SIGKILL and restarted at random,
their links cut and delayed by a proxy, then healed, drained and checked hour by hour.

    .venv/bin/python scripts/chaos.py [--kills 100] [--seed 1] [--rate 40] [--workers 4]
        [--crash-points 0.3] [--drain-s 240] [--keep DIR]

* Three `hourbridge serve` processes (tests/integration/processes.py: `hourbridge init`, one
  signed directory) on loopback. The directory lists each node at a port of the proxy process
  (scripts/chaos_proxy.py), which forwards to the node while refusing, cutting and delaying
  connections and partitioning routes, from `--seed`. The member API is reached directly.
* Load: `--workers` threads post transfers at `--rate` per second in all, a third local and two
  thirds to a member of another node, each with a fresh client id. A request the node does not
  answer (it was killed) is posted again with the same id after the heal: the client's retry.
* Kills: a random node is killed with SIGKILL and restarted, over and over, until `--kills`
  have happened. With probability `--crash-points` the restart sets HOURBRIDGE_CRASH_AT
  (node/exchange/faults.py) to a random point and count, so the node also dies by itself at the
  worst moments: after storing a transaction, after its peer's reply arrived, after committing
  an incoming transaction. Every death is followed by a restart; a death counts as survived
  once the restarted node answers /healthz.
* End: the proxy heals, every node runs without a crash point, the unanswered requests are
  posted again, and the run waits until no transfer is open and no outbox holds anything. Then
  it checks, from the API and from each node's database read-only: every transfer committed on
  both sides or on neither; each member's balance equal to the grant plus what the client saw
  committed; the federation's hours equal to those issued; every link's two clearing positions
  opposite (A's with B = -(B's with A)) and equal to the net of the transfers committed across
  it; every link's settlement window closed with `hourbridge window close` and matched (both
  sides co-sign it, no dispute); no member below its floor. Last, the nodes stop and
  tests/audit.py audits the books (ledgers verify, chain heads agree, nothing queued).

Exit status 0 only if every check holds: hours lost 0, hours duplicated 0. `--write-docs`
records the table in docs/testing.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_docs import write_section  # noqa: E402  (scripts/ is sys.path[0])
from chaos_books import Outcome, check, report  # noqa: E402
from chaos_load import Load  # noqa: E402

from node.exchange.faults import CRASH_ENV  # noqa: E402
from tests.integration.processes import (  # noqa: E402
    SERVE,
    Cluster,
    HarnessError,
    check_books,
    child_env,
)

NODES = ["bj-xicheng", "nj-gulou", "sh-pudong"]
MEMBERS = [f"m{i}" for i in range(8)]
GRANT_MINUTES = 50_000
CRASH_POINTS = ("sender_after_commit", "sender_after_reply", "receiver_after_commit")
PROGRESS_EVERY_S = 5.0
TESTING_DOC = ROOT / "docs" / "testing.md"
DOC_START = "<!-- chaos:start -->"
DOC_END = "<!-- chaos:end -->"
PROXY_WAIT_S = 10.0


def reconcile(cluster: Cluster) -> tuple[str, bool]:
    """Close a settlement window on every link and reconcile it, as an operator would with
    `hourbridge window close` (docs/reconciliation.md), from the node with the smaller id (the
    one whose scheduler closes that link). Every window must match, with no dispute."""
    states = []
    for a, b in itertools.combinations(NODES, 2):
        done = subprocess.run([*SERVE, "window", "close", "--data", str(cluster[a].data),
                               "--peer", b, "--json"], capture_output=True, text=True,
                              env=child_env({}), timeout=120)
        if done.returncode not in (0, 2):
            raise HarnessError(f"window close {a}/{b} exited {done.returncode}: "
                               f"{done.stdout[-800:]}{done.stderr[-800:]}")
        for view in json.loads(done.stdout):
            states.append(f"{a}/{b} {view['state']}")
    matched = all(state.endswith(" matched") for state in states) and bool(states)
    return "`hourbridge window close`: " + ", ".join(states), matched


class Chaos:
    def __init__(self, folder: Path, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        # Held open while the cluster picks its own ports, so no port is handed out twice.
        held = [socket.create_server(("127.0.0.1", 0)) for _ in NODES]
        try:
            proxy_ports = [int(sock.getsockname()[1]) for sock in held]
            self.cluster = Cluster(folder, NODES, peer_ports=dict(zip(NODES, proxy_ports,
                                                                      strict=True)))
        finally:
            for sock in held:
                sock.close()
        self.stats_path = folder / "proxy-stats.json"
        self.proxy: subprocess.Popen[bytes] | None = None
        self.sigkills = 0
        self.crash_deaths = 0
        self.restarts_with_point = 0
        self.armed: set[str] = set()  # nodes running with a crash point
        self.started = time.monotonic()
        self.load = Load(self.cluster, NODES, MEMBERS, rate=args.rate, workers=args.workers,
                         seed=args.seed)

    # processes ---------------------------------------------------------------------------

    def start_proxy(self) -> None:
        routes = [f"--route={node.peer_port}:{node.port}" for node in self.cluster.nodes.values()]
        log = (self.cluster.root / "proxy.log").open("ab")
        self.proxy = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "chaos_proxy.py"), *routes,
             f"--seed={self.args.seed}", f"--stats={self.stats_path}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.cluster.wait_for(self.stats_path.exists, "the proxy's first stats",
                              timeout_s=PROXY_WAIT_S)

    def proxy_counts(self) -> dict[str, int]:
        try:
            return dict(json.loads(self.stats_path.read_text()))
        except (OSError, ValueError):
            return {}

    def start_node(self, node_id: str, *, crash_point: bool) -> None:
        """Start a node; until it answers /healthz, a crash point may kill it again: retry."""
        env: dict[str, str] = {}
        if crash_point:
            env = {CRASH_ENV: f"{self.rng.choice(CRASH_POINTS)}:{self.rng.randint(1, 8)}"}
            self.restarts_with_point += 1
        while True:
            try:
                self.cluster.start(node_id, env={node_id: env})
                if env:
                    self.armed.add(node_id)
                else:
                    self.armed.discard(node_id)
                return
            except HarnessError:
                node = self.cluster[node_id]
                if node.alive() or not env:
                    raise
                self.crash_deaths += 1  # it died at its crash point while starting up
                env = {}

    def kill_one(self) -> None:
        node_id = self.rng.choice(NODES)
        node = self.cluster[node_id]
        if node.alive():
            node.kill()
            self.sigkills += 1
        self.start_node(node_id, crash_point=self.rng.random() < self.args.crash_points)

    def revive(self) -> None:
        """Restart every node that died at its crash point."""
        for node_id in NODES:
            node = self.cluster[node_id]
            if not node.alive():
                self.crash_deaths += 1
                self.start_node(node_id, crash_point=self.rng.random() < self.args.crash_points)

    @property
    def kills(self) -> int:
        return self.sigkills + self.crash_deaths

    # phases --------------------------------------------------------------------------------

    def progress(self, phase: str) -> None:
        proxy = self.proxy_counts()
        open_now = sum(self.cluster.open_transfers(n) for n in NODES if self.cluster[n].alive())
        print(f"[{time.monotonic() - self.started:6.1f} s] {phase}: kills {self.kills} "
              f"(SIGKILL {self.sigkills}, crash points {self.crash_deaths}); "
              f"{self.load.summary()}; open cross-node {open_now}; proxy refused "
              f"{proxy.get('refused', 0) + proxy.get('partition_refused', 0)}, cut "
              f"{proxy.get('cut_request', 0) + proxy.get('cut_response', 0)}, delayed "
              f"{proxy.get('delayed', 0)}, partitions {proxy.get('partitions', 0)}", flush=True)

    def storm(self) -> None:
        self.load.start()
        shown = time.monotonic()
        while self.kills < self.args.kills:
            time.sleep(self.rng.uniform(0.2, 1.0))
            self.revive()
            if self.kills < self.args.kills:
                self.kill_one()
            if time.monotonic() - shown >= PROGRESS_EVERY_S:
                self.progress("storm")
                shown = time.monotonic()
        self.load.stop()

    def heal(self) -> None:
        assert self.proxy is not None
        self.proxy.send_signal(signal.SIGUSR1)
        self.args.crash_points = 0.0  # from here on, every restart is a plain one
        self.revive()
        for node_id in sorted(self.armed):  # whoever still carries a crash point loses it
            if self.cluster[node_id].alive():
                self.cluster[node_id].kill()
                self.sigkills += 1
            else:
                self.crash_deaths += 1
            self.start_node(node_id, crash_point=False)
        self.load.retry_unanswered()

    def drained(self) -> bool:
        for node_id in NODES:
            node = self.cluster[node_id]
            if not node.alive():
                raise HarnessError(f"{node_id} died after the heal\n{node.tail()}")
            busy = node.query("SELECT (SELECT count(*) FROM transfers WHERE state IN "
                              "('pending', 'in_doubt')) + (SELECT count(*) FROM outbox) + "
                              "(SELECT count(*) FROM out_transactions WHERE response IS NULL)")
            if busy[0][0]:
                return False
        return True

    def drain(self) -> float:
        started = time.monotonic()
        deadline, shown = started + self.args.drain_s, started
        while not self.drained():
            if time.monotonic() > deadline:
                raise HarnessError(f"queues not drained after {self.args.drain_s} s\n"
                                   f"{self.cluster.tails()}")
            if time.monotonic() - shown >= PROGRESS_EVERY_S:
                self.progress("drain")
                shown = time.monotonic()
            time.sleep(0.2)
        return time.monotonic() - started

    def run(self) -> Outcome:
        print(f"chaos: seed {self.args.seed}, {len(NODES)} nodes, {self.args.kills} kills, "
              f"{self.args.rate:g} transfers/s offered; data in {self.cluster.root}", flush=True)
        self.start_proxy()
        self.cluster.start()
        for node_id in NODES:
            self.cluster.seed(node_id, MEMBERS, minutes=GRANT_MINUTES)
        self.storm()
        self.progress("heal")
        self.heal()
        drain_s = self.drain()
        self.progress(f"drained in {drain_s:.1f} s")
        outcome = check(self.cluster, self.load, NODES, MEMBERS, GRANT_MINUTES)
        outcome.kills = {"SIGKILL": self.sigkills, "crash points": self.crash_deaths,
                         "restarts with a crash point": self.restarts_with_point}
        outcome.proxy = self.proxy_counts()
        outcome.reconciliation, outcome.reconciled = reconcile(self.cluster)
        outcome.seconds = time.monotonic() - self.started
        self.cluster.stop()
        outcome.audit = check_books(self.cluster)  # raises if the books do not balance
        return outcome

    def close(self) -> None:
        self.load.stop()
        self.cluster.close()
        if self.proxy is not None and self.proxy.poll() is None:
            self.proxy.terminate()
            self.proxy.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100, help="deaths to survive")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=40.0, help="transfers/s offered in all")
    parser.add_argument("--workers", type=int, default=4, help="client threads")
    parser.add_argument("--crash-points", type=float, default=0.3,
                        help="probability that a restart sets a crash point")
    parser.add_argument("--drain-s", type=float, default=240.0,
                        help="how long the healed federation may take to drain its queues")
    parser.add_argument("--keep", type=Path, help="keep the nodes' folders here")
    parser.add_argument("--write-docs", action="store_true",
                        help="record the table in docs/testing.md")
    parser.add_argument("--shared", action="store_true",
                        help="say in the docs that other work shared the machine")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hourbridge-chaos-"))
    chaos = Chaos(folder / "fed", args)
    ok = False
    try:
        outcome = chaos.run()
        table = report(outcome, args)
        print(f"\n{table}", flush=True)
        ok = outcome.ok
        if args.write_docs:
            shared = " (shared with other work at the time)" if args.shared else ""
            section = "\n".join([DOC_START, f"Run {time.strftime('%Y-%m-%d')} on "
                                  f"{os.cpu_count()} cores{shared}.", "", table, DOC_END])
            path = write_section(DOC_START, DOC_END, section, path=TESTING_DOC,
                                 new_heading="## Chaos: real processes, kill -9, a faulty network")
            print(f"written to {path}")
    except (HarnessError, AssertionError) as exc:
        print(f"chaos: FAILED: {exc}", flush=True)
    finally:
        chaos.close()
        if args.keep:
            shutil.copytree(folder, args.keep, dirs_exist_ok=True)
            print(f"folders kept in {args.keep}")
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
