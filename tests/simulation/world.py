"""The simulated federation: real nodes on one FakeClock behind the simulation's network, with
every source of randomness the nodes use tied to the seed.

The nodes draw their ids (transfer, message and transaction ids, journal entry ids) from
uuid.uuid4; the ids order the outbox, so they decide which prepares share a transaction. While a
run lasts, uuid.uuid4 draws from a random source seeded by the run, and the crash points of
node/exchange/faults.py are the network's. Both are put back when the run ends.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from node.exchange import faults
from tests.federation import Federation
from tests.simulation.network import NodeDied, SimNetwork

NODE_IDS = ["bj-chaoyang", "nj-gulou", "sh-pudong"]
MEMBERS = 4  # m0..m3 at every node
GRANT_MINUTES = 300
UNCAPPED_MINUTES = 60_000


@dataclass(frozen=True)
class Shape:
    """What the seed decides before the first step."""

    nodes: int  # 2 or 3
    cap_minutes: int  # every node's net debit cap toward each partner
    fault_rate: float  # share of transactions that meet a network fault

    @classmethod
    def draw(cls, rng: random.Random) -> Shape:
        return cls(nodes=rng.choice((2, 3, 3)),
                   cap_minutes=rng.choice((120, 300, UNCAPPED_MINUTES)),
                   fault_rate=rng.choice((0.1, 0.25, 0.4)))


class SimFederation(Federation):
    network_type = SimNetwork
    network: SimNetwork

    def act(self, node_id: str) -> _Acting:
        """Calls made inside this block are the node `node_id`'s (its crash points fire)."""
        return _Acting(self.network, node_id)

    def restart_crashed(self) -> list[str]:
        crashed = self.network.crashed
        self.network.crashed = []
        for node_id in crashed:
            self.network.down.discard(node_id)
            self.restart(node_id)
        return crashed


class _Acting:
    def __init__(self, network: SimNetwork, node_id: str) -> None:
        self.network = network
        self.node_id = node_id

    def __enter__(self) -> None:
        self.network.actors.append(self.node_id)

    def __exit__(self, *exc: object) -> None:
        self.network.actors.pop()


@contextmanager
def seeded_world(tmp_path: Path, seed: int, shape: Shape) -> Iterator[SimFederation]:
    ids = random.Random(f"ids:{seed}")
    real_uuid4, real_point = uuid.uuid4, faults.point
    uuid.uuid4 = lambda: uuid.UUID(int=ids.getrandbits(128), version=4)
    fed: SimFederation | None = None
    try:
        node_ids = NODE_IDS[:shape.nodes]
        fed = SimFederation(tmp_path, node_ids, members=MEMBERS, grant_minutes=GRANT_MINUTES,
                            caps=dict.fromkeys(node_ids, shape.cap_minutes))
        fed.network.rng = random.Random(f"network:{seed}")
        fed.network.fault_rate = shape.fault_rate
        faults.point = fed.network.point  # type: ignore[assignment]
        yield fed
    finally:
        uuid.uuid4, faults.point = real_uuid4, real_point  # type: ignore[assignment]
        if fed is not None:
            fed.close()


__all__ = ["NodeDied", "Shape", "SimFederation", "seeded_world"]
