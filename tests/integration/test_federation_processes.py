"""Cross-node transfers between real `hourbridge serve` processes on loopback, killed with
SIGKILL (or dying at a named crash point, node/exchange/faults.py) and restarted.

Every scenario ends the same way: all processes stop, and check_books reads every node's SQLite
database: each transfer committed on both sides or on neither, each link's clearing balances
cancel, no reservation left, hours held + in flight == hours issued, both ends of each link at
the same chain head, nothing unanswered or queued.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import threading
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

from node.exchange.faults import CRASH_ENV, CRASH_EXIT_CODE
from tests.integration.processes import POLL_S, Cluster, ClusterFactory, check_books

pytestmark = pytest.mark.slow

A, B = "sh-pudong", "nj-gulou"
MEMBERS = ["m0", "m1", "m2", "m3"]
GRANT = 60_000
POOL = 16


@dataclass(frozen=True)
class Job:
    node: str  # where it is posted: the debtor's home node
    transfer_id: str
    debtor: str
    creditor: str
    minutes: int

    @property
    def body(self) -> dict[str, object]:
        return {"id": self.transfer_id, "from": self.debtor, "to": self.creditor,
                "amount_minutes": self.minutes}


def jobs(count: int, *, seed: int, prefix: str) -> list[Job]:
    """`count` transfers, alternately A->B and B->A, between random members."""
    rng = random.Random(seed)
    made = []
    for i in range(count):
        home, peer = (A, B) if i % 2 == 0 else (B, A)
        made.append(Job(home, f"{prefix}{i}", f"{rng.choice(MEMBERS)}@{home}",
                        f"{rng.choice(MEMBERS)}@{peer}", rng.randint(1, 9)))
    return made


def expected(done: list[Job]) -> dict[str, int]:
    held = {f"{m}@{n}": GRANT for n in (A, B) for m in MEMBERS}
    for job in done:
        held[job.debtor] -= job.minutes
        held[job.creditor] += job.minutes
    return held


def started(make_cluster: ClusterFactory, **env: dict[str, str]) -> Cluster:
    """Two nodes, each with four members holding GRANT minutes; `env` per node for its first
    start (a crash point)."""
    cluster = make_cluster([A, B])
    cluster.start(env=env)
    for node_id in (A, B):
        cluster.seed(node_id, MEMBERS, minutes=GRANT)
    return cluster


def post(cluster: Cluster, job: Job, clients: dict[str, httpx.Client],
         deadline_s: float = 20.0) -> httpx.Response:
    """POST a transfer at its home node, again with the same id until the node answers: a
    client's retry across a crash of the node it talks to."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            reply = clients[job.node].post("/api/v1/transfers", json=job.body)
            if reply.status_code != 503:
                return reply
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{job.node} never answered {job.transfer_id}\n"
                                 f"{cluster.tails()}")
        time.sleep(POLL_S)


def post_all(cluster: Cluster, work: list[Job], *, threads: int = POOL) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=threads, max_keepalive_connections=threads)
    clients = {n: httpx.Client(base_url=cluster[n].url, timeout=10, limits=limits,
                               headers={"Authorization": f"Bearer {cluster[n].token}"})
               for n in (A, B)}
    try:
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(lambda job: post(cluster, job, clients), work))
    finally:
        for client in clients.values():
            client.close()


def settled(cluster: Cluster) -> bool:
    return all(cluster.open_transfers(n) == 0 for n in (A, B))


def states(cluster: Cluster, node_id: str) -> Counter[str]:
    rows = cluster[node_id].query("SELECT state FROM transfers WHERE peer_node_id IS NOT NULL")
    return Counter(state for (state,) in rows)


def balances(cluster: Cluster) -> dict[str, int]:
    return {f"{m}@{n}": cluster.available(f"{m}@{n}") for n in (A, B) for m in MEMBERS}


def in_transactions(cluster: Cluster, node_id: str) -> list[tuple[str, str]]:
    return cluster[node_id].query(
        "SELECT transaction_id, response FROM in_transactions ORDER BY sequence")


def out_transactions(cluster: Cluster, node_id: str) -> list[tuple[str, str | None]]:
    return cluster[node_id].query(
        "SELECT transaction_id, response FROM out_transactions ORDER BY sequence")


# ------------------------------------------------------------------------------------------------


