"""The simulation's network and crash points: every fault is drawn from the run's seeded random
source at the moment a transaction is sent, so the same seed meets the same faults.

    NetFault          what can happen to one transaction on its way (and to its response)
    SimNetwork        directed partitions, copies held in the network to arrive late, the
                      crash points armed per node, and a count of everything injected
    SimTransport      one node's view of that network (the Transport the node sends through)

A crash point (node/exchange/faults.py) fires in the node that passes it: the simulation keeps a
stack of who is acting (the node pumping a link, then the node receiving its transaction), and
the armed point of the node on top raises Crash. A receiver that dies mid-request is, for its
sender, a connection that broke: the sender sees TransportError and the driver restarts the
receiver from its database once the step is over.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from enum import StrEnum

from node.clock import FakeClock
from node.exchange.transport import Reply, TransportError
from tests.federation import Network


class NodeDied(BaseException):
    """A node died at a crash point. A BaseException, so that no handler in the node (the API's
    catch-all for unexpected errors, a loop's `except Exception`) can outlive it, as nothing in
    a killed process does."""


class NetFault(StrEnum):
    DROP_REQUEST = "drop_request"  # lost on the way: never arrives
    DROP_RESPONSE = "drop_response"  # arrives and is processed; the answer is lost
    DUPLICATE = "duplicate"  # arrives twice; the sender sees the second answer
    REPLAY_OLD = "replay_old"  # an earlier transaction of the link arrives again first
    HOLD = "hold"  # delayed in the network: the sender times out, the copy arrives steps later
    DELAY_PAST_SKEW = "delay_past_skew"  # in transit longer than the clock skew bound
    DELAY_PAST_EXPIRY = "delay_past_expiry"  # in transit past every transfer's expiry
    SLOW_ANSWER = "slow_answer"  # processed, but the answer takes past every expiry: the
    #                              sender gave up waiting long before


# Relative weights of the faults, when a transaction meets one.
FAULT_WEIGHTS: dict[NetFault, int] = {
    NetFault.DROP_REQUEST: 5, NetFault.DROP_RESPONSE: 5, NetFault.DUPLICATE: 4,
    NetFault.REPLAY_OLD: 3, NetFault.HOLD: 3, NetFault.DELAY_PAST_SKEW: 2,
    NetFault.DELAY_PAST_EXPIRY: 1, NetFault.SLOW_ANSWER: 2,
}

# The crash points a node passes between two database writes, or between a write and a send
# (node/exchange/faults.py). A crash at the very end of a call (after its last write) is the
# driver restarting the node after the call; a crash inside a write is a rolled-back write,
# the same as a crash at the point before it.
CRASH_POINTS = ("sender_after_commit", "sender_after_reply", "receiver_after_commit")

SKEW_MS = 2 * 60 * 1000  # the default policy's skew bound (protocol/policy.py)
EXPIRY_MS = 15 * 60 * 1000  # the node's default transfer lifetime (node/config.py)
HELD_MAX = 32  # copies the network holds at most; the oldest arrives when it is full
# Turns of the event loop a transaction may lag on its way, so that in a window of several in
# flight (standard §6.5) a later one overtakes it: 0 mostly, sometimes past the receiver's
# hold (window.HOLD_TURNS).
LAG_TURNS = (0, 0, 0, 0, 1, 4, 16, 100)

# Who is acting now, per task: the top passes the crash points. Each task of a window of
# round trips (asyncio.gather) carries its own stack.
_ACTORS: ContextVar[tuple[str, ...]] = ContextVar("sim_actors", default=())


@contextlib.contextmanager
def acting(node_id: str) -> Iterator[None]:
    token = _ACTORS.set((*_ACTORS.get(), node_id))
    try:
        yield
    finally:
        _ACTORS.reset(token)


class SimNetwork(Network):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.rng = random.Random(0)  # the driver gives it the run's own
        self.fault_rate = 0.0
        self.cut: set[tuple[str, str]] = set()  # directed: (sender, receiver) cannot reach
        self.held: list[tuple[str, str, bytes]] = []
        self.armed: dict[str, str] = {}  # node id -> the crash point it dies at next
        # Died during this step: the node's other tasks (a window's round trips) die at their
        # next crash point too, as nothing in a killed process runs on.
        self.dying: set[str] = set()
        self.crashed: list[str] = []  # died during this step; the driver restarts them
        self.injected: Counter[str] = Counter()
        self.windowed = False  # some link has a window over 1: transactions may lag
        self.events: list[str] = []  # what happened on the wire in this step, for the trace

    def transport(self, sender: str) -> SimTransport:  # type: ignore[override]
        return SimTransport(self, sender)

    def draw(self) -> NetFault | None:
        if self.rng.random() >= self.fault_rate:
            return None
        kinds = list(FAULT_WEIGHTS)
        return self.rng.choices(kinds, weights=[FAULT_WEIGHTS[k] for k in kinds])[0]

    def point(self, name: str) -> None:
        """Replaces node.exchange.faults.point while the simulation runs."""
        actors = _ACTORS.get()
        if not actors:
            return
        actor = actors[-1]
        if actor in self.dying:
            raise NodeDied(actor)
        if self.armed.get(actor) == name:
            del self.armed[actor]
            self.dying.add(actor)
            self.injected[f"crash:{name}"] += 1
            self.events.append(f"{actor} crashed at {name}")
            raise NodeDied(actor)

    async def reach(self, sender: str, receiver: str, body: bytes) -> Reply:
        """One delivery of `body` to `receiver`, as the node receiving it."""
        if receiver in self.down or receiver in self.crashed:
            raise TransportError(f"{receiver} is down")
        try:
            with acting(receiver):
                return await self.deliver(receiver, body)
        except NodeDied:
            if receiver not in self.crashed:
                self.crashed.append(receiver)
            self.down.add(receiver)
            raise TransportError(f"connection to {receiver} reset") from None

    async def release_held(self, index: int) -> str:
        """A held copy arrives now; nobody waits for its answer any more."""
        sender, receiver, body = self.held.pop(index)
        try:
            reply = await self.reach(sender, receiver, body)
        except TransportError as exc:
            return f"held {sender}->{receiver} lost: {exc}"
        return f"held {sender}->{receiver} arrived: HTTP {reply.status}"


class SimTransport:
    def __init__(self, network: SimNetwork, sender: str) -> None:
        self.network = network
        self.sender = sender

    async def post(self, base_url: str, body: bytes) -> Reply:
        net = self.network
        receiver = base_url.removeprefix("http://").removesuffix(".test")
        link = (self.sender, receiver)
        if link in net.cut:
            net.injected["partition:request_blocked"] += 1
            raise TransportError(f"{self.sender} cannot reach {receiver} (partition)")
        fault = net.draw()
        if fault is not None:
            net.injected[fault.value] += 1
            net.events.append(f"{self.sender}->{receiver}: {fault.value}")
        if fault is NetFault.DROP_REQUEST:
            raise TransportError("request lost")
        if fault is NetFault.HOLD:
            net.held.append((self.sender, receiver, body))
            if len(net.held) > HELD_MAX:
                net.events.append(await net.release_held(0))
            raise TransportError("timed out (the request is still in the network)")
        if fault is NetFault.REPLAY_OLD and net.sent[link]:
            old = net.sent[link][net.rng.randrange(len(net.sent[link]))]
            await self._quietly(receiver, old)
        if fault is NetFault.DELAY_PAST_SKEW:
            net.clock.advance(SKEW_MS + net.rng.randint(1, SKEW_MS))
        if fault is NetFault.DELAY_PAST_EXPIRY:
            net.clock.advance(EXPIRY_MS + net.rng.randint(1, EXPIRY_MS))
        net.sent[link].append(body)
        for _ in range(net.rng.choice(LAG_TURNS) if net.windowed else 0):
            await asyncio.sleep(0)  # a later transaction of the window may overtake this one
        reply = await net.reach(self.sender, receiver, body)
        if fault is NetFault.DUPLICATE:
            reply = await net.reach(self.sender, receiver, body)
        if b'"partner_cap_exceeded"' in reply.body:
            net.injected["answer:partner_cap_exceeded"] += 1  # a temporary reject by the peer
        if (receiver, self.sender) in net.cut:
            net.injected["partition:answer_lost"] += 1
            raise TransportError(f"the answer from {receiver} is lost (one-way partition)")
        if fault is NetFault.DROP_RESPONSE:
            raise TransportError("response lost")
        if fault is NetFault.SLOW_ANSWER:
            net.clock.advance(EXPIRY_MS + net.rng.randint(1, EXPIRY_MS))
            raise TransportError("timed out waiting for the answer")
        return reply

    async def call(self, base_url: str, path: str, body: bytes) -> Reply:
        """Other federation endpoints (reconciliation, after healing): no faults."""
        receiver = base_url.removeprefix("http://").removesuffix(".test")
        return await self.network.deliver(receiver, body, path)

    async def get(self, base_url: str, path: str, *, limit_bytes: int,
                  timeout_s: float) -> Reply:
        """A node's node_info (read at start and restart by the harness): no faults."""
        receiver = base_url.removeprefix("http://").removesuffix(".test")
        reply = await self.network.fetch(receiver, path)
        return Reply(reply.status, reply.body[:limit_bytes + 1], reply.content_type)

    async def _quietly(self, receiver: str, body: bytes) -> None:
        with contextlib.suppress(TransportError):
            await self.network.reach(self.sender, receiver, body)

    async def aclose(self) -> None:
        return None
