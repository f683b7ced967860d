"""A new federation directory reaching running `hourbridge serve` processes (issue 12, finding 3).

An operator who follows docs/operations.md runs `hourbridge federation load` on the data folder
of a running node: the serial lands in the database the process shares. The process must adopt
it at its next refresh (scheduled, or asked for with `POST /api/v1/federation/directory/refresh`
or `hourbridge federation refresh`), never insert it a second time; and a node the authority
suspends is refused by every other node within one refresh.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest

from tests.integration.processes import Cluster, ClusterFactory, NodeProcess, hourbridge

pytestmark = pytest.mark.slow

A, B, X = "sh-pudong", "nj-gulou", "hz-xihu"
REFRESH = "/api/v1/federation/directory/refresh"
# What the wedged node logged on every refresh before the fix.
DUPLICATE_SERIAL = ("UNIQUE constraint failed", "IntegrityError", "UniqueViolation")


def authority(cluster: Cluster, *args: str) -> str:
    return hourbridge("directory", *args, "--authority", str(cluster.root / "authority"))


def publish(cluster: Cluster) -> None:
    """Put the authority's last signed directory where the nodes' directory_source points, by
    temp file and rename, as `directory sign --publish` does."""
    signed = (cluster.root / "authority" / "directory.json").read_bytes()
    temp = cluster.root / "directory.json.tmp"
    temp.write_bytes(signed)
    os.replace(temp, cluster.root / "directory.json")


def held(node: NodeProcess) -> dict[str, Any]:
    got = httpx.get(f"{node.url}/federation/v1/directory", timeout=5.0)
    assert got.status_code == 200, got.text
    document: dict[str, Any] = got.json()
    return document


def status_of(document: dict[str, Any], node_id: str) -> str:
    return str(next(n["status"] for n in document["nodes"] if n["node_id"] == node_id))


def refresh(node: NodeProcess) -> dict[str, Any]:
    with node.client() as http:
        reply = http.post(REFRESH)
    assert reply.status_code == 200, f"{reply.status_code} {reply.text}\n{node.tail()}"
    body: dict[str, Any] = reply.json()
    return body


def no_duplicate_serial_errors(cluster: Cluster) -> None:
    for node in cluster.nodes.values():
        log = node.log_path.read_text(errors="replace")
        assert not any(mark in log for mark in DUPLICATE_SERIAL), node.tail(60)


def test_a_serial_loaded_by_the_cli_beside_a_running_node_is_adopted_at_its_next_refresh(
        make_cluster: ClusterFactory) -> None:
    cluster = make_cluster([A, B])
    # B refreshes on its own every second; A only when asked (the default is 5 minutes).
    cluster.start(env={B: {"HOURBRIDGE_DIRECTORY_REFRESH_S": "1"}})
    assert held(cluster[A])["serial"] == held(cluster[B])["serial"] == 1
    authority(cluster, "sign", "--allow-unchanged")  # serial 2, not yet published
    signed = str(cluster.root / "authority" / "directory.json")

    # The operator of each node loads it into the running node's folder, then the authority
    # publishes it where both nodes' directory_source points.
    for node_id in (A, B):
        printed = hourbridge("federation", "load", "--data", str(cluster[node_id].data), signed)
        assert "now holds" in printed and "serial 2" in printed, printed
    publish(cluster)

    # B's scheduled refresh reads serial 2 from the source, which its database already holds.
    cluster.wait_for(lambda: held(cluster[B])["serial"] == 2, "B adopts serial 2 on schedule")
    # A pulls it when asked.
    answered = refresh(cluster[A])
    assert (answered["serial"], answered["changed"]) == (2, True)
    assert held(cluster[A])["serial"] == 2
    assert refresh(cluster[A])["changed"] is False  # again: nothing new, nothing written
    for node in cluster.nodes.values():
        assert node.query("SELECT serial FROM directories ORDER BY serial") == [(1,), (2,)]
    cluster.stop()
    no_duplicate_serial_errors(cluster)


def unanswered_to(node: NodeProcess, peer: str) -> list[str]:
    """Documents of the signed transactions `node` sent `peer` that got no answer."""
    return [document for (document,) in node.query(
        "SELECT document FROM out_transactions WHERE peer_node_id = ? AND response IS NULL",
        (peer,))]


def link_error(node: NodeProcess, peer: str) -> str:
    with node.client() as http:
        links = http.get("/api/v1/federation/links").json()["items"]
    return str(next(link for link in links if link["peer"] == peer)["last_error"] or "")


def received_from(node: NodeProcess, sender: str) -> int:
    return int(node.query("SELECT count(*) FROM in_transactions WHERE sender = ?",
                          (sender,))[0][0])


def test_a_suspension_reaches_every_node_within_one_refresh(
        make_cluster: ClusterFactory) -> None:
    cluster = make_cluster([A, B, X])
    cluster.start()
    cluster.seed(X, ["m0"], minutes=600)
    for peer in (A, B):
        cluster.seed(peer, ["m1"], minutes=1)
        made = cluster.transfer(X, f"before-{peer}", "m0", f"m1@{peer}", 10)
        assert made.status_code == 201, made.text
    cluster.wait_for(lambda: all(cluster.state(X, f"before-{p}") == "committed" for p in (A, B)),
                     "X's transfers commit while it is active")
    accepted_before = {peer: received_from(cluster[peer], X) for peer in (A, B)}

    authority(cluster, "suspend", "--node-id", X)
    authority(cluster, "sign", "--publish", str(cluster.root / "directory.json"))
    # A's operator loads it by hand first (docs/operations.md); that used to wedge the node.
    hourbridge("federation", "load", "--data", str(cluster[A].data))
    # One refresh each: A through the CLI, B through the endpoint. X is not told.
    printed = hourbridge("federation", "refresh", "--data", str(cluster[A].data),
                         "--token", cluster[A].token)
    assert "serial 2" in printed and f"not active: {X}" in printed, printed
    answered = refresh(cluster[B])
    assert (answered["serial"], answered["statuses"][X]) == (2, "suspended")
    for peer in (A, B):
        assert status_of(held(cluster[peer]), X) == "suspended"
    assert status_of(held(cluster[X]), X) == "active"

    # X, unaware, sends to both; each refuses at admission with the standard's reason.
    for peer in (A, B):
        made = cluster.transfer(X, f"after-{peer}", "m0", f"m1@{peer}", 10)
        assert made.status_code == 201, made.text
    cluster.wait_for(lambda: all("sender_suspended" in link_error(cluster[X], p) for p in (A, B)),
                     "X's sender told sender_suspended by both peers")
    for peer in (A, B):
        (document,) = unanswered_to(cluster[X], peer)
        replayed = httpx.post(f"{cluster[peer].url}/federation/v1/transactions",
                              content=document.encode(), timeout=5.0,
                              headers={"Content-Type": "application/json"})
        assert replayed.status_code in (403, 422), replayed.text
        assert replayed.json()["reason"] == "sender_suspended", replayed.text
        assert received_from(cluster[peer], X) == accepted_before[peer]
        assert cluster.state(X, f"after-{peer}") == "pending"
        assert cluster.available(f"m1@{peer}") == 1 + 10
    cluster.stop()
    no_duplicate_serial_errors(cluster)


def test_the_refresh_cli_says_when_no_node_runs(make_cluster: ClusterFactory) -> None:
    cluster = make_cluster([A])
    with pytest.raises(AssertionError, match="is `hourbridge serve` running"):
        hourbridge("federation", "refresh", "--data", str(cluster[A].data), "--token", "x")