def test_gift_commits_on_both_sides(make_cluster: ClusterFactory) -> None:
    cluster = started(make_cluster)
    made = cluster.transfer(A, "gift-1", "m0", f"m1@{B}", 120)
    assert made.status_code == 201, made.text
    assert made.json()["state"] == "pending"

    cluster.wait_for(lambda: cluster.state(A, "gift-1") == "committed", "gift-1 commits")

    assert cluster.available(f"m0@{A}") == GRANT - 120
    assert cluster.available(f"m1@{B}") == GRANT + 120
    cluster.stop()
    # SIGTERM (docker stop, systemd) closes the node too: its database is closed cleanly,
    # which folds SQLite's write-ahead log back into the file and removes it.
    for node_id in (A, B):
        wal = cluster[node_id].db_path.with_name("node.db-wal")
        assert not wal.exists(), f"{node_id} left {wal.name}: it did not close its database"
    totals = check_books(cluster)
    assert totals == {"issued": 8 * GRANT, "held": 8 * GRANT, "clearing": 0, "in_flight": 0}


def test_two_hundred_concurrent_transfers_both_ways_all_commit(
        make_cluster: ClusterFactory) -> None:
    cluster = started(make_cluster)
    work = jobs(200, seed=1, prefix="c")

    replies = post_all(cluster, work)

    assert Counter(r.status_code for r in replies) == {201: 200}
    cluster.wait_for(lambda: settled(cluster), "every transfer settled")
    assert states(cluster, A) == {"committed": 100}
    assert states(cluster, B) == {"committed": 100}
    assert balances(cluster) == expected(work)
    # Batched: far fewer signed transactions than transfers crossed each link.
    for sender, receiver in ((A, B), (B, A)):
        assert len(in_transactions(cluster, receiver)) == len(out_transactions(cluster, sender))
        assert len(out_transactions(cluster, sender)) < 100
    cluster.stop()
    check_books(cluster)


def test_sender_killed_between_commit_and_send_sends_after_restart(
        make_cluster: ClusterFactory) -> None:
    cluster = started(make_cluster, **{A: {CRASH_ENV: "sender_after_commit"}})
    job = Job(A, "crash-send", f"m0@{A}", f"m1@{B}", 45)
    # The node may die before or after answering: the transfer is committed either way.
    with contextlib.suppress(httpx.TransportError):
        cluster.transfer(A, job.transfer_id, job.debtor, job.creditor, job.minutes)

    assert cluster.wait_exit(A) == CRASH_EXIT_CODE
    # It died with the transaction stored and unanswered, before any byte reached B.
    assert [r is None for _, r in out_transactions(cluster, A)] == [True]
    assert in_transactions(cluster, B) == []

    cluster.restart(A)
    again = cluster.transfer(A, job.transfer_id, job.debtor, job.creditor, job.minutes)
    assert again.status_code == 200, again.text  # the client's retry: the same transfer
    cluster.wait_for(lambda: cluster.state(A, job.transfer_id) == "committed", "it commits")

    assert len(out_transactions(cluster, A)) == len(in_transactions(cluster, B)) == 1
    assert balances(cluster) == expected([job])
    cluster.stop()
    check_books(cluster)


def test_receiver_killed_between_commit_and_reply_replays_its_stored_response(
        make_cluster: ClusterFactory) -> None:
    cluster = started(make_cluster, **{B: {CRASH_ENV: "receiver_after_commit"}})
    job = Job(A, "crash-reply", f"m0@{A}", f"m1@{B}", 30)
    assert cluster.transfer(A, job.transfer_id, job.debtor, job.creditor,
                            job.minutes).status_code == 201

    assert cluster.wait_exit(B) == CRASH_EXIT_CODE
    # B committed the credit and its signed response; A never got the response.
    (stored,) = in_transactions(cluster, B)
    assert [r is None for _, r in out_transactions(cluster, A)] == [True]
    assert cluster.state(A, job.transfer_id) == "pending"

    cluster.restart(B)
    cluster.wait_for(lambda: cluster.state(A, job.transfer_id) == "committed", "it commits")

    # A sent the same transaction again; B answered with the stored response, byte for byte,
    # and credited nothing twice.
    assert in_transactions(cluster, B) == [stored]
    assert out_transactions(cluster, A) == [stored]
    assert balances(cluster) == expected([job])
    cluster.stop()
    check_books(cluster)


