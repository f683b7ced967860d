"""Real node processes on loopback: a federation of `hourbridge serve` processes under one
signed directory, which a test can SIGKILL, restart and finally audit from their databases.

    cluster = Cluster(tmp_path, ["nj-gulou", "sh-pudong"])
    cluster.start()                                   # every node, waits for /healthz
    cluster.seed("sh-pudong", ["m0", "m1"], minutes=600)
    cluster.transfer("sh-pudong", "t1", "m0", "m1@nj-gulou", 30)
    cluster.wait_for(lambda: cluster.state("sh-pudong", "t1") == "committed", "t1 commits")
    cluster.stop()                                    # SIGTERM, each must stop cleanly
    check_books(cluster)                              # conservation, from the SQLite files

Set-up runs the real CLI commands (`hourbridge init`, `hourbridge directory init|add-node|
sign`, `hourbridge token create`) in this process through typer's runner: the same code as the
command line, without a second of interpreter start per command. Only `serve` runs as a process
of its own. Nothing here sleeps to let time pass: `wait_for` polls a condition against a
deadline.
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import select
from typer.testing import CliRunner

from node.cli.main import app as cli_app
from node.config import load_config, save_config
from node.db.schema import links, out_transactions, outbox
from node.runtime import Node, open_node
from protocol.fields import GENESIS_HASH
from tests.audit import audit

T = TypeVar("T")
ClusterFactory = Callable[..., "Cluster"]

FEDERATION_ID = "cn-it"
REGION = "310115"
# What the directory calls each node, as a city's time bank would name it: the pages people
# see show these, not the node ids (any other id keeps its id as its name).
NAMES = {"sh-pudong": "上海浦东", "nj-gulou": "南京鼓楼", "bj-chaoyang": "北京朝阳",
         "yrd-hub": "长三角清算枢纽"}
HEALTH_WAIT_S = 30.0
STOP_WAIT_S = 15.0
POLL_S = 0.02
# uvicorn shuts down gracefully on SIGTERM (the lifespan stops the sender loops and closes the
# node), then raises the signal again so the process reports it: -SIGTERM is a clean stop.
CLEAN_EXIT = (0, -signal.SIGTERM)
# The senders' retry timing for tests: by default a peer that failed 5 times in a row rests
# 15-30 s, longer than a killed node takes to come back. Wake-ups do not cut the rest short.
FAST_RETRY = {"HOURBRIDGE_EXCHANGE_BACKOFF_MAX_S": "1", "HOURBRIDGE_EXCHANGE_BREAKER_OPEN_S": "1"}
# The CLI next to this interpreter (the project's .venv), else `python -m node.cli.main`.
_HOURBRIDGE = shutil.which("hourbridge", path=str(Path(sys.executable).parent))
SERVE = [_HOURBRIDGE] if _HOURBRIDGE else [sys.executable, "-m", "node.cli.main"]


class HarnessError(AssertionError):
    """Set-up or a wait failed; the message carries the nodes' log tails."""


def hourbridge(*args: str) -> str:
    """Run one `hourbridge` command in this process; return what it printed."""
    # The caller's HOURBRIDGE_* variables would redirect the command (a database URL, say).
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("HOURBRIDGE_")}
    result = CliRunner().invoke(cli_app, list(args), env=env)
    if result.exit_code != 0:
        raise HarnessError(f"hourbridge {' '.join(args)} exited {result.exit_code}:\n"
                           f"{result.output}\n{result.exception!r}")
    return result.stdout


