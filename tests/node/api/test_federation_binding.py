"""The HTTP binding of the federation documents (standard §21): every refusal on
/federation/v1/transactions and /federation/v1/reconciliation is a problem document naming a
reason code of §12, also when it is made before the document is read, so a peer tells final
from temporary by the code alone. The refusals of the signed documents themselves (steps 1-12)
are pinned for every negative vector in tests/node/exchange/test_bad_input.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from node.api.app import TRANSACTION_BYTES_CEILING, create_app
from node.clock import FakeClock
from node.exchange.transport import TRANSACTIONS_PATH
from node.reconcile.peer import RECONCILE_PATH
from node.runtime import Node
from protocol.reasons import ReasonCode, is_final
from protocol.reconciliation import SIZE_FACTOR
from tests.support import START_MS, build_node, make_config

NODE_ID = "nj-gulou"
PATHS = (TRANSACTIONS_PATH, RECONCILE_PATH)
CEILING = {TRANSACTIONS_PATH: TRANSACTION_BYTES_CEILING,
           RECONCILE_PATH: SIZE_FACTOR * TRANSACTION_BYTES_CEILING}


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[Node]:
    """A node that holds no directory yet: it cannot judge any signed document."""
    node = build_node(make_config(tmp_path / NODE_ID, NODE_ID), FakeClock(START_MS),
                      bootstrap=True)
    yield node
    node.close()


def call(node: Node, method: str, path: str, content: bytes = b"") -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(node)),
                                     base_url=f"http://{NODE_ID}.test") as client:
            return await client.request(method, path, content=content,
                                        headers={"content-type": "application/json"})
    return asyncio.run(go())


def refused(reply: httpx.Response, status: int, reason: ReasonCode) -> None:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["reason"] == reason.value, reply.json()


@pytest.mark.parametrize("path", PATHS)
def test_a_node_without_a_directory_refuses_temporarily(bare: Node, path: str) -> None:
    reply = call(bare, "POST", path, b'{"standard":"hourbridge/1"}')
    refused(reply, 503, ReasonCode.RECEIVER_UNAVAILABLE)
    assert not is_final(ReasonCode.RECEIVER_UNAVAILABLE)  # the sender tries again later


@pytest.mark.parametrize("path", PATHS)
def test_a_body_past_the_ceiling_is_too_large_and_final(bare: Node, path: str) -> None:
    reply = call(bare, "POST", path, b"[" + b" " * CEILING[path] + b"]")
    refused(reply, 413, ReasonCode.TOO_LARGE)
    assert is_final(ReasonCode.TOO_LARGE)  # the same bytes never succeed


@pytest.mark.parametrize("path", PATHS)
def test_another_method_is_malformed(bare: Node, path: str) -> None:
    reply = call(bare, "GET", path)
    refused(reply, 405, ReasonCode.MALFORMED)
    assert "POST" in reply.headers["allow"]


def test_other_api_paths_carry_no_reason(bare: Node) -> None:
    """The reason belongs to the federation binding; the members' API speaks in `code`."""
    reply = call(bare, "GET", "/api/v1/members")
    assert reply.status_code == 401 and "reason" not in reply.json()
