"""What can happen in one step of a simulated run, drawn from the run's random source.

Members send hours (at their own node, to another node, to nobody, more than they hold, in
batches) and repeat requests whose answer they did not see; links are pumped one round trip at
a time; nodes tick their expiry; the clock moves (a little, past the skew bound, past every
expiry); links are cut both ways or one way and mended; nodes crash at a crash point or at
rest and come back from their databases; copies held in the network arrive late.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

from tests.simulation.adversary import Adversary
from tests.simulation.network import CRASH_POINTS, EXPIRY_MS, SKEW_MS
from tests.simulation.world import HUBS, MEMBERS, NodeDied, SimFederation

TRANSFERS = "/api/v1/transfers"


class Actions:
    def __init__(self, fed: SimFederation, rng: random.Random, counts: Counter[str], *,
                 adversary: Adversary | None = None) -> None:
        self.fed = fed
        self.rng = rng
        self.counts = counts
        # Where members act: every node but a stolen-key adversary's, which is all attacker.
        # Hubs hold no members here (standard §22): they only pass hours on.
        self.homes = [n for n in fed.node_ids if n not in HUBS
                      and (adversary is None or n != adversary.node_id)]
        self.requests: list[tuple[str, str, dict[str, Any], int]] = []  # node, path, body, status
        self.step = 0
        self.table: list[tuple[int, Callable[[], str]]] = [
            (20, self.remote_transfer), (6, self.local_transfer), (4, self.batch),
            (6, self.burst),
            (4, self.repeat_request), (2, self.crash_after_request),
            (24, self.pump), (6, self.pump_all), (10, self.tick),
            (10, self.advance), (4, self.advance_far),
            (4, self.partition), (2, self.mend), (4, self.arm_crash), (2, self.crash_at_rest),
            (3, self.release_held),
        ]
        if adversary is not None:
            self.table += [(10, adversary.forge), (12, adversary.hide)]

    def run_one(self, step: int) -> str:
        self.step = step
        weights = [w for w, _ in self.table]
        action = self.rng.choices([a for _, a in self.table], weights=weights)[0]
        self.counts[f"action:{action.__name__}"] += 1
        return f"{action.__name__}: {action()}"

    # members ----------------------------------------------------------------------------------

    def _member(self, node_id: str) -> str:
        return f"m{self.rng.randrange(MEMBERS)}@{node_id}"

    def _amount(self) -> int:
        roll = self.rng.random()
        if roll < 0.7:
            return self.rng.randint(1, 60)
        if roll < 0.95:
            return self.rng.randint(61, 300)
        return self.rng.randint(301, 900)  # more than anyone was granted

    def _item(self, node_id: str, *, remote: bool, n: int | None = None) -> dict[str, Any]:
        debtor = self._member(node_id)
        if remote:
            peer = self.rng.choice([p for p in self.homes if p != node_id])
            creditor = (f"ghost@{peer}" if self.rng.random() < 0.08 else self._member(peer))
        else:
            creditor = self._member(node_id)
        suffix = "" if n is None else f".{n}"
        return {"id": f"s{self.step}{suffix}", "from": debtor, "to": creditor,
                "amount_minutes": self._amount(), "memo": ""}

    def _post(self, node_id: str, path: str, body: dict[str, Any]) -> httpx.Response:
        response = self.fed.call(node_id, "POST", path, body)
        assert response.status_code < 500, f"{path} at {node_id}: {response.text[:300]}"
        return response

    def _transfer(self, node_id: str, body: dict[str, Any]) -> str:
        response = self._post(node_id, TRANSFERS, body)
        self.requests.append((node_id, TRANSFERS, body, response.status_code))
        data = response.json()
        outcome = data.get("state") or data.get("code")
        self.counts[f"api:{outcome}"] += 1
        return (f"{body['from']}->{body['to']} {body['amount_minutes']}: "
                f"{response.status_code} {outcome}")

    def remote_transfer(self) -> str:
        node_id = self.rng.choice(self.homes)
        return self._transfer(node_id, self._item(node_id, remote=True))

    def burst(self) -> str:
        """Several transfers at one node in a row, one request each: with a small batch size
        they fill a window of transactions (standard §6.5) at the next pump."""
        node_id = self.rng.choice(self.homes)
        done = [self._transfer(node_id, self._item(node_id, remote=True, n=i))
                for i in range(self.rng.randint(3, 8))]
        return f"{len(done)} at {node_id}"

    def local_transfer(self) -> str:
        node_id = self.rng.choice(self.homes)
        return self._transfer(node_id, self._item(node_id, remote=False))

    def batch(self) -> str:
        node_id = self.rng.choice(self.homes)
        items = [self._item(node_id, remote=self.rng.random() < 0.8, n=i)
                 for i in range(self.rng.randint(2, 5))]
        body = {"items": items}
        response = self._post(node_id, TRANSFERS + "/batch", body)
        self.requests.append((node_id, TRANSFERS + "/batch", body, response.status_code))
        self.counts[f"api:batch_{response.status_code}"] += 1
        return f"{len(items)} at {node_id}: {response.status_code}"

    def repeat_request(self) -> str:
        """A member who saw no answer sends the same request again: a created transfer is
        answered from storage (200), never made twice."""
        if not self.requests:
            return "nothing to repeat"
        node_id, path, body, first = self.rng.choice(self.requests)
        response = self._post(node_id, path, body)
        if first in (200, 201):
            assert response.status_code == 200, (
                f"repeat of {path} {body.get('id')}: {response.status_code} {response.text[:200]}")
        return f"{path} at {node_id} again: {first} then {response.status_code}"

    def crash_after_request(self) -> str:
        """The node commits a member's transfer and dies before answering; the member asks
        again once it is back."""
        node_id = self.rng.choice(self.homes)
        body = self._item(node_id, remote=True)
        response = self._post(node_id, TRANSFERS, body)
        self.fed.restart(node_id)
        self.counts["crash:after_member_request"] += 1
        again = self._post(node_id, TRANSFERS, body)
        self.requests.append((node_id, TRANSFERS, body, response.status_code))
        if response.status_code == 201:
            assert again.status_code == 200, f"after restart: {again.status_code} {again.text}"
        return (f"{node_id} crashed after answering {response.status_code}; "
                f"again {again.status_code}")

    # links and time ----------------------------------------------------------------------------

    def _pump(self, sender: str, receiver: str) -> str:
        try:
            with self.fed.act(sender):
                result = self.fed.pump(sender, receiver)
        except NodeDied:
            self.fed.restart(sender)
            return f"{sender}->{receiver}: sender crashed"
        self.counts[f"pump:{result.outcome.value}"] += 1
        return f"{sender}->{receiver}: {result.outcome.value} {result.messages}"

    def pump(self) -> str:
        sender, receiver = self.rng.sample(self.fed.node_ids, 2)
        return self._pump(sender, receiver)

    def pump_all(self) -> str:
        done = []
        for sender in self.fed.node_ids:
            for receiver in self.fed.nodes[sender].exchange.peers_with_work():
                done.append(self._pump(sender, receiver))
        return "; ".join(done) or "idle"

    def tick(self) -> str:
        node_id = self.rng.choice(self.fed.node_ids)
        peers = self.fed.run(self.fed.nodes[node_id].exchange.tick())
        return f"{node_id} woke {peers}"

    def advance(self) -> str:
        ms = self.rng.choice((self.rng.randint(0, 3_000), self.rng.randint(10_000, 90_000)))
        self.fed.clock.advance(ms)
        return f"+{ms} ms"

    def advance_far(self) -> str:
        ms = self.rng.choice((SKEW_MS, EXPIRY_MS)) + self.rng.randint(1, 60_000)
        self.fed.clock.advance(ms)
        return f"+{ms} ms"

    # faults ------------------------------------------------------------------------------------

    def partition(self) -> str:
        a, b = self.rng.sample(self.fed.node_ids, 2)
        cut = self.fed.network.cut
        if self.rng.random() < 0.5:
            cut.update({(a, b), (b, a)})
            self.counts["partition:both_ways"] += 1
            return f"{a} and {b} cut apart"
        cut.add((a, b))
        self.counts["partition:one_way"] += 1
        return f"{a} cannot reach {b}; {b} still reaches {a}"

    def mend(self) -> str:
        cut = self.fed.network.cut
        if not cut:
            return "nothing cut"
        link = self.rng.choice(sorted(cut))
        cut.discard(link)
        return f"{link[0]} reaches {link[1]} again"

    def arm_crash(self) -> str:
        node_id = self.rng.choice(self.fed.node_ids)
        point = self.rng.choice(CRASH_POINTS)
        self.fed.network.armed[node_id] = point
        return f"{node_id} will crash at {point}"

    def crash_at_rest(self) -> str:
        node_id = self.rng.choice(self.fed.node_ids)
        self.fed.restart(node_id)
        self.counts["crash:at_rest"] += 1
        return f"{node_id} restarted"

    def release_held(self) -> str:
        held = self.fed.network.held
        if not held:
            return "nothing held"
        return self.fed.run(self.fed.network.release_held(self.rng.randrange(len(held))))
