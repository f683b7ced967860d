"""What each peer announces beyond the baseline (standard §16.2), read from its signed node_info.

    when                    the node starts (the runner's first tick, in the background), the
                            directory in force changes (every peer), and once per settlement
                            window (`policy.settlement_window_ms`) per peer after its last read
    how                     GET {base_url}/federation/v1/info through the exchange's transport,
                            at most NODE_INFO_BYTES_MAX bytes, FETCH_TIMEOUT_S per attempt,
                            FETCH_ATTEMPTS attempts, admitted against the directory's keys
    what is kept            in memory: the features both ends announce, per peer
    a peer that lacks one   read again after LACKING_RETRY_MS rather than a window: an operator
    of ours                 who upgrades a hub expects routes through it within minutes
    a 404, a document       "announces nothing" (logged once per peer and reason, at warning)
    that fails to verify
    a peer not reached      what was held stays (the baseline if nothing was); read again after
                            UNREACHED_RETRY_MS
    until the first read    the baseline: nothing

A leg of a routed transfer goes only to a next hop that announced `transfer.hubs` (§22.4):
node/services/outgoing.py at the debtor's node, node/exchange/routed.py at a hub.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

from node.clock import Clock
from node.errors import ErrorCode, FixedCodeError
from node.exchange.transport import Transport, TransportError
from node.federation import FederationService
from node.version import CAPABILITIES
from protocol.capabilities import admit_node_info, shared_capabilities
from protocol.directory import Directory
from protocol.errors import ProtocolError

log = logging.getLogger("hourbridge.exchange")

NODE_INFO_PATH = "/federation/v1/info"
FETCH_TIMEOUT_S = 5.0
FETCH_ATTEMPTS = 2  # tries per read when the peer is not reached, one after the other
NODE_INFO_BYTES_MAX = 16_384  # a node_info of 64 capabilities and two signatures is ~5 KB
UNREACHED_RETRY_MS = 5_000  # a peer not reached (not up yet, say) is read again this soon
LACKING_RETRY_MS = 600_000  # a peer that lacks one of our features: read again after 10 min


class RouteNotSupported(FixedCodeError):
    """A routed transfer whose first hop has not announced `transfer.hubs` (yet): temporary,
    since the hop may upgrade, or this node may not have read its node_info yet."""

    CODE = ErrorCode.ROUTE_NOT_SUPPORTED

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


@dataclass
class _Peer:
    shared: frozenset[str] = frozenset()
    read: bool = False  # a document or a 404 was read (not only the baseline assumed)
    due_ms: int = 0  # when it is read again
    warned: str = ""  # the reason last logged: the same one is not logged again


class PeerCapabilities:
    def __init__(self, *, node_id: str, federation: FederationService, transport: Transport,
                 clock: Clock, ours: frozenset[str] = CAPABILITIES) -> None:
        self.node_id = node_id
        self.federation = federation
        self.transport = transport
        self.clock = clock
        self.ours = ours
        self._peers: dict[str, _Peer] = {}
        self._serial: int | None = None  # the directory serial the reads were made against
        self._task: asyncio.Task[list[str]] | None = None

    def shared(self, peer: str) -> frozenset[str]:
        """The features both this node and `peer` announce (nothing until it was read)."""
        held = self._peers.get(peer)
        return held.shared if held is not None else frozenset()

    def announces(self, peer: str, capability: str) -> bool:
        return capability in self.shared(peer)

    def read(self, peer: str) -> bool:
        """Whether `peer`'s node_info (or its 404) was read since this node started."""
        held = self._peers.get(peer)
        return held is not None and held.read

    def retry_after_s(self, peer: str) -> int:
        """Seconds until `peer` is read again (at least 1): when asking again may succeed."""
        held = self._peers.get(peer)
        due_ms = held.due_ms if held is not None else 0
        return max(1, -(-(due_ms - self.clock.now_ms()) // 1000))

    def due(self) -> list[str]:
        """The peers to read now: all of them when the directory changed, else those whose
        window since the last read is over (or whose last read did not reach them)."""
        directory = self.federation.current()
        if directory is None:
            return []
        peers = [e.node_id for e in directory.nodes if e.node_id != self.node_id]
        if directory.serial != self._serial:
            return peers
        now_ms = self.clock.now_ms()
        return [p for p in peers if p not in self._peers or self._peers[p].due_ms <= now_ms]

    async def refresh(self) -> list[str]:
        """Read the due peers; returns them."""
        return await self._read(self.due())

    async def read_all(self) -> list[str]:
        """Read every peer now (a node starting; the in-process federations of the tests)."""
        directory = self.federation.current()
        if directory is None:
            return []
        return await self._read([e.node_id for e in directory.nodes if e.node_id != self.node_id])

    def refresh_soon(self) -> None:
        """From the runner's tick: read the due peers in a task of their own, so that a slow
        peer never delays the tick, nor the node's start."""
        if self._task is not None and not self._task.done():
            return
        if self.due():
            self._task = asyncio.create_task(self.refresh())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _read(self, peers: list[str]) -> list[str]:
        directory = self.federation.current()
        if directory is None or not peers:
            return []
        self._serial = directory.serial
        listed = {e.node_id for e in directory.nodes}
        for gone in [p for p in self._peers if p not in listed]:
            del self._peers[gone]
        await asyncio.gather(*(self._read_one(peer, directory) for peer in peers))
        return peers

    async def _read_one(self, peer: str, directory: Directory) -> None:
        entry = directory.node(peer)
        held = self._peers.setdefault(peer, _Peer())
        try:
            status, body = await self._fetch(entry.base_url if entry is not None else "")
        except TransportError as exc:
            held.due_ms = self.clock.now_ms() + UNREACHED_RETRY_MS
            self._warn(peer, held, f"not reached, keeping what was held: {exc.detail}")
            return
        self.admit(peer, status, body, directory)

    def admit(self, peer: str, status: int, body: bytes, directory: Directory) -> None:
        """Take what a read of `peer`'s node_info answered (status and body)."""
        held = self._peers.setdefault(peer, _Peer())
        shared, reason = self._judge(peer, status, body, directory)
        if shared is None:  # an answer that says nothing either way (a 503): as unreached
            held.due_ms = self.clock.now_ms() + UNREACHED_RETRY_MS
            self._warn(peer, held, reason)
            return
        held.shared, held.read = shared, True
        again_ms = directory.policy.settlement_window_ms
        if shared != self.ours:  # it may be upgraded any time: notice within minutes
            again_ms = min(again_ms, LACKING_RETRY_MS)
        held.due_ms = self.clock.now_ms() + again_ms
        if reason:
            self._warn(peer, held, reason)
        else:
            held.warned = ""

    async def _fetch(self, base_url: str) -> tuple[int, bytes]:
        failure = TransportError("no attempt made")
        for _ in range(FETCH_ATTEMPTS):
            try:
                reply = await self.transport.get(base_url, NODE_INFO_PATH,
                                                 limit_bytes=NODE_INFO_BYTES_MAX,
                                                 timeout_s=FETCH_TIMEOUT_S)
            except TransportError as exc:
                failure = exc
                continue
            return reply.status, reply.body
        raise failure

    def _judge(self, peer: str, status: int, body: bytes,
               directory: Directory) -> tuple[frozenset[str] | None, str]:
        """The features shared with `peer` and why nothing is, if so; None when the answer
        says nothing about the peer's features (a status other than 200 or 404)."""
        if status == 404:
            return frozenset(), "answers 404 for its node_info (older than revision 1.3)"
        if status != 200:
            return None, f"answered HTTP {status} for its node_info"
        if len(body) > NODE_INFO_BYTES_MAX:
            return frozenset(), f"its node_info is over {NODE_INFO_BYTES_MAX} bytes"
        try:
            document = json.loads(body)
            if not isinstance(document, dict):
                return frozenset(), "its node_info is not a JSON object"
            info = admit_node_info(document, directory=directory, node_id=peer)
        except ValueError as exc:
            return frozenset(), f"its node_info is not JSON: {exc}"
        except ProtocolError as exc:
            return frozenset(), f"its node_info does not verify: {exc.code.value}: {exc.detail}"
        return shared_capabilities(self.ours, info), ""

    @staticmethod
    def _warn(peer: str, held: _Peer, reason: str) -> None:
        if reason != held.warned:
            held.warned = reason
            log.warning("capabilities of %s: %s; it is taken to announce %s", peer, reason,
                        sorted(held.shared) or "nothing")
