"""The steady load of scripts/chaos.py: client threads posting transfers over the member API, each
with a fresh client id, remembering what every node answered (or that it did not)."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass

import httpx

from tests.integration.processes import Cluster

LOCAL_SHARE = 1 / 3  # the rest goes to a member of another node
MINUTES_MAX = 120
# Some transfers must fail, so that releasing hours is tested under the faults too: to a
# member the peer does not have (refused by the peer, released at home), and more than
# anyone holds (refused at home).
UNKNOWN_CREDITOR_SHARE = 0.05
TOO_MUCH_SHARE = 0.02
TOO_MUCH_MINUTES = 500_000
REQUEST_TIMEOUT_S = 5.0
# A client whose node does not answer asks again with the same id, for this long, then moves
# on; what is still unanswered is asked again after the heal, for up to RETRY_DEADLINE_S each.
RETRY_WHILE_DOWN_S = 6.0
RETRY_PAUSE_S = 0.1
RETRY_DEADLINE_S = 60.0


@dataclass
class Job:
    home: str  # the debtor's node, where it is posted
    client_id: str
    debtor: str  # local id at `home`
    creditor: str  # an address: local id@node
    minutes: int
    answer: str | None = None  # "accepted", "rejected:<code>", "server_error:<status>"

    @property
    def body(self) -> dict[str, object]:
        return {"id": self.client_id, "from": self.debtor, "to": self.creditor,
                "amount_minutes": self.minutes}

    @property
    def cross_node(self) -> bool:
        return not self.creditor.endswith(f"@{self.home}")


def answer_of(reply: httpx.Response) -> str | None:
    """What a node's answer means to the client; None: no answer yet, ask again."""
    if reply.status_code in (200, 201):
        return "accepted"
    if reply.status_code == 503:
        return None  # starting up or shutting down
    if 400 <= reply.status_code < 500:
        return f"rejected:{reply.json().get('code', reply.status_code)}"
    return f"server_error:{reply.status_code}"


class Load:
    def __init__(self, cluster: Cluster, nodes: list[str], members: list[str], *, rate: float,
                 workers: int, seed: int) -> None:
        self.cluster = cluster
        self.nodes = nodes
        self.members = members
        self.rate = rate
        self.workers = workers
        self.seed = seed
        self.jobs: list[Job] = []
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.threads: list[threading.Thread] = []

    def clients(self) -> dict[str, httpx.Client]:
        return {n: self.cluster[n].client(REQUEST_TIMEOUT_S) for n in self.nodes}

    def make_job(self, rng: random.Random, worker: int, n: int) -> Job:
        home = rng.choice(self.nodes)
        debtor = rng.choice(self.members)
        if rng.random() < LOCAL_SHARE:
            peer, creditor = home, rng.choice([m for m in self.members if m != debtor])
        else:
            peer, creditor = rng.choice([x for x in self.nodes if x != home]), \
                rng.choice(self.members)
        if peer != home and rng.random() < UNKNOWN_CREDITOR_SHARE:
            creditor = "nobody"
        minutes = (TOO_MUCH_MINUTES if rng.random() < TOO_MUCH_SHARE
                   else rng.randint(1, MINUTES_MAX))
        return Job(home, f"chaos-{self.seed}-{worker}-{n}", debtor, f"{creditor}@{peer}",
                   minutes)

    def post(self, job: Job, clients: dict[str, httpx.Client], *, retry_s: float) -> None:
        """Post, and post again with the same id while the node does not answer."""
        deadline = time.monotonic() + retry_s
        while True:
            try:
                job.answer = answer_of(clients[job.home].post("/api/v1/transfers",
                                                              json=job.body))
            except httpx.TransportError:
                job.answer = None  # killed mid-request, or down
            if job.answer is not None or time.monotonic() > deadline:
                return
            time.sleep(RETRY_PAUSE_S)

    def worker(self, index: int) -> None:
        rng = random.Random(f"{self.seed}-{index}")
        interval = self.workers / self.rate
        due = time.monotonic()
        clients = self.clients()
        try:
            n = 0
            while not self.halt.is_set():
                job = self.make_job(rng, index, n)
                n += 1
                self.post(job, clients, retry_s=0 if self.halt.is_set() else RETRY_WHILE_DOWN_S)
                with self.lock:
                    self.jobs.append(job)
                due += interval
                self.halt.wait(max(0.0, due - time.monotonic()))
        finally:
            for client in clients.values():
                client.close()

    def start(self) -> None:
        self.threads = [threading.Thread(target=self.worker, args=(i,), daemon=True)
                        for i in range(self.workers)]
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.halt.set()
        for thread in self.threads:
            thread.join(timeout=REQUEST_TIMEOUT_S * 2)
        self.threads = []

    def retry_unanswered(self) -> None:
        """The client's retry after the heal: the same request, same id, until answered."""
        waiting = [job for job in self.jobs if job.answer is None]

        def retry(share: list[Job]) -> None:
            clients = self.clients()
            try:
                for job in share:
                    self.post(job, clients, retry_s=RETRY_DEADLINE_S)
            finally:
                for client in clients.values():
                    client.close()

        threads = [threading.Thread(target=retry, args=(waiting[i::self.workers],))
                   for i in range(self.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter((job.answer or "unanswered").split(":")[0] for job in self.jobs)

    def summary(self) -> str:
        counts = self.counts()
        return (f"attempted {sum(counts.values())}, accepted {counts['accepted']}, rejected "
                f"{counts['rejected']}, unanswered {counts['unanswered']}")