def test_sender_killed_after_the_reply_arrived_settles_once_after_restart(
        make_cluster: ClusterFactory) -> None:
    cluster = started(make_cluster, **{A: {CRASH_ENV: "sender_after_reply"}})
    job = Job(A, "crash-apply", f"m2@{A}", f"m3@{B}", 60)
    with contextlib.suppress(httpx.TransportError):
        cluster.transfer(A, job.transfer_id, job.debtor, job.creditor, job.minutes)

    assert cluster.wait_exit(A) == CRASH_EXIT_CODE
    (stored,) = in_transactions(cluster, B)
    assert [r is None for _, r in out_transactions(cluster, A)] == [True]

    cluster.restart(A)
    cluster.wait_for(lambda: cluster.state(A, job.transfer_id) == "committed", "it commits")

    assert in_transactions(cluster, B) == [stored]
    assert out_transactions(cluster, A) == [stored]
    settles = cluster[A].query(
        "SELECT count(*) FROM journal_entries WHERE kind = 'transfer_settle'")[0][0]
    assert settles == 1
    assert balances(cluster) == expected([job])
    cluster.stop()
    check_books(cluster)


def count_sent(cluster: Cluster, home: str) -> int:
    return int(cluster[home].query(
        "SELECT count(*) FROM transfers WHERE peer_node_id IS NOT NULL")[0][0])


class Load:
    """Members of both nodes sending transfers, one after another on each of `workers` threads
    (half posting at A, half at B, so one node's clients go on while the other is down), until
    the block ends. `done` holds every transfer a node accepted."""

    def __init__(self, cluster: Cluster, *, workers: int = 8, seed: int = 3) -> None:
        self.cluster = cluster
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.done: list[Job] = []
        self.homes = [A if w % 2 == 0 else B for w in range(workers)]
        self.clients = [cluster[home].client() for home in self.homes]
        self.pool = ThreadPoolExecutor(workers)
        self.workers: list[Future[None]] = []

    def __enter__(self) -> Load:
        self.workers = [self.pool.submit(self._run, w) for w in range(len(self.homes))]
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        try:
            for worker in self.workers:
                worker.result()
        finally:
            self.pool.shutdown()
            for client in self.clients:
                client.close()

    def _run(self, worker: int) -> None:
        home = self.homes[worker]
        peer = B if home == A else A
        for i in itertools.count():
            if self.stop.is_set():
                return
            with self.lock:
                job = Job(home, f"w{worker}-{i}", f"{self.rng.choice(MEMBERS)}@{home}",
                          f"{self.rng.choice(MEMBERS)}@{peer}", self.rng.randint(1, 9))
            reply = post(self.cluster, job, {home: self.clients[worker]})
            assert reply.status_code in (200, 201), reply.text
            with self.lock:
                self.done.append(job)

    def go_on(self, more: int = 30) -> None:
        """Wait until both nodes accepted `more` transfers from now on."""
        now = {n: count_sent(self.cluster, n) for n in (A, B)}
        self.cluster.wait_for(lambda: all(count_sent(self.cluster, n) >= now[n] + more
                                          for n in (A, B)), f"{more} more transfers each way")


def converged(cluster: Cluster, done: list[Job]) -> None:
    """Every accepted transfer committed, balances as sent, and the books balance."""
    cluster.wait_for(lambda: settled(cluster), "every transfer settled", timeout_s=40)
    sent = Counter(job.node for job in done)
    assert states(cluster, A) == {"committed": sent[A]}
    assert states(cluster, B) == {"committed": sent[B]}
    assert balances(cluster) == expected(done)
    cluster.stop()
    check_books(cluster)


def test_receiver_killed_under_load_converges_after_restart(
        make_cluster: ClusterFactory) -> None:
    cluster = started(make_cluster)
    with Load(cluster) as load:
        # Kill B once transactions travel both ways.
        cluster.wait_for(lambda: len(in_transactions(cluster, B)) >= 3
                         and len(in_transactions(cluster, A)) >= 3, "traffic both ways")
        assert cluster[B].kill() == -9
        at_kill = count_sent(cluster, A)
        cluster.restart(B)
        assert count_sent(cluster, A) > at_kill, "A's members sent nothing while B was down"
        load.go_on()
    assert len(load.done) > 100
    converged(cluster, load.done)


@pytest.mark.parametrize(("victim", "point"), [
    (A, "sender_after_commit"), (B, "receiver_after_commit"), (A, "sender_after_reply"),
])
def test_crash_point_mid_stream_under_load_converges(
        make_cluster: ClusterFactory, victim: str, point: str) -> None:
    """The victim dies the 5th time it passes the point, with batches in flight both ways and
    clients posting at both nodes; restarted, everything commits exactly once."""
    cluster = started(make_cluster, **{victim: {CRASH_ENV: f"{point}:5"}})
    with Load(cluster) as load:
        assert cluster.wait_exit(victim) == CRASH_EXIT_CODE
        cluster.restart(victim)
        load.go_on()
    converged(cluster, load.done)
