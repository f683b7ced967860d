"""The exchange assembled for one node: receiving, sending, and what runs in the background."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from node.access import Principal, Role, require_role
from node.clock import Clock
from node.db.batch import WriteBatcher
from node.db.engine import Database
from node.db.schema import links, outbox
from node.errors import ErrorCode, NotFound
from node.exchange import ahead, store
from node.exchange.answers import AnswerHandlers, Retry
from node.exchange.capabilities import PeerCapabilities
from node.exchange.clockwatch import advice as clock_advice
from node.exchange.inbound import Inbox
from node.exchange.outbound import Courier, Pumped, Round
from node.exchange.requests import RequestHandlers
from node.exchange.runner import Runner, RunnerSettings
from node.exchange.transport import HttpTransport, Transport
from node.exchange.window import WINDOW_DEFAULT
from node.federation import FederationService
from node.keyring import Signer
from node.ledger.journal import Ledger

SETTLE_ROUNDS_MAX = 1_000


class Exchange:
    def __init__(self, *, node_id: str, db: Database, writer: WriteBatcher,
                 federation: FederationService, signer: Signer, clock: Clock, ledger: Ledger,
                 transport: Transport | None = None, retry: Retry | None = None,
                 runner_settings: RunnerSettings | None = None,
                 window: int = WINDOW_DEFAULT) -> None:
        self.node_id = node_id
        self.db = db
        self.writer = writer
        self.federation = federation
        self.clock = clock
        self.requests = RequestHandlers(node_id=node_id, ledger=ledger)
        self.answers = AnswerHandlers(ledger=ledger, retry=retry)
        self.inbox = Inbox(node_id=node_id, federation=federation, signer=signer, clock=clock,
                           writer=writer, handlers=self.requests, window=window)
        self.transport: Transport = transport or HttpTransport()
        self.courier = Courier(node_id=node_id, federation=federation, signer=signer,
                               clock=clock, writer=writer, transport=self.transport,
                               answers=self.answers, window=window)
        # One reading of each peer's clock, from both directions (node/exchange/clockwatch.py).
        self.courier.clocks = self.inbox.clocks
        # What each peer announces in its node_info (standard §16.2), read through our transport.
        self.capabilities = PeerCapabilities(node_id=node_id, federation=federation,
                                             transport=self.transport, clock=clock)
        self.runner = Runner(self, runner_settings)

    def wake(self, peer: str) -> None:
        self.runner.wake(peer)

    async def tick(self) -> list[str]:
        """Expiry: put unanswered transfers in doubt and queue their status queries. Returns
        the peers to wake: those, and every unfrozen link with a message due now (a delayed
        resend), so that idle sender loops need not poll the database."""
        clocks = self.courier.clocks

        def work(conn: Connection) -> list[str]:
            # Read in the writer, after every write queued before it: no stamp is later.
            now_ms = self.clock.now_ms()
            # A clock stepped back: queued send times it stamped move back too (clockwatch.py).
            back_ms = clocks.stepped_back(now_ms, stamped_ms=store.latest_stamp(conn))
            if back_ms:
                store.shift_outbox(conn, back_ms=back_ms, now_ms=now_ms)
            woken = set(self.answers.tick(conn, now_ms=now_ms))
            return sorted(woken | set(store.due_peers(conn, now_ms=now_ms)))
        return await self.writer.submit(work)

    def peers_with_work(self) -> list[str]:
        with self.db.read() as conn:
            queued = set(conn.execute(select(outbox.c.peer_node_id).distinct()).scalars())
        return sorted(queued)

    async def settle(self, rounds_max: int = SETTLE_ROUNDS_MAX) -> list[Round]:
        """Pump every link until nothing more can be delivered now (tests, tools, the demo)."""
        rounds: list[Round] = []
        for _ in range(rounds_max):
            progressed = False
            for peer in self.peers_with_work():
                result = await self.courier.pump(peer)
                rounds.append(result)
                progressed = progressed or result.outcome is Pumped.DELIVERED
            if not progressed:
                return rounds
        return rounds

    def links(self, principal: Principal) -> list[dict[str, object]]:
        """Each link's chain heads, freeze, queue length and the sender loop's health."""
        require_role(principal, Role.ADMIN, Role.REGULATOR, what="read the federation links")
        with self.db.read() as conn:
            rows = conn.execute(select(links).order_by(links.c.peer_node_id)).all()
            queued: dict[str, int] = {
                str(peer): int(count) for peer, count in conn.execute(
                    select(outbox.c.peer_node_id, func.count())
                    .group_by(outbox.c.peer_node_id)).all()}
        result: list[dict[str, object]] = []
        for row in rows:
            health = self.runner.health.get(row.peer_node_id)
            result.append({
                "peer": row.peer_node_id,
                "state": ahead.condition(row.frozen_reason).value,
                "out_sequence": row.out_sequence, "in_sequence": row.in_sequence,
                "queued_messages": int(queued.get(row.peer_node_id, 0)),
                "frozen_reason": row.frozen_reason, "frozen_detail": row.frozen_detail,
                **(health.view() if health else {"circuit": "idle"}),
                **self._clock_view(row.peer_node_id),
                "capabilities": sorted(self.capabilities.shared(row.peer_node_id))
                if self.capabilities.read(row.peer_node_id) else None,
            })
        return result

    def _clock_view(self, peer: str) -> dict[str, object]:
        offset_ms = self.courier.clocks.offsets.get(peer)
        skewed = self.courier.clocks.skewed(peer)
        return {"clock_offset_ms": offset_ms, "clock_skewed": skewed,
                "clock_advice": clock_advice(peer, offset_ms)
                if skewed and offset_ms is not None else None}

    def clock_offsets(self) -> dict[str, int]:
        """Our clock minus each measured peer's, in ms (/metrics; node/exchange/clockwatch.py)."""
        return dict(sorted(self.courier.clocks.offsets.items()))

    def ahead_by_peer(self) -> dict[str, bool]:
        """Every link, and whether its peer is ahead of our chain (/metrics: no principal, the
        route serves counts only)."""
        with self.db.read() as conn:
            return ahead.ahead_by_peer(conn)

    def unfreeze(self, principal: Principal, peer: str) -> dict[str, object]:
        """An operator who has resolved the disagreement lets the link run again. If the cause
        persists, the next round trip freezes it again."""
        require_role(principal, Role.ADMIN, what="unfreeze a federation link")
        directory = self.federation.current()
        if directory is None or directory.node(peer) is None or peer == self.node_id:
            raise NotFound(ErrorCode.LINK_NOT_FOUND, f"no link with {peer}")
        with self.db.write() as conn:
            store.link(conn, peer)
            store.unfreeze(conn, peer)
        self.wake(peer)
        return next(view for view in self.links(principal) if view["peer"] == peer)
