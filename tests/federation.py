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
from collections.abc import Coroutine
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import func, select

from node.api.app import create_app
from node.clock import FakeClock
from node.db.schema import accounts, balances, links, remote_transfers, transfers
from node.exchange.transport import TRANSACTIONS_PATH, Reply, TransportError
from node.ledger.verify import verify_ledger
from node.runtime import Node
from node.services.access import Role
from tests.factories import ADMIN, add_members, grant
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

    def plan(self, sender: str, receiver: str, *faults: Fault | None) -> None:
        """The next transactions on this link meet these faults, in order (None: none)."""
        self.plans[(sender, receiver)].extend(faults)

    def transport(self, sender: str) -> NodeTransport:
        return NodeTransport(self, sender)

    async def deliver(self, receiver: str, body: bytes) -> Reply:
        if receiver in self.down:
            raise TransportError(f"{receiver} is down")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.apps[receiver]),
                                     base_url=f"http://{receiver}.test") as client:
            response = await client.post(TRANSACTIONS_PATH, content=body,
                                         headers={"content-type": "application/json"})
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

    async def aclose(self) -> None:
        return None


class Federation:
    def __init__(self, tmp_path: Path, node_ids: list[str], *, members: int = 0,
                 grant_minutes: int = 0, caps: dict[str, int] | None = None,
                 local_units: dict[str, tuple[str, int, int]] | None = None,
                 database_urls: dict[str, str] | None = None,
                 policy: dict[str, int] | None = None) -> None:
        self.tmp_path = tmp_path
        self.node_ids = node_ids
        self.database_urls = database_urls or {}  # node id -> URL; default SQLite in tmp_path
        self.clock = FakeClock(START_MS)
        self.network = Network(self.clock)
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
                    if grant_minutes:
                        grant(self.nodes[node_id], name, grant_minutes)

    def _open(self, node_id: str, *, bootstrap: bool) -> None:
        config = make_config(self.tmp_path / node_id, node_id,
                             self.database_urls.get(node_id, ""))
        node = build_node(config, self.clock, bootstrap=bootstrap,
                          transport=self.network.transport(node_id))
        self.nodes[node_id] = node
        self.network.apps[node_id] = create_app(node)

    def restart(self, node_id: str) -> None:
        """As after a crash: a new process opens the same database; memory is gone."""
        self.nodes[node_id].close()
        self._open(node_id, bootstrap=False)

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

    def transfer(self, node_id: str, transfer_id: str) -> dict[str, Any]:
        return self.call(node_id, "GET", f"/api/v1/transfers/{transfer_id}").json()

    def balance(self, address: str) -> int:
        local_id, node_id = address.split("@")
        return int(self.nodes[node_id].members.balance(ADMIN, local_id)["available_minutes"])

    def close(self) -> None:
        for node in self.nodes.values():
            node.close()
        self.loop.close()


def open_transfers(node: Node) -> int:
    with node.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(transfers).where(
            transfers.c.state.in_(("pending", "in_doubt")))).scalar_one())


def _totals(node: Node) -> dict[str, int]:
    with node.db.read() as conn:
        rows = conn.execute(
            select(accounts.c.kind, accounts.c.code, balances.c.balance_minutes)
            .select_from(accounts.join(balances))
        ).all()
    totals: dict[str, int] = defaultdict(int)
    for kind, code, value in rows:
        totals[kind] += value
        if kind == "clearing":
            totals[code] += value
    return totals


def audit(fed: Federation, *, quiescent: bool = True) -> dict[str, int]:
    """The federation's books, checked from every node's database. Returns the totals.

    Always: every ledger verifies (hash chain, balances replay, floors); every node's books
    balance; hours in members' hands, reserved or in flight equal the hours issued minus those
    redeemed; every transfer the creditor's node committed is committed or still open at the
    debtor's node (never released), and every transfer the debtor's node committed the
    creditor's node committed, with the same prepare. Quiescent (no transfer open): each link's
    two clearing balances cancel and nothing is reserved anywhere.
    """
    committed_at: dict[tuple[str, str], str] = {}
    for node_id, node in fed.nodes.items():
        with node.db.read() as conn:
            result = verify_ledger(conn, node_id=node_id, verify_key=node.signer.verify_key)
            assert result.ok, f"{node_id}: {result.problems[:3]}"
            for row in conn.execute(select(remote_transfers).where(
                    remote_transfers.c.state == "committed")):
                committed_at[(row.debtor_node, row.transfer_id)] = row.prepare_hash
    in_flight = 0
    seen = 0
    totals = {node_id: _totals(node) for node_id, node in fed.nodes.items()}
    for node_id, node in fed.nodes.items():
        assert sum(v for k, v in totals[node_id].items() if ":" not in k) == 0, node_id
        with node.db.read() as conn:
            rows = conn.execute(select(transfers).where(transfers.c.peer_node_id.is_not(None)))
            for row in rows:
                held = committed_at.get((node_id, row.wire_id))
                if row.state == "committed":
                    assert held == row.prepare_hash, f"{row.id}: committed here, not at peer"
                    seen += 1
                elif row.state in ("rejected", "expired"):
                    assert held is None, f"{row.id}: released here but committed at the peer"
                else:
                    assert not quiescent, f"{row.id} still {row.state}"
                    if held is not None:
                        in_flight += row.amount_minutes
                        seen += 1
    assert seen == len(committed_at), "a peer committed a transfer no debtor node sent"
    clearing = sum(t.get("clearing", 0) for t in totals.values())
    assert clearing + in_flight == 0, f"clearing {clearing} + in flight {in_flight} != 0"
    issued = -sum(t.get("issuance", 0) for t in totals.values())
    held = sum(t.get("member", 0) + t.get("pending", 0) for t in totals.values())
    gone = sum(t.get("redemption", 0) + t.get("expiry", 0) for t in totals.values())
    # Hours a creditor's node credited while the debtor's node still holds them reserved are
    # counted on both sides until the receipt arrives: exactly the in-flight amount.
    assert held + gone == issued + in_flight, "hours created or destroyed"
    for node_id, node in fed.nodes.items():
        with node.db.read() as conn:
            reserved = conn.execute(select(func.coalesce(func.sum(links.c.reserved_minutes), 0))
                                    ).scalar_one()
        assert reserved == totals[node_id].get("pending", 0), \
            f"{node_id}: links say {reserved} minutes reserved, the pending account holds " \
            f"{totals[node_id].get('pending', 0)}"
    if quiescent:
        for a in fed.node_ids:
            assert totals[a].get("pending", 0) == 0, f"{a} still holds reservations"
            for b in fed.node_ids:
                if a < b:
                    ab = totals[a].get(f"clearing:{b}", 0)
                    ba = totals[b].get(f"clearing:{a}", 0)
                    assert ab + ba == 0, f"link {a}/{b}: {ab} + {ba} != 0"
    return {"issued": issued, "held": held, "clearing": clearing, "in_flight": in_flight}