def free_ports(count: int) -> list[int]:
    """Distinct loopback ports free right now (held open together so none repeats)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOURBRIDGE_")}
    return env | {"PYTHONUNBUFFERED": "1"} | extra


@dataclass
class NodeProcess:
    node_id: str
    data: Path
    port: int
    log_path: Path
    token: str = ""
    base_env: dict[str, str] = field(default_factory=dict)
    # The port peers reach this node on, as the directory lists it (a fault-injecting proxy
    # in front of the node, say); 0: the node's own port.
    peer_port: int = 0
    # What runs `serve`: the CLI, or e.g. `python -m cProfile -o FILE -m node.cli.main`.
    command: list[str] = field(default_factory=lambda: list(SERVE))
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port or self.port}"

    @property
    def db_path(self) -> Path:
        return self.data / "node.db"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, env: dict[str, str] | None = None) -> None:
        """Start `hourbridge serve`; `env` adds HOURBRIDGE_* variables for this run only."""
        assert not self.alive(), f"{self.node_id} is already running"
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts} env {env or {}}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [*self.command, "serve", "--data", str(self.data), "--log-level", "warning"],
                env=child_env(self.base_env | (env or {})), stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )

    def healthy(self) -> bool:
        if not self.alive():
            raise HarnessError(f"{self.node_id} exited with {self.returncode()}\n{self.tail()}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200
        except httpx.TransportError:
            return False

    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def kill(self) -> int:
        """SIGKILL, as the kernel's OOM killer or a power cut would stop it; returns the code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        return self.process.wait(timeout=STOP_WAIT_S)

    def wait_exit(self, timeout_s: float) -> int:
        assert self.process is not None
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise HarnessError(f"{self.node_id} still runs after {timeout_s} s\n"
                               f"{self.tail()}") from None

    def stop(self, *, signal_sent: bool = False) -> int:
        """SIGTERM: uvicorn drains, the lifespan stops the sender loops, the node closes."""
        if not signal_sent and not self.alive():
            return self.returncode() or 0
        assert self.process is not None
        if not signal_sent:  # a second SIGTERM would make uvicorn skip its clean shutdown
            self.process.terminate()
        try:
            return self.process.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise HarnessError(f"{self.node_id} ignored SIGTERM for {STOP_WAIT_S} s\n"
                               f"{self.tail()}") from None

    def tail(self, lines: int = 25) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"--- {self.log_path}\n" + "\n".join(text.splitlines()[-lines:])

    def client(self, timeout_s: float = 10.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout_s,
                            headers={"Authorization": f"Bearer {self.token}"})

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the node's SQLite file read-only, beside the running process (WAL allows it)."""
        uri = f"file:{self.db_path}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
            return conn.execute(sql, params).fetchall()


