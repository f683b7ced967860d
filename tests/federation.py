"""In-process federations for tests: several real nodes (real databases, real signatures), one
FakeClock, and a network between them that a test can make lose, repeat, replay or delay
transactions, plus the conservation auditor every federation test ends with.

Everything runs on one event loop owned by the Federation, so a test stays a plain function:

    fed = Federation(tmp_path, ["sh-pudong", "nj-gulou"])
    fed.call("sh-pudong", "POST", "/api/v1/transfers", {...})
    fed.settle()
    audit(fed)
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import httpx

from node.access import Role
from node.api.app import create_app
from node.clock import FakeClock
from node.exchange.transport import TRANSACTIONS_PATH, Reply, TransportError
from node.exchange.window import WINDOW_HEADER, parse_window, wait_turns
from node.runtime import Node
from tests.audit import audit, open_transfers
from tests.factories import ADMIN, add_members, give_consent, grant
from tests.support import START_MS, build_node, directory_document, make_config

T = TypeVar("T")


class Fault(StrEnum):
    DROP_REQUEST = "drop_request"  # the transaction never arrives
    DROP_RESPONSE = "drop_response"  # it arrives and is processed; the answer is lost
    DUPLICATE = "duplicate"  # it arrives twice; the sender sees the second answer
    REPLAY_OLD = "replay_old"  # an earlier transaction on the link arrives again first
    DELAY_PAST_EXPIRY = "delay_past_expiry"  # held in the network until transfers expired
    CRASH_BEFORE_SEND = "crash_before_send"  # the sender dies after committing, before sending
    CRASH_BEFORE_REPLY = "crash_before_reply"  # the receiver dies after committing, before
    #                                            replying


class Crash(Exception):
    """A node process died at a crash point; the test restarts it from its database."""


@dataclass
class Delivery:
    sender: str
    receiver: str
    body: bytes
    fault: Fault | None


class Network:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.apps: dict[str, Any] = {}
        self.plans: dict[tuple[str, str], list[Fault | None]] = defaultdict(list)
        self.sent: dict[tuple[str, str], list[bytes]] = defaultdict(list)
        self.log: list[Delivery] = []
        self.delay_ms = 0
        self.down: set[str] = set()
        self.tamper: Callable[[str, str, Reply], Reply] | None = None

    def plan(self, sender: str, receiver: str, *faults: Fault | None) -> None:
        """The next transactions on this link meet these faults, in order (None: none)."""
        self.plans[(sender, receiver)].extend(faults)

    def transport(self, sender: str) -> NodeTransport:
        return NodeTransport(self, sender)

    async def deliver(self, receiver: str, body: bytes, path: str = TRANSACTIONS_PATH) -> Reply:
        if receiver in self.down:
            raise TransportError(f"{receiver} is down")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.apps[receiver]),
                                     base_url=f"http://{receiver}.test") as client:
            response = await client.post(path, content=body,
                                         headers={"content-type": "application/json"})
        return Reply(response.status_code, response.content,
                     response.headers.get("content-type", ""),
                     parse_window(response.headers.get(WINDOW_HEADER)))


    async def fetch(self, receiver: str, path: str) -> Reply:
        """GET a document a node publishes (its node_info), from its real app."""
        if receiver in self.down:
            raise TransportError(f"{receiver} is down")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.apps[receiver]),
                                     base_url=f"http://{receiver}.test") as client:
            response = await client.get(path)
        return Reply(response.status_code, response.content,
                     response.headers.get("content-type", ""))


class NodeTransport:
    def __init__(self, network: Network, sender: str) -> None:
        self.network = network
        self.sender = sender

    async def post(self, base_url: str, body: bytes) -> Reply:
        receiver = base_url.removeprefix("http://").removesuffix(".test")
        link = (self.sender, receiver)
        plan = self.network.plans[link]
        fault = plan.pop(0) if plan else None
        self.network.log.append(Delivery(self.sender, receiver, body, fault))
        if fault is Fault.CRASH_BEFORE_SEND:
            raise Crash(self.sender)
        if fault is Fault.DROP_REQUEST:
            raise TransportError("request lost")
        if fault is Fault.DELAY_PAST_EXPIRY:
            self.network.clock.advance(self.network.delay_ms)
        if fault is Fault.REPLAY_OLD and self.network.sent[link]:
            await self.network.deliver(receiver, self.network.sent[link][0])
        self.network.sent[link].append(body)
        reply = await self.network.deliver(receiver, body)
        if fault is Fault.DUPLICATE:
            reply = await self.network.deliver(receiver, body)
        if fault is Fault.CRASH_BEFORE_REPLY:
            raise Crash(receiver)
        if fault is Fault.DROP_RESPONSE:
            raise TransportError("response lost")
        return reply

    async def call(self, base_url: str, path: str, body: bytes) -> Reply:
        """Other federation endpoints (reconciliation): no planned faults, but `down` holds and
        `tamper` may rewrite the reply (tests of a peer whose signatures break)."""
        receiver = base_url.removeprefix("http://").removesuffix(".test")
        reply = await self.network.deliver(receiver, body, path)
        if self.network.tamper is not None:
            reply = self.network.tamper(receiver, path, reply)
        return reply

    async def get(self, base_url: str, path: str, *, limit_bytes: int,
                  timeout_s: float) -> Reply:
        """A node's published documents: `down` holds, `tamper` may rewrite the reply."""
        receiver = base_url.removeprefix("http://").removesuffix(".test")
        reply = await self.network.fetch(receiver, path)
        if self.network.tamper is not None:
            reply = self.network.tamper(receiver, path, reply)
        return Reply(reply.status, reply.body[:limit_bytes + 1], reply.content_type)

    async def aclose(self) -> None:
        return None


