"""docker-compose.yml's federation, run from the compose file's own commands as processes.

No container engine can pull an image on these machines (docs/decisions.md, "docker-compose as
a federation": podman's exact error), so this test reads docker-compose.yml and the Dockerfile
and runs each HourBridge service's entrypoint (scripts/compose/*.sh) as a process on loopback,
in the compose file's start order: the authority first, the nodes once its healthcheck passes.
Named volumes become temporary folders (the shared `federation` volume one folder for all), the
image's paths become the checkout's (the Dockerfile's COPY lines), `http://<service>:8700` and
the ports become free loopback ports, and each node's PostgreSQL a database of its own on the
server HOURBRIDGE_TEST_PG_URL names (CI starts one), else SQLite in the node's folder. Then the
test makes a cross-node transfer through the federation and checks it committed on both sides.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import yaml

from node.access import Role
from node.config import load_config
from node.runtime import open_node
from tests.integration.processes import free_ports
from tests.support import pg_url

ROOT = Path(__file__).resolve().parents[2]
CONTAINER_PORT = 8700
START_WAIT_S = 120.0  # some 15 s on an idle machine; CI shares two cores with other tests
SETTLE_WAIT_S = 20.0
POLL_S = 0.25
STOP_WAIT_S = 10.0
GIFT_MINUTES = 120

pytestmark = pytest.mark.slow


def interpolate(text: str) -> str:
    """Compose's `${VAR:-default}` with every variable unset, and `$$` as `$`."""
    return re.sub(r"\$\$|\$\{\w+:-([^}]*)\}",
                  lambda m: "$" if m.group(0) == "$$" else m.group(1), text)


def image_paths() -> dict[str, Path]:
    """Where the Dockerfile's COPY lines put the checkout's folders in the image."""
    paths = {}
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.startswith("COPY "):
            *sources, target = shlex.split(line)[1:]
            if len(sources) == 1 and target.startswith("/"):
                paths[target] = ROOT / sources[0]
    return paths


@dataclass
class Service:
    name: str
    spec: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # container path -> this machine's
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    token: str = ""  # an admin token, once the node is up

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10,
                            headers={"Authorization": f"Bearer {self.token}"})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self) -> str:
        text = self.log.read_text(errors="replace") if self.log and self.log.exists() else ""
        return f"--- {self.name}\n" + "\n".join(text.splitlines()[-20:])


