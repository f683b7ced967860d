"""Reading the peers' node_info (standard §16.2, node/exchange/capabilities.py): three real nodes
in process, each serving its real GET /federation/v1/info, and the test network between them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from node.cli.node_federation import LINKS_PATH, print_links
from node.exchange.capabilities import (
    FETCH_TIMEOUT_S,
    LACKING_RETRY_MS,
    NODE_INFO_BYTES_MAX,
    NODE_INFO_PATH,
    UNREACHED_RETRY_MS,
    PeerCapabilities,
)
from node.exchange.transport import HttpTransport, Reply, TransportError
from protocol.capabilities import TRANSFER_HUBS
from protocol.policy import DEFAULT_POLICY
from tests.federation import Federation
from tests.support import START_MS, directory_document

SH, NJ, BJ = "sh-pudong", "nj-gulou", "bj-chaoyang"
WINDOW_MS = DEFAULT_POLICY.settlement_window_ms


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ, BJ])
    yield federation
    federation.close()


class Reads:
    """Counts the node_info reads on the network, and answers for a peer as told."""

    def __init__(self, fed: Federation) -> None:
        self.count: dict[str, int] = {}
        self.answer: dict[str, Reply] = {}
        self.rewrite: dict[str, dict[str, object]] = {}
        fed.network.tamper = self

    def __call__(self, receiver: str, path: str, reply: Reply) -> Reply:
        if path != NODE_INFO_PATH:
            return reply
        self.count[receiver] = self.count.get(receiver, 0) + 1
        if receiver in self.rewrite:
            document = {**json.loads(reply.body), **self.rewrite[receiver]}
            return Reply(200, json.dumps(document).encode(), "application/json")
        return self.answer.get(receiver, reply)


def caps(fed: Federation, node_id: str = SH) -> PeerCapabilities:
    return fed.nodes[node_id].exchange.capabilities


def test_the_harness_read_every_peer_and_each_announces_hubs(fed: Federation) -> None:
    for node_id in fed.node_ids:
        for peer in fed.node_ids:
            if peer != node_id:
                assert caps(fed, node_id).read(peer)
                assert caps(fed, node_id).shared(peer) == frozenset({TRANSFER_HUBS})
    assert caps(fed).due() == []  # read now: nothing due until the window is over


def test_until_read_the_baseline_is_assumed(fed: Federation) -> None:
    node = fed.nodes[SH]
    fresh = PeerCapabilities(node_id=SH, federation=node.federation,
                             transport=node.exchange.transport, clock=fed.clock)
    assert (fresh.read(NJ), fresh.shared(NJ), fresh.announces(NJ, TRANSFER_HUBS)) == (
        False, frozenset(), False)
    assert sorted(fresh.due()) == [BJ, NJ]
    assert sorted(fed.run(fresh.refresh())) == [BJ, NJ]
    assert fresh.announces(NJ, TRANSFER_HUBS) and fresh.due() == []


def test_a_404_announces_nothing_and_is_logged_once(
        fed: Federation, caplog: pytest.LogCaptureFixture) -> None:
    reads = Reads(fed)
    reads.answer[NJ] = Reply(404, b'{"code": "route_not_found"}', "application/problem+json")
    with caplog.at_level(logging.WARNING, logger="hourbridge.exchange"):
        fed.run(caps(fed).read_all())
        fed.run(caps(fed).read_all())
    assert caps(fed).read(NJ) and caps(fed).shared(NJ) == frozenset()
    assert caps(fed).shared(BJ) == frozenset({TRANSFER_HUBS})
    warned = [r.getMessage() for r in caplog.records if NJ in r.getMessage()]
    assert len(warned) == 1 and "404" in warned[0], warned
    assert reads.count[NJ] == 2


@pytest.mark.parametrize("rewrite", [
    {"capabilities": ["exchange.in_flight", "transfer.hubs"]},  # changed after signing
    {"node_id": BJ},  # another node's claim
])
def test_a_document_that_fails_to_verify_announces_nothing(
        fed: Federation, rewrite: dict[str, object]) -> None:
    Reads(fed).rewrite[NJ] = rewrite
    fed.run(caps(fed).read_all())
    assert caps(fed).read(NJ) and caps(fed).shared(NJ) == frozenset()


def test_a_document_over_the_size_limit_or_not_json_announces_nothing(fed: Federation) -> None:
    reads = Reads(fed)
    reads.answer[NJ] = Reply(200, b" " * (NODE_INFO_BYTES_MAX + 1), "application/json")
    reads.answer[BJ] = Reply(200, b"[1, 2]", "application/json")
    fed.run(caps(fed).read_all())
    assert caps(fed).shared(NJ) == caps(fed).shared(BJ) == frozenset()


def test_an_unreached_peer_keeps_what_was_held_and_is_read_again_soon(fed: Federation) -> None:
    reads = Reads(fed)
    fed.network.down.add(NJ)
    fed.run(caps(fed).read_all())
    assert caps(fed).shared(NJ) == frozenset({TRANSFER_HUBS})  # read at start: held
    assert caps(fed).retry_after_s(NJ) == UNREACHED_RETRY_MS // 1000
    assert caps(fed).due() == []
    fed.clock.advance(UNREACHED_RETRY_MS)
    assert caps(fed).due() == [NJ]
    fed.network.down.discard(NJ)
    reads.answer[NJ] = Reply(404, b"", "text/plain")
    assert fed.run(caps(fed).refresh()) == [NJ]
    assert caps(fed).shared(NJ) == frozenset()


def test_a_503_says_nothing_and_keeps_what_was_held(fed: Federation) -> None:
    Reads(fed).answer[NJ] = Reply(503, b"", "text/plain")
    fed.run(caps(fed).read_all())
    assert caps(fed).shared(NJ) == frozenset({TRANSFER_HUBS})
    assert caps(fed).retry_after_s(NJ) == UNREACHED_RETRY_MS // 1000


def test_read_again_once_per_settlement_window(fed: Federation) -> None:
    reads = Reads(fed)
    fed.clock.advance(WINDOW_MS - 1)
    assert fed.run(caps(fed).refresh()) == []
    fed.clock.advance(1)
    assert sorted(fed.run(caps(fed).refresh())) == [BJ, NJ]
    assert reads.count == {NJ: 1, BJ: 1}
    assert fed.run(caps(fed).refresh()) == []


def test_a_peer_that_announces_less_is_read_again_within_minutes(fed: Federation) -> None:
    """Its operator may upgrade it any time: routes through it should not wait a day."""
    reads = Reads(fed)
    reads.answer[NJ] = Reply(404, b"{}", "application/problem+json")
    fed.run(caps(fed).read_all())
    assert not caps(fed).announces(NJ, TRANSFER_HUBS)
    del reads.answer[NJ]  # upgraded: it now serves its node_info
    fed.clock.advance(LACKING_RETRY_MS - 1)
    assert fed.run(caps(fed).refresh()) == []
    fed.clock.advance(1)
    assert fed.run(caps(fed).refresh()) == [NJ]  # BJ announces all we do: not before WINDOW_MS
    assert caps(fed).announces(NJ, TRANSFER_HUBS)
    assert LACKING_RETRY_MS < WINDOW_MS


def test_read_again_when_the_directory_changes(fed: Federation) -> None:
    reads = Reads(fed)
    reads.answer[BJ] = Reply(404, b"", "text/plain")  # BJ went back to an old release
    newer = directory_document([SH, NJ, BJ], serial=2, issued_at_ms=START_MS + 1)
    fed.nodes[SH].federation.accept(newer)
    assert sorted(caps(fed).due()) == [BJ, NJ]
    fed.run(caps(fed).refresh())
    assert reads.count == {NJ: 1, BJ: 1}
    assert caps(fed).shared(BJ) == frozenset() and caps(fed).announces(NJ, TRANSFER_HUBS)


def test_refresh_soon_reads_in_a_task_of_its_own(fed: Federation) -> None:
    reads = Reads(fed)
    fed.clock.advance(WINDOW_MS)

    async def go() -> None:
        caps(fed).refresh_soon()
        caps(fed).refresh_soon()  # one read at a time
        assert reads.count == {}  # started, not awaited: the caller goes on at once
        while caps(fed).due():
            await asyncio.sleep(0)
        await caps(fed).stop()

    fed.run(go())
    assert reads.count == {NJ: 1, BJ: 1}


def test_the_http_transport_reads_no_more_than_the_limit_and_reports_no_answer() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "down.test":
            raise httpx.ConnectError("refused", request=request)
        assert (request.method, request.url.path) == ("GET", NODE_INFO_PATH)
        return httpx.Response(200, content=b"x" * 100_000)

    async def go() -> tuple[Reply, str]:
        transport = HttpTransport(client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
        reply = await transport.get("http://big.test", NODE_INFO_PATH, limit_bytes=1_000,
                                    timeout_s=FETCH_TIMEOUT_S)
        with pytest.raises(TransportError) as failed:
            await transport.get("http://down.test", NODE_INFO_PATH, limit_bytes=1_000,
                                timeout_s=FETCH_TIMEOUT_S)
        await transport.aclose()
        return reply, failed.value.detail

    reply, detail = asyncio.run(go())
    assert (reply.status, len(reply.body)) == (200, 1_001)
    assert "ConnectError" in detail


def test_the_links_view_shows_what_each_peer_announces(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """The operator sees, per link, the features both ends speak (`federation links`)."""
    fed = Federation(tmp_path / "traded", [SH, NJ, BJ], members=2, grant_minutes=100)
    for peer in (NJ, BJ):  # a link is listed once something crossed it
        assert fed.send(f"m0@{SH}", f"m1@{peer}", 5).status_code == 201
    fed.settle()
    reads = Reads(fed)
    reads.answer[NJ] = Reply(404, b"{}", "application/problem+json")
    fed.run(caps(fed).read_all())
    reply = fed.call(SH, "GET", LINKS_PATH)
    assert reply.status_code == 200, reply.text
    shown = {row["peer"]: row["capabilities"] for row in reply.json()["items"]}
    assert shown == {NJ: [], BJ: [TRANSFER_HUBS]}
    print_links(SH, reply.json()["items"], live=True)
    printed = capsys.readouterr().out
    assert TRANSFER_HUBS in printed and "none" in printed
    fed.close()