class Federation:
    network_type: type[Network] = Network  # a subclass may bring its own (tests/simulation)

    def __init__(self, tmp_path: Path, node_ids: list[str], *, members: int = 0,
                 grant_minutes: int = 0, caps: dict[str, int] | None = None,
                 local_units: dict[str, tuple[str, int, int]] | None = None,
                 database_urls: dict[str, str] | None = None,
                 policy: dict[str, int] | None = None) -> None:
        self.tmp_path = tmp_path
        self.node_ids = node_ids
        self.database_urls = database_urls or {}  # node id -> URL; default SQLite in tmp_path
        self.clock = FakeClock(START_MS)
        self.network = self.network_type(self.clock)
        self.loop = asyncio.new_event_loop()
        self.directory = directory_document(node_ids, caps=caps, local_units=local_units,
                                            policy=policy)
        self.nodes: dict[str, Node] = {}
        self.tokens: dict[str, str] = {}
        self._ids = itertools.count(1)
        for node_id in node_ids:
            self._open(node_id, bootstrap=True)
            self.nodes[node_id].federation.accept(self.directory)
            self.tokens[node_id] = self.nodes[node_id].tokens.create(
                role=Role.ADMIN, label="admin").token
            names = [f"m{i}" for i in range(members)]
            if names:
                add_members(self.nodes[node_id], *names)
                for name in names:
                    # the admin sends gifts across nodes for them (node/services/transfers.py)
                    give_consent(self.nodes[node_id], name, "cross_node_gifts")
                    if grant_minutes:
                        grant(self.nodes[node_id], name, grant_minutes)
        self.read_capabilities()

    def read_capabilities(self, *node_ids: str) -> None:
        """Each node reads its peers' node_info now (standard §16.2), as a running node does at
        start in the background: before the first routed transfer, deterministically."""
        for node_id in node_ids or self.node_ids:
            self.run(self.nodes[node_id].exchange.capabilities.read_all())

    def _open(self, node_id: str, *, bootstrap: bool) -> None:
        config = make_config(self.tmp_path / node_id, node_id,
                             self.database_urls.get(node_id, ""))
        node = build_node(config, self.clock, bootstrap=bootstrap,
                          transport=self.network.transport(node_id))
        # An early arrival (standard §6.5) waits turns of the loop, not seconds: in one
        # process whatever can arrive is already on its way, and time must not decide.
        node.exchange.inbox.arrivals.wait = wait_turns
        self.nodes[node_id] = node
        self.network.apps[node_id] = create_app(node)

    def restart(self, node_id: str, *, read_capabilities: bool = True) -> None:
        """As after a crash: a new process opens the same database; memory is gone. It reads
        its peers' node_info before anything else happens, unless `read_capabilities` is False
        (a node whose background read has not run yet)."""
        self.nodes[node_id].close()
        self._open(node_id, bootstrap=False)
        if read_capabilities:
            self.read_capabilities(node_id)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def call(self, node_id: str, method: str, path: str, body: dict[str, Any] | None = None,
             ) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.network.apps[node_id]),
                base_url=f"http://{node_id}.test",
            ) as client:
                return await client.request(
                    method, path, json=body,
                    headers={"Authorization": f"Bearer {self.tokens[node_id]}"},
                )
        return self.run(go())

    def send(self, debtor: str, creditor: str, minutes: int, *, transfer_id: str = "",
             memo: str = "") -> httpx.Response:
        """POST a transfer at the debtor's home node."""
        node_id = debtor.split("@")[1]
        return self.call(node_id, "POST", "/api/v1/transfers", {
            "id": transfer_id or f"t{next(self._ids)}", "from": debtor, "to": creditor,
            "amount_minutes": minutes, "memo": memo,
        })

    def pump(self, sender: str, receiver: str) -> Any:
        return self.run(self.nodes[sender].exchange.courier.pump(receiver))

    def tick(self) -> None:
        for node in self.nodes.values():
            self.run(node.exchange.tick())

    def settle(self, *, crash_ok: bool = False) -> None:
        """Deliver everything deliverable now, on every link (restarting crashed nodes)."""
        retries = 0
        for _ in range(100):
            progressed = False
            retried = False
            for node_id in self.node_ids:
                try:
                    rounds = self.run(self.nodes[node_id].exchange.settle())
                except Crash as crash:
                    assert crash_ok, f"unplanned crash of {crash}"
                    self.restart(str(crash))
                    progressed = True
                    continue
                progressed = progressed or any(r.outcome == "delivered" for r in rounds)
                retried = retried or any(r.outcome == "retry" for r in rounds)
            # A retry (a lost message, a re-signature) goes again at once, a few times: the
            # runner would after its backoff; a peer that stays down stops the loop.
            retries = 0 if progressed else retries + retried
            if not progressed and not (retried and retries <= 3):
                return

    def heal(self) -> None:
        """Run time forward past every expiry and settle, until nothing is open anywhere."""
        for _ in range(20):
            self.settle(crash_ok=True)
            if not any(open_transfers(node) for node in self.nodes.values()):
                return
            self.clock.advance(60_000)
            self.tick()
        raise AssertionError("transfers still open after healing")

    def close_window(self, node_id: str, peer: str) -> dict[str, Any]:
        """`node_id` closes the next settlement window with `peer` and reconciles it."""
        return self.run(self.nodes[node_id].reconciler.close(peer))

    def reconcile(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Close a window on every link that carried anything (the smaller node id closes),
        and return each window's view by (closer, peer)."""
        views: dict[tuple[str, str], dict[str, Any]] = {}
        for node_id in self.node_ids:
            for peer in self.nodes[node_id].reconciler.peers():
                if node_id < peer:
                    views[(node_id, peer)] = self.close_window(node_id, peer)
        return views

    def transfer(self, node_id: str, transfer_id: str) -> dict[str, Any]:
        return self.call(node_id, "GET", f"/api/v1/transfers/{transfer_id}").json()

    def balance(self, address: str) -> int:
        local_id, node_id = address.split("@")
        return int(self.nodes[node_id].members.balance(ADMIN, local_id)["available_minutes"])

    def close(self) -> None:
        for node in self.nodes.values():
            node.close()
        self.loop.close()


__all__ = ["Crash", "Fault", "Federation", "Network", "audit", "open_transfers"]