class Cluster:
    """N initialised nodes under one signed directory, not yet running.

    `env`: HOURBRIDGE_* variables every node runs with (each `start` can add more); by default
    FAST_RETRY, so a sender probes a restarted peer within a second or two. `peer_ports`: by
    node id, the port the directory lists for it (a proxy in front of the node); by default
    the node's own. `database_urls`: by node id, a database for `init` (PostgreSQL, say); by
    default SQLite in the data folder.
    """

    def __init__(self, root: Path, node_ids: list[str], *,
                 env: dict[str, str] | None = None,
                 peer_ports: dict[str, int] | None = None,
                 database_urls: dict[str, str] | None = None) -> None:
        self.root = root
        self.node_ids = sorted(node_ids)
        ports = free_ports(len(self.node_ids))
        self.nodes = {
            node_id: NodeProcess(node_id, root / node_id, port, root / f"{node_id}.log",
                                 base_env=dict(FAST_RETRY if env is None else env),
                                 peer_port=(peer_ports or {}).get(node_id, 0))
            for node_id, port in zip(self.node_ids, ports, strict=True)
        }
        for node in self.nodes.values():
            url = (database_urls or {}).get(node.node_id)
            name = NAMES.get(node.node_id, node.node_id)
            hourbridge("init", "--node-id", node.node_id, "--region", REGION, "--url",
                       node.peer_url, "--port", str(node.port), "--name", name,
                       "--data", str(node.data), *(["--database-url", url] if url else []))
        # `init` leaves its database engine to the garbage collector: release its SQLite
        # connections now rather than hold the files open beside the running nodes.
        gc.collect()
        self._sign_directory()
        for node in self.nodes.values():
            node.token = hourbridge("token", "create", "--data", str(node.data), "--role",
                                    "admin", "--label", "it").strip().splitlines()[-1]

    def _sign_directory(self) -> None:
        authority = self.root / "authority"
        published = self.root / "directory.json"
        auth = ("--authority", str(authority))
        hourbridge("directory", "init", "--federation-id", FEDERATION_ID, *auth)
        anchor = hourbridge("directory", "anchor", *auth).strip().splitlines()[-1]
        for node in self.nodes.values():
            hourbridge("directory", "add-node", "--node-data", str(node.data), "--url",
                       node.peer_url, *auth)
        hourbridge("directory", "sign", "--publish", str(published), *auth)
        for node in self.nodes.values():
            # Pinned in node.toml, as an operator would: the node loads the file at start.
            config = load_config(node.data, env={})
            save_config(config.model_copy(update={"directory_source": str(published),
                                                  "directory_anchors": [anchor]}))

    # processes --------------------------------------------------------------------------------

    def __getitem__(self, node_id: str) -> NodeProcess:
        return self.nodes[node_id]

    def start(self, *node_ids: str, env: dict[str, dict[str, str]] | None = None) -> None:
        """Start these nodes (default: all) together and wait until each answers /healthz.
        `env`: extra HOURBRIDGE_* variables for this run, by node id (a crash point, say)."""
        chosen = [self.nodes[n] for n in (node_ids or self.node_ids)]
        for node in chosen:
            node.start((env or {}).get(node.node_id))
        self.wait_for(lambda: all(node.healthy() for node in chosen),
                      f"/healthz from {', '.join(n.node_id for n in chosen)}",
                      timeout_s=HEALTH_WAIT_S)

    def restart(self, node_id: str, env: dict[str, str] | None = None) -> None:
        node = self.nodes[node_id]
        if node.alive():
            node.kill()
        self.start(node_id, env={node_id: env or {}})

    def stop(self) -> None:
        """Stop every running node with SIGTERM; each must shut down cleanly."""
        alive = [node for node in self.nodes.values() if node.alive()]
        for node in alive:
            assert node.process is not None
            node.process.terminate()
        codes = {node.node_id: node.stop(signal_sent=True) for node in alive}
        bad = {n: c for n, c in codes.items() if c not in CLEAN_EXIT}
        if bad:
            raise HarnessError(f"unclean stop {bad}\n{self.tails()}")

    def close(self) -> None:
        """Teardown: whatever still runs is killed (a failed test must not leak processes)."""
        for node in self.nodes.values():
            if node.alive():
                node.kill()

    def tails(self) -> str:
        return "\n".join(node.tail() for node in self.nodes.values())

    # waiting ---------------------------------------------------------------------------------

    def wait_for(self, condition: Callable[[], T], what: str, *, timeout_s: float = 20.0) -> T:
        """Poll `condition` until it returns something truthy; fail after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise HarnessError(f"timed out after {timeout_s} s waiting for {what} "
                                   f"(last: {value!r})\n{self.tails()}")
            time.sleep(POLL_S)

    def wait_exit(self, node_id: str, timeout_s: float = 20.0) -> int:
        return self.nodes[node_id].wait_exit(timeout_s)

    # the API -----------------------------------------------------------------------------------

    def seed(self, node_id: str, members: list[str], *, minutes: int) -> None:
        """Register members over the API and grant each `minutes` of earned hours."""
        with self.nodes[node_id].client() as http:
            for local_id in members:
                made = http.post("/api/v1/members", json={"local_id": local_id,
                                                          "display_name": local_id})
                assert made.status_code == 201, made.text
                granted = http.post("/api/v1/grants", json={
                    "id": f"seed-{local_id}", "member": local_id, "amount_minutes": minutes,
                    "credit_class": "earned", "reason": "integration test"})
                assert granted.status_code == 201, granted.text
                # the admin token sends her gifts across nodes: her consent, by a guardian's
                # hand as the law asks while her birth year is unrecorded
                consent = http.put(f"/api/v1/members/{local_id}/consents/cross_node_gifts",
                                   json={"given": True, "guardian_name": "integration test"})
                assert consent.status_code == 200, consent.text

    def transfer(self, node_id: str, transfer_id: str, debtor: str, creditor: str,
                 minutes: int, http: httpx.Client | None = None) -> httpx.Response:
        body = {"id": transfer_id, "from": debtor, "to": creditor, "amount_minutes": minutes}
        if http is not None:
            return http.post("/api/v1/transfers", json=body)
        with self.nodes[node_id].client() as own:
            return own.post("/api/v1/transfers", json=body)

    def state(self, node_id: str, transfer_id: str) -> str:
        with self.nodes[node_id].client() as http:
            got = http.get(f"/api/v1/transfers/{transfer_id}")
        assert got.status_code == 200, got.text
        return str(got.json()["state"])

    def available(self, address: str) -> int:
        local_id, node_id = address.split("@")
        with self.nodes[node_id].client() as http:
            got = http.get(f"/api/v1/members/{local_id}/balance")
        assert got.status_code == 200, got.text
        return int(got.json()["available_minutes"])

    def open_transfers(self, node_id: str) -> int:
        return int(self.nodes[node_id].query(
            "SELECT count(*) FROM transfers WHERE state IN ('pending', 'in_doubt')")[0][0])

    # after the processes stopped -------------------------------------------------------------

    @contextmanager
    def opened(self) -> Iterator[Books]:
        """Every node's database opened in this process, as `hourbridge` commands open it."""
        running = [node.node_id for node in self.nodes.values() if node.alive()]
        assert not running, f"stop {running} before reading their books"
        nodes: dict[str, Node] = {}
        try:
            for node_id in self.node_ids:
                nodes[node_id] = open_node(load_config(self.nodes[node_id].data, env={}))
            yield Books(nodes, self.node_ids)
        finally:
            for node in nodes.values():
                node.close()


