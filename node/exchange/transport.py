"""How a transaction's bytes reach a peer and its answer comes back.

The sender needs one operation: POST these bytes to the peer's transaction endpoint and give me
the status and body; the capability reader (node/exchange/capabilities.py) also GETs a
document. `HttpTransport` does it over HTTP; tests plug in an in-process transport (httpx's
ASGI transport to another node's app) or wrap one to lose, repeat or delay messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx

from node.errors import ErrorCode, FixedCodeError
from node.exchange.window import WINDOW_HEADER, parse_window

TRANSACTIONS_PATH = "/federation/v1/transactions"
TRANSACTION_MEDIA_TYPE = "application/json"
SEND_TIMEOUT_S = 10.0


class TransportError(FixedCodeError):
    """The peer could not be reached, or no answer came back: whether it received the request
    is unknown, so the sender retries the same transaction."""

    CODE = ErrorCode.PEER_UNREACHABLE


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str
    window: int = 1  # the transactions in flight the peer accepts per link (§6.5, §21.1)


class Transport(Protocol):
    async def post(self, base_url: str, body: bytes) -> Reply: ...

    async def call(self, base_url: str, path: str, body: bytes) -> Reply:
        """POST a signed document to another federation endpoint (reconciliation)."""
        ...

    async def get(self, base_url: str, path: str, *, limit_bytes: int,
                  timeout_s: float) -> Reply:
        """GET a document the peer publishes (its node_info, §16.2): the body read stops after
        `limit_bytes` + 1 bytes, so a reader sees a body over its limit without holding more."""
        ...

    async def aclose(self) -> None: ...


class HttpTransport:
    """One pooled HTTP client for all peers; each request has a bounded time."""

    def __init__(self, *, timeout_s: float = SEND_TIMEOUT_S,
                 client: httpx.AsyncClient | None = None) -> None:
        self.timeout_s = timeout_s
        self._client = client

    @property
    def client(self) -> httpx.AsyncClient:
        """Made at the first request (it builds a TLS context: about 18 ms): a node that
        never calls a peer, such as one serving a command, never pays for it."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.timeout_s,
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
                follow_redirects=False,
            )
        return self._client

    async def post(self, base_url: str, body: bytes) -> Reply:
        return await self.call(base_url, TRANSACTIONS_PATH, body)

    async def call(self, base_url: str, path: str, body: bytes) -> Reply:
        try:
            response = await self.client.post(
                base_url + path, content=body,
                headers={"content-type": TRANSACTION_MEDIA_TYPE},
            )
        except httpx.HTTPError as exc:
            raise TransportError(f"{base_url}: {type(exc).__name__}: {exc}") from exc
        return Reply(response.status_code, response.content,
                     response.headers.get("content-type", ""),
                     parse_window(response.headers.get(WINDOW_HEADER)))

    async def get(self, base_url: str, path: str, *, limit_bytes: int,
                  timeout_s: float) -> Reply:
        body = bytearray()
        try:
            async with self.client.stream("GET", base_url + path,
                                          timeout=timeout_s) as response:
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > limit_bytes:
                        break
        except httpx.HTTPError as exc:
            raise TransportError(f"{base_url}: {type(exc).__name__}: {exc}") from exc
        return Reply(response.status_code, bytes(body[:limit_bytes + 1]),
                     response.headers.get("content-type", ""))

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
