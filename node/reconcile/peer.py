"""Talking to a peer's reconciliation endpoint: signed requests out, signed replies checked.

`PeerRanges` adapts the endpoint to the narrow interface the Merkle descent needs
(protocol.merkle_diff.RangeHasher). The descent is synchronous and runs in a worker thread; each
question it asks is one round trip, run on the node's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from node.errors import ErrorCode, NodeError
from node.exchange.requests import new_id
from node.exchange.transport import Transport, TransportError
from node.federation import FederationService
from node.keyring import Signer
from protocol.errors import ProtocolError
from protocol.merkle import LeafKey, TransferLeaf
from protocol.merkle_diff import Bound, RangeSummary
from protocol.reasons import ReasonCode
from protocol.reconciliation import admit_reply, build_request, leaf_from_json
from protocol.wire import parse_object

RECONCILE_PATH = "/federation/v1/reconciliation"
CALL_TIMEOUT_S = 30.0


class PeerFailed(NodeError):
    """The peer could not be asked, refused, or answered with something that does not verify.

    `kind` is the peer's own problem code, or this node's name for what went wrong
    (`signature_break`, `malformed`, `peer_unreachable`, `unknown_node`)."""

    def __init__(self, kind: str, detail: str, reason: str | None = None,
                 retry_after_ms: int | None = None) -> None:
        super().__init__(ErrorCode.PEER_FAILED, detail)
        self.kind = kind
        self.reason = reason  # the standard's reason code of a refusal (§12), if it gave one
        self.retry_after_ms = retry_after_ms  # "come back" after this long (§20.6), if said

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


class PeerClient:
    def __init__(self, *, node_id: str, peer: str, federation: FederationService,
                 signer: Signer, transport: Transport, now_ms: Any) -> None:
        self.node_id = node_id
        self.peer = peer
        self.federation = federation
        self.signer = signer
        self.transport = transport
        self.now_ms = now_ms
        self.calls = 0

    async def call(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        directory = self.federation.require_current()
        entry = directory.node(self.peer)
        if entry is None:
            raise PeerFailed("unknown_node", f"{self.peer} is not in the directory")
        raw = build_request(request_id=new_id(), sender=self.node_id, receiver=self.peer, op=op,
                            args=args, issued_at_ms=self.now_ms(), key=self.signer.key())
        self.calls += 1
        try:
            reply = await self.transport.call(entry.base_url, RECONCILE_PATH, raw)
        except TransportError as exc:
            raise PeerFailed("peer_unreachable", str(exc)) from exc
        if reply.status != 200:
            code, reason, retry_after_ms = _problem_codes(reply.body)
            raise PeerFailed(code, reply.body[:300].decode("utf-8", "replace"), reason,
                             retry_after_ms)
        try:
            return admit_reply(reply.body, directory=directory, request=raw)
        except ProtocolError as exc:
            # A reply of the wrong shape (standard §20.4) is the peer's bug, not evidence of a
            # broken history: refused, never acted on, the window left open (no dispute).
            kind = "malformed" if exc.code is ReasonCode.MALFORMED else "signature_break"
            raise PeerFailed(kind,
                             f"reply does not verify: {exc.code.value}: {exc.detail}") from exc


def _problem_codes(body: bytes) -> tuple[str, str | None, int | None]:
    """The problem's code, the standard's reason code in it and its `retry_after_ms`, if any
    (standard §21.2)."""
    try:
        problem = parse_object(body, bytes_max=64 * 1024)
    except ProtocolError:
        return "peer_refused", None, None
    reason = problem.get("reason")
    retry = problem.get("retry_after_ms")
    usable = isinstance(retry, int) and not isinstance(retry, bool) and retry >= 0
    return (str(problem.get("code") or "peer_refused"),
            reason if isinstance(reason, str) else None, retry if usable else None)


def _bound(key: Bound) -> list[str] | None:
    return None if key is None else [key[0], key[1]]


class PeerRanges:
    """protocol.merkle_diff.RangeHasher over the peer's endpoint, for one window."""

    def __init__(self, client: PeerClient, window_index: int,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self.window_index = window_index
        self.loop = loop

    def _ask(self, op: str, lo: Bound, hi: Bound) -> dict[str, Any]:
        args = {"window_index": self.window_index, "lo": _bound(lo), "hi": _bound(hi)}
        future = asyncio.run_coroutine_threadsafe(self.client.call(op, args), self.loop)
        return future.result(CALL_TIMEOUT_S)

    def summary(self, lo: Bound, hi: Bound) -> RangeSummary:
        result = self._ask("summary", lo, hi)
        return RangeSummary(int(result["count"]), bytes.fromhex(str(result["digest"])))

    def split_key(self, lo: Bound, hi: Bound) -> LeafKey:
        key = self._ask("split_key", lo, hi)["key"]
        return (str(key[0]), str(key[1]))

    def leaves(self, lo: Bound, hi: Bound) -> Sequence[TransferLeaf]:
        return [leaf_from_json(item) for item in self._ask("leaves", lo, hi)["leaves"]]