class Topology:
    """docker-compose.yml's HourBridge services, remapped to this machine."""

    def __init__(self, root: Path, databases: Databases) -> None:
        compose = yaml.safe_load(interpolate((ROOT / "docker-compose.yml").read_text("utf-8")))
        self.root = root
        self.services = {name: Service(name, spec) for name, spec in compose["services"].items()
                         if spec.get("image", "").startswith("hourbridge")}
        ports = free_ports(len(self.services))
        for service, port in zip(self.services.values(), ports, strict=True):
            service.port = port if "ports" in service.spec else 0
        image = {target: str(source) for target, source in image_paths().items()}
        for service in self.services.values():
            # Each service sees the image's folders and its own volumes (one folder per name).
            service.paths = image | {
                target: str(root / name) for name, target in
                (str(volume).split(":")[:2] for volume in service.spec.get("volumes", []))}
        for service in self.services.values():
            service.env = {k: self.remap(service, str(v))
                           for k, v in service.spec["environment"].items()}
            if "HB_PORT" in service.env or service.port:
                service.env |= {"HB_HOST": "127.0.0.1", "HB_PORT": str(service.port)}
            if "HOURBRIDGE_DATABASE_URL" in service.env:
                service.env["HOURBRIDGE_DATABASE_URL"] = databases.url_for(service.name)
        self.nodes = [s for s in self.services.values() if "HB_NODE_ID" in s.env]
        self.authority = next(s for s in self.services.values() if "HB_AUTHORITY" in s.env)

    def remap(self, service: Service, value: str) -> str:
        """A value as `service` sees it in its container, as it is on this machine."""
        for other in self.services.values():
            if other.port:
                value = value.replace(f"http://{other.name}:{CONTAINER_PORT}", other.url)
        # The longest container path first: /opt/hourbridge/policies before /opt/hourbridge.
        for target in sorted(service.paths, key=len, reverse=True):
            if value == target or value.startswith(target + "/"):
                return service.paths[target] + value[len(target):]
        return value

    def command(self, service: Service) -> list[str]:
        shell, script = service.spec["entrypoint"]
        assert shell == "/bin/sh" and script.startswith("/opt/"), service.spec["entrypoint"]
        return ["sh", self.remap(service, script)]

    def start(self, service: Service) -> None:
        # PATH: the project's hourbridge and python3, as the image's PATH has them.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOURBRIDGE_", "HB_"))}
        env |= {"PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
                "HB_POLL_S": "1", **{k: v for k, v in service.env.items() if v}}
        service.log = self.root / f"{service.name}.log"
        with service.log.open("ab") as log:
            service.process = subprocess.Popen(self.command(service), env=env, stdout=log,
                                               stderr=subprocess.STDOUT, start_new_session=True)

    def healthy(self, service: Service) -> bool:
        """The service's own compose healthcheck, run here with the remapped paths and port."""
        assert service.process is not None
        if service.process.poll() is not None:
            raise AssertionError(f"{service.name} exited {service.process.returncode}\n"
                                 f"{self.tails()}")
        if service.port and not self.answers(service):
            return False  # cheaper than a python process per poll; the check itself follows
        test = [self.remap(service, str(part)).replace(f"127.0.0.1:{CONTAINER_PORT}",
                                              f"127.0.0.1:{service.port}")
                for part in service.spec["healthcheck"]["test"]]
        assert test[0] == "CMD", test
        argv = [sys.executable if test[1] == "python" else test[1], *test[2:]]
        return subprocess.run(argv, capture_output=True, timeout=10).returncode == 0

    @staticmethod
    def answers(service: Service) -> bool:
        try:
            return httpx.get(f"{service.url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def wait_for(self, what: str, check: Callable[[], bool], deadline: float) -> None:
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} not reached\n{self.tails()}")
            time.sleep(POLL_S)

    def tails(self) -> str:
        return "\n".join(service.tail() for service in self.services.values())

    def stop(self) -> None:
        running = [s.process for s in self.services.values() if s.process is not None]
        for process in running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)  # its own session: sh and its children
        for process in running:
            try:
                process.wait(timeout=STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


class Databases:
    """One database per node on the test PostgreSQL server, or SQLite (an empty URL)."""

    def __init__(self) -> None:
        admin_url = pg_url()
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT") \
            if admin_url else None
        self.made: list[str] = []
        self.tag = uuid.uuid4().hex[:8]

    def url_for(self, service: str) -> str:
        if self.admin is None:
            return ""
        name = f"hb_compose_{self.tag}_{service.replace('-', '_')}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.made.append(name)
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def drop(self) -> None:
        if self.admin is None:
            return
        with self.admin.connect() as conn:
            for name in self.made:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture
def topology(tmp_path: Path) -> Iterator[Topology]:
    databases = Databases()
    made = Topology(tmp_path, databases)
    try:
        yield made
    finally:
        made.stop()
        databases.drop()


def admin_token(node: Service) -> str:
    """As `hourbridge token create --role admin` would, in this process."""
    env = {k: v for k, v in node.env.items() if k.startswith("HOURBRIDGE_") and v}
    opened = open_node(load_config(Path(node.env["HB_DATA"]), env=env))
    try:
        return opened.tokens.create(role=Role.ADMIN, label="compose test").token
    finally:
        opened.close()


def post(http: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = http.post(path, json=body)
    assert reply.status_code in (200, 201), f"{path}: {reply.status_code} {reply.text}"
    return dict(reply.json())


def start_in_compose_order(topology: Topology) -> None:
    """The authority, then the nodes once it is healthy (their `depends_on`), until healthy."""
    deadline = time.monotonic() + START_WAIT_S
    topology.start(topology.authority)
    topology.wait_for("authority healthy", partial(topology.healthy, topology.authority),
                      deadline)
    for node in topology.nodes:
        topology.start(node)
    for node in topology.nodes:
        topology.wait_for(f"{node.name} healthy", partial(topology.healthy, node), deadline)
    for node in topology.nodes:
        node.token = admin_token(node)


def check_federation(topology: Topology) -> None:
    """Each node on its own database, holding the authority's directory that lists all three,
    each in its policy's unit, and running its city's policy."""
    anchor = (Path(topology.authority.env["HB_FEDERATION"]) / "anchor").read_text().strip()
    for node in topology.nodes:
        on_sqlite = not node.env.get("HOURBRIDGE_DATABASE_URL")
        assert (Path(node.env["HB_DATA"]) / "node.db").exists() == on_sqlite
        with node.client() as http:
            held = http.get("/federation/v1/directory").json()
            policy = http.get("/api/v1/policy").json()
        signers = held["signatures"][topology.authority.env["HB_FEDERATION_ID"]]
        assert list(signers) == [anchor.split("=")[0]], held
        assert {n["base_url"] for n in held["nodes"]} == {n.url for n in topology.nodes}
        listed = next(n for n in held["nodes"] if n["node_id"] == node.env["HB_NODE_ID"])
        assert listed["local_unit"]["minutes"] == policy["unit"]["minutes"]
        assert Path(node.env["HB_POLICY"]).stem.split("-")[0] in policy["programme"], policy


def test_compose_topology_runs_as_processes_and_carries_a_transfer(topology: Topology) -> None:
    assert len(topology.nodes) == 3, "the compose file runs three nodes"
    start_in_compose_order(topology)
    check_federation(topology)

    # Shanghai's rules allow gifts to relatives and friends: a son in Shanghai gives his mother
    # in Nanjing two hours.
    by_id = {node.env["HB_NODE_ID"]: node for node in topology.nodes}
    sh, nj = by_id["sh-pudong"], by_id["nj-gulou"]
    with nj.client() as http:
        post(http, "/api/v1/members", {"local_id": "wang-fang", "display_name": "王芳",
                                       "birth_year": 1944})
    with sh.client() as http:
        post(http, "/api/v1/members", {"local_id": "li-wei", "display_name": "李伟",
                                       "birth_year": 1970})
        post(http, "/api/v1/grants", {"id": "g-1", "member": "li-wei", "amount_minutes": 600,
                                      "credit_class": "earned", "reason": "compose test"})
        post(http, "/api/v1/members/li-wei/kin", {"relative": "wang-fang@nj-gulou",
                                                  "relation": "parent"})
        consent = http.put("/api/v1/members/li-wei/consents/cross_node_gifts",
                           json={"given": True})
        assert consent.status_code == 200, consent.text
        post(http, "/api/v1/transfers", {"id": "gift-1", "from": "li-wei",
                                         "to": "wang-fang@nj-gulou",
                                         "amount_minutes": GIFT_MINUTES})

    def committed() -> bool:
        with sh.client() as http:
            return bool(http.get("/api/v1/transfers/gift-1").json()["state"] == "committed")

    topology.wait_for("gift-1 committed at sh-pudong", committed,
                      time.monotonic() + SETTLE_WAIT_S)
    with nj.client() as http:
        balance = http.get("/api/v1/members/wang-fang/balance").json()
        lines = http.get("/api/v1/members/wang-fang/statement").json()["items"]
    assert balance["available_minutes"] == GIFT_MINUTES, balance
    assert any(line.get("peer_node") == "sh-pudong" and line["amount_minutes"] == GIFT_MINUTES
               for line in lines), lines
    with sh.client() as http:
        left = http.get("/api/v1/members/li-wei/balance").json()
    assert left["available_minutes"] == 600 - GIFT_MINUTES, left