@dataclass
class Books:
    """What tests.audit.audit reads: the nodes by id (here opened from their folders)."""

    nodes: dict[str, Node]
    node_ids: list[str]


def check_books(cluster: Cluster) -> dict[str, int]:
    """Conservation across the federation, from every node's database after all stopped.

    tests.federation.audit (quiescent): every ledger verifies; each transfer is committed on
    both sides or neither, with the same prepare; each link's clearing balances cancel; nothing
    is reserved; hours held + in flight == hours issued. Here also: each link's two chain heads
    agree, every sent transaction was answered, and no request waits in an outbox.
    """
    with cluster.opened() as books:
        totals = audit(books)
        heads: dict[tuple[str, str], tuple[int, str, int, str]] = {}
        for node_id, node in books.nodes.items():
            with node.db.read() as conn:
                unanswered = conn.execute(select(out_transactions.c.transaction_id).where(
                    out_transactions.c.response.is_(None))).all()
                queued = conn.execute(select(outbox.c.message_id, outbox.c.type)).all()
                for row in conn.execute(select(links)):
                    assert row.frozen_reason is None, f"{node_id}->{row.peer_node_id} frozen"
                    heads[(node_id, row.peer_node_id)] = (row.out_sequence, row.out_hash,
                                                          row.in_sequence, row.in_hash)
            assert not unanswered, f"{node_id}: unanswered transactions {unanswered}"
            assert not queued, f"{node_id}: still queued {queued}"
        for (a, b), (out_seq, out_hash, _, _) in heads.items():
            _, _, in_seq, in_hash = heads.get((b, a), (0, GENESIS_HASH, 0, GENESIS_HASH))
            assert (out_seq, out_hash) == (in_seq, in_hash), \
                f"link {a}->{b}: sender at {out_seq}, receiver at {in_seq}"
    return totals
