"""The simulated federation: real nodes on one FakeClock behind the simulation's network, with
every source of randomness the nodes use tied to the seed.

The nodes draw their ids (transfer, message and transaction ids, journal entry ids) from
uuid.uuid4; the ids order the outbox, so they decide which prepares share a transaction. While a
run lasts, uuid.uuid4 draws from a random source seeded by the run, and the crash points of
node/exchange/faults.py are the network's. Both are put back when the run ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.exchange import faults
from node.exchange.outbound import Pumped, Round
from node.exchange.window import wait_turns
from protocol.directory import decode_directory
from protocol.links import sign_links
from tests.federation import Federation
from tests.simulation.network import NodeDied, SimNetwork, acting
from tests.support import AUTHORITY, START_MS

CITIES = ["bj-chaoyang", "nj-gulou", "sh-pudong"]
HUBS = ["js-hub", "zj-hub"]  # clearing hubs (standard §22): they hold no members here
NODE_IDS = CITIES + HUBS
# Link maps (hops_max, links) of the topologies with hubs; "mesh" has none (a full mesh).
#   star:  every city links to js-hub; nj-gulou and sh-pudong also trade directly
#   chain: bj-chaoyang and nj-gulou link to js-hub, sh-pudong to zj-hub, the hubs to each
#          other, so bj-chaoyang pays sh-pudong over three links
TOPOLOGIES: dict[str, tuple[int, list[tuple[str, str]]] | None] = {
    "mesh": None,
    "star": (2, [("bj-chaoyang", "js-hub"), ("js-hub", "nj-gulou"), ("js-hub", "sh-pudong"),
                 ("nj-gulou", "sh-pudong")]),
    "chain": (3, [("bj-chaoyang", "js-hub"), ("js-hub", "nj-gulou"), ("js-hub", "zj-hub"),
                  ("sh-pudong", "zj-hub")]),
}
MEMBERS = 4  # m0..m3 at every node
GRANT_MINUTES = 300
UNCAPPED_MINUTES = 60_000
WINDOWS = (1, 2, 3, 4, 8)  # a node's window, drawn per node for sending and for accepting


@dataclass(frozen=True)
class Shape:
    """What the seed decides before the first step."""

    nodes: int  # 2 or 3
    cap_minutes: int  # every node's net debit cap toward each partner
    fault_rate: float  # share of transactions that meet a network fault
    # Per node: the window it sends with and the one it accepts (standard §6.5); a link's
    # window is the smaller of its sender's and its receiver's.
    windows: tuple[tuple[int, int], ...] = ((1, 1),) * len(NODE_IDS)
    batch_size_max: int = 100  # the policy's: small, so that a window fills
    topology: str = "mesh"  # a key of TOPOLOGIES

    def node_ids(self) -> list[str]:
        if self.topology == "mesh":
            return CITIES[:self.nodes]
        return CITIES + (HUBS if self.topology == "chain" else HUBS[:1])

    @classmethod
    def draw(cls, rng: random.Random) -> Shape:
        shape = cls(nodes=rng.choice((2, 3, 3)),
                    cap_minutes=rng.choice((120, 300, UNCAPPED_MINUTES)),
                    fault_rate=rng.choice((0.1, 0.25, 0.4)))
        windows = tuple((rng.choice(WINDOWS), rng.choice(WINDOWS)) for _ in NODE_IDS)
        return dataclasses.replace(shape, windows=windows,
                                   batch_size_max=rng.choice((1, 2, 100)),
                                   topology=rng.choice(("mesh", "mesh", "star", "chain")))


class SimFederation(Federation):
    network_type = SimNetwork
    network: SimNetwork

    def __init__(self, *args: Any, shape: Shape, **kwargs: Any) -> None:
        self.shape = shape  # before the nodes open: each takes its windows from it
        super().__init__(*args, **kwargs)

    def act(self, node_id: str) -> contextlib.AbstractContextManager[None]:
        """Calls made inside this block are the node `node_id`'s (its crash points fire)."""
        return acting(node_id)

    def _open(self, node_id: str, *, bootstrap: bool) -> None:
        super()._open(node_id, bootstrap=bootstrap)
        exchange = self.nodes[node_id].exchange
        sends, accepts = self.shape.windows[self.node_ids.index(node_id)]
        exchange.courier.windows.own = exchange.courier.lanes = sends
        exchange.inbox.window = accepts
        injected = self.network.injected

        async def hold(event: asyncio.Event) -> bool:
            injected["window:held"] += 1
            moved = await wait_turns(event)
            injected["window:held_then_placed" if moved else "window:held_then_refused"] += 1
            return moved
        exchange.inbox.arrivals.wait = hold

    def pump(self, sender: str, receiver: str) -> Round:
        """A window's worth of round trips on the link at once (standard §6.5), each its own
        task; a node that died in one is dead for all (NodeDied once they are done)."""
        courier = self.nodes[sender].exchange.courier
        lanes = courier.window(receiver)
        if lanes == 1:
            return super().pump(sender, receiver)  # type: ignore[no-any-return]

        async def together() -> list[Round | BaseException]:
            return await asyncio.gather(*(courier.pump(receiver) for _ in range(lanes)),
                                        return_exceptions=True)
        self.network.injected[f"window:pumped_{lanes}_at_once"] += 1
        results = self.run(together())
        for result in results:
            if isinstance(result, BaseException):
                raise result
        rounds = [r for r in results if isinstance(r, Round)]
        self.network.injected["window:gap_in_window"] += sum(
            r.detail.startswith("sequence_gap in the window") for r in rounds)
        delivered = [r for r in rounds if r.outcome is Pumped.DELIVERED]
        if len(delivered) > 1:
            self.network.injected["window:delivered_together"] += 1
        if delivered:
            return Round(Pumped.DELIVERED, messages=sum(r.messages for r in delivered))
        return rounds[0]

    def restart(self, node_id: str, *, read_capabilities: bool = True) -> None:
        self.network.dying.discard(node_id)
        if node_id in HUBS:
            self.network.injected["crash:hub_restarted"] += 1
        super().restart(node_id, read_capabilities=read_capabilities)

    def restart_crashed(self) -> list[str]:
        crashed = self.network.crashed
        self.network.crashed = []
        self.network.down.difference_update(crashed)  # all up before any reads its peers
        for node_id in crashed:
            self.restart(node_id)
        return crashed




