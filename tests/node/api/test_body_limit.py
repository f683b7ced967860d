"""Request bodies over `body_bytes_max` are refused with 413 body_too_large before anything
reads them: with a Content-Length, and with a chunked body that only turns out too large."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest

from tests.node.api.support import World, assert_problem, writes_nothing

TRANSFER = {"id": "t-big", "from": "alice", "to": "bob", "amount_minutes": 30}
WRITES = [
    "/api/v1/transfers",
    "/api/v1/grants",
    "/api/v1/members",
    "/api/v1/members/alice/deactivate",
    "/api/v1/ledger/reversals",
]


def padded(body: dict[str, Any], size: int) -> bytes:
    """`body` as JSON, padded with insignificant whitespace to exactly `size` bytes."""
    data = json.dumps(body).encode()
    assert len(data) <= size
    return data + b" " * (size - len(data))


def limit(world: World) -> int:
    return world.node.config.body_bytes_max


@pytest.mark.parametrize("path", WRITES)
@pytest.mark.parametrize("role", ["admin", "anonymous"])
def test_declared_length_over_the_limit(world: World, path: str, role: str) -> None:
    headers = {**world.headers[role], "content-type": "application/json"}
    content = padded(TRANSFER, limit(world) + 1)
    with writes_nothing(world.node):
        response = world.api.client.post(path, content=content, headers=headers)
    assert response.request.headers["content-length"] == str(limit(world) + 1)
    assert_problem(response, 413, "body_too_large")


def test_body_of_exactly_the_limit_is_accepted(world: World) -> None:
    headers = {**world.headers["admin"], "content-type": "application/json"}
    content = padded(TRANSFER, limit(world))
    response = world.api.client.post("/api/v1/transfers", content=content, headers=headers)
    assert response.status_code == 201, response.text


def test_streamed_body_over_the_limit(world: World) -> None:
    def chunks() -> Iterator[bytes]:
        data = padded(TRANSFER, limit(world) + 1)
        for start in range(0, len(data), 4096):
            yield data[start : start + 4096]

    headers = {**world.headers["admin"], "content-type": "application/json"}
    with writes_nothing(world.node):
        response = world.api.client.post("/api/v1/transfers", content=chunks(), headers=headers)
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_problem(response, 413, "body_too_large")


async def asgi_post(world: World, path: str, chunks: list[bytes]) -> tuple[int, dict[str, Any]]:
    """Drive the ASGI app directly, one http.request message per chunk and no Content-Length,
    as a server does for a chunked upload."""
    token = world.headers["admin"]["Authorization"].encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"transfer-encoding", b"chunked"),
            (b"authorization", token),
        ],
    }
    incoming = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await world.app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body)


def test_chunked_messages_over_the_limit_are_refused(world: World) -> None:
    data = padded(TRANSFER, limit(world) + 1)
    chunks = [data[i : i + 1000] for i in range(0, len(data), 1000)]
    with writes_nothing(world.node):
        status, body = asyncio.run(asgi_post(world, "/api/v1/transfers", chunks))
    assert (status, body["code"]) == (413, "body_too_large")


def test_chunked_messages_within_the_limit_reach_the_handler(world: World) -> None:
    data = json.dumps(TRANSFER).encode()
    chunks = [data[:10], data[10:25], data[25:]]
    status, body = asyncio.run(asgi_post(world, "/api/v1/transfers", chunks))
    assert (status, body["id"], body["amount_minutes"]) == (201, "t-big", 30)
