"""A transfer routed through two hubs between real `hourbridge serve` processes (standard §22.4):

    sh-pudong -- js-hub -- zj-hub -- zj-jiaxing

The authority signs a link map with the CLI and every node loads it at start (link_map_source),
as an operator sets a cluster up (docs/federation.md). A three-link transfer commits; then the
first hub dies with SIGKILL right after it stored a leg and its forward (a crash point: as
kill -9 leaves it), and again at rest with legs in flight, and comes back; nothing is lost:
check_books reads every database once all have stopped (each leg committed on both sides or
neither, every link square, nothing held in transit or reserved, nothing queued).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from node.config import load_config, save_config
from node.exchange.faults import CRASH_ENV, CRASH_EXIT_CODE
from tests.integration.processes import Cluster, ClusterFactory, check_books, hourbridge

pytestmark = pytest.mark.slow

A, HUB1, HUB2, C = "sh-pudong", "js-hub", "zj-hub", "zj-jiaxing"
LINKS = [(A, HUB1), (HUB1, HUB2), (C, HUB2)]
GRANT = 6_000
CAP = 100_000


def link_map(cluster: Cluster, root: Path,
             links: list[tuple[str, str]] | None = None) -> None:
    """The authority signs the map (`hourbridge directory link-map sign`); each node's
    node.toml names the published file, which `serve` loads after the directory."""
    body = root / "links-body.json"
    body.write_text(json.dumps({"hops_max": 3, "links": [
        {"a": min(pair), "b": max(pair), "a_cap_minutes": CAP, "b_cap_minutes": CAP}
        for pair in sorted(tuple(sorted(p)) for p in links or LINKS)]}), encoding="utf-8")
    published = root / "links.json"
    hourbridge("directory", "link-map", "sign", str(body), "--authority",
               str(root / "authority"), "--publish", str(published))
    for node in cluster.nodes.values():
        config = load_config(node.data, env={})
        save_config(config.model_copy(update={"link_map_source": str(published)}))


def first_routed(cluster: Cluster, *args: str | int) -> httpx.Response:
    """A node reads its peers' node_info in the background once it is up (standard §16.2);
    until it has read its first hop's, a routed transfer is refused 503 `route_not_supported`
    with Retry-After, and a client asks again, as here."""
    def made() -> httpx.Response | None:
        answer = cluster.transfer(*args)  # type: ignore[arg-type]
        if answer.status_code == 503 and answer.json()["code"] == "route_not_supported":
            assert int(answer.headers["Retry-After"]) >= 1
            return None
        return answer
    return cluster.wait_for(made, "the first hop's node_info read")


def test_three_links_commit_and_a_hub_killed_mid_flight_loses_nothing(
        make_cluster: ClusterFactory, tmp_path: Path) -> None:
    cluster = make_cluster([A, HUB1, HUB2, C])
    link_map(cluster, cluster.root)
    # js-hub dies right after storing the first transaction it receives with its answer: the
    # leg taken and its forward queued, nothing replied.
    cluster.start(env={HUB1: {CRASH_ENV: "receiver_after_commit"}})
    for node_id in (A, C):
        cluster.seed(node_id, ["m0", "m1"], minutes=GRANT)
    with cluster[A].client() as http:
        route = http.get("/api/v1/federation/route", params={"to": C})
    assert route.json()["route"] == [A, HUB1, HUB2, C], route.text

    made = first_routed(cluster, A, "far-1", f"m0@{A}", f"m1@{C}", 90)
    assert made.status_code == 201, made.text
    assert cluster.wait_exit(HUB1) == CRASH_EXIT_CODE
    cluster.restart(HUB1)
    cluster.wait_for(lambda: cluster.state(A, "far-1") == "committed", "far-1 committed",
                     timeout_s=40)

    # Under way again, killed at rest with several legs in flight, then brought back.
    for i in range(6):
        assert cluster.transfer(A, f"far-{i + 2}", f"m{i % 2}@{A}", f"m1@{C}",
                                10 + i).status_code == 201
    cluster[HUB1].kill()
    for i in range(2):
        assert cluster.transfer(C, f"back-{i}", f"m0@{C}", f"m1@{A}", 7).status_code == 201
    cluster.restart(HUB1)
    for transfer_id in [f"far-{i + 2}" for i in range(6)]:
        cluster.wait_for(lambda t=transfer_id: cluster.state(A, t) == "committed",
                         f"{transfer_id} committed", timeout_s=40)
    for i in range(2):
        cluster.wait_for(lambda i=i: cluster.state(C, f"back-{i}") == "committed",
                         f"back-{i} committed", timeout_s=40)
    sent_by = {"m0": 90 + sum(10 + i for i in range(0, 6, 2)),
               "m1": sum(10 + i for i in range(1, 6, 2))}
    assert cluster.available(f"m1@{C}") == GRANT + sent_by["m0"] + sent_by["m1"]
    assert cluster.available(f"m0@{A}") == GRANT - sent_by["m0"]
    assert cluster.available(f"m1@{A}") == GRANT - sent_by["m1"] + 2 * 7
    cluster.stop()
    totals = check_books(cluster)
    assert totals["in_flight"] == 0