def _hand_out_link_map(fed: SimFederation, shape: Shape) -> None:
    """The authority signs the topology's link map, each link capped like the directory's
    partner caps, and every node holds it (a mesh has none)."""
    topology = TOPOLOGIES[shape.topology]
    if topology is None:
        return
    hops_max, pairs = topology
    body = {"hops_max": hops_max, "links": [
        {"a": a, "b": b, "a_cap_minutes": shape.cap_minutes, "b_cap_minutes": shape.cap_minutes}
        for a, b in pairs]}
    document = sign_links(body, authority=AUTHORITY, directory=decode_directory(fed.directory),
                          serial=1, issued_at_ms=START_MS)
    for node in fed.nodes.values():
        node.link_maps.accept(document)


@contextmanager
def seeded_world(tmp_path: Path, seed: int, shape: Shape) -> Iterator[SimFederation]:
    ids = random.Random(f"ids:{seed}")
    real_uuid4, real_point = uuid.uuid4, faults.point
    uuid.uuid4 = lambda: uuid.UUID(int=ids.getrandbits(128), version=4)
    fed: SimFederation | None = None
    try:
        node_ids = shape.node_ids()
        fed = SimFederation(tmp_path, node_ids, shape=shape, members=MEMBERS,
                            grant_minutes=GRANT_MINUTES,
                            caps=dict.fromkeys(node_ids, shape.cap_minutes),
                            policy={"batch_size_max": shape.batch_size_max})
        _hand_out_link_map(fed, shape)
        fed.network.rng = random.Random(f"network:{seed}")
        fed.network.fault_rate = shape.fault_rate
        fed.network.windowed = any(min(sends, accepts) > 1 for sends, accepts in shape.windows)
        faults.point = fed.network.point  # type: ignore[assignment]
        yield fed
    finally:
        uuid.uuid4, faults.point = real_uuid4, real_point  # type: ignore[assignment]
        if fed is not None:
            fed.close()


__all__ = ["NodeDied", "Shape", "SimFederation", "seeded_world"]
