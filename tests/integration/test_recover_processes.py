"""`hourbridge recover` with real node processes: a node's database is restored from a
snapshot taken before some cross-node transfers; recovering from its peer brings every one of
them back, nothing lost or doubled, and the next settlement window reconciles. Started first
without `recover`, the node says once, by name, that the peer is ahead and what to run. A hub
restored the same way gets both legs of each routed transfer back."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.integration.processes import FAST_RETRY, Cluster, ClusterFactory, check_books, hourbridge
from tests.integration.test_hubs_processes import first_routed, link_map

pytestmark = pytest.mark.slow

A, B = "sh-pudong", "nj-gulou"
MEMBERS = ["m0", "m1", "m2"]
ADDRESSES = [f"{m}@{n}" for n in (A, B) for m in MEMBERS]


def traffic(cluster: Cluster, tag: str) -> None:
    moves = [(A, f"m0@{A}", f"m1@{B}", 30), (B, f"m1@{B}", f"m2@{A}", 11),
             (A, f"m2@{A}", f"m0@{B}", 17), (B, f"m0@{B}", f"m0@{A}", 4)]
    for i, (home, debtor, creditor, minutes) in enumerate(moves):
        made = cluster.transfer(home, f"{tag}-{i}", debtor.split("@")[0], creditor, minutes)
        assert made.status_code == 201, made.text
    for i, (home, *_rest) in enumerate(moves):
        cluster.wait_for(lambda home=home, i=i: cluster.state(home, f"{tag}-{i}") == "committed",
                         f"{tag}-{i} commits")


def copy_database(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)


LATE_MINUTES = 5


def started_without_recover(cluster: Cluster) -> None:
    """The operator forgot `hourbridge recover`: B's next transaction skips past A's restored
    chain. A says so once, naming the command, in its log, `federation links` and /metrics."""
    cluster[A].start()
    cluster.wait_for(cluster[A].healthy, "A is back, restored")
    made = cluster.transfer(B, "late", "m1", f"m2@{A}", LATE_MINUTES)
    assert made.status_code == 201, made.text
    cluster.wait_for(lambda: "peer_ahead" in cluster[A].log_path.read_text(), "A sees B ahead")
    with cluster[A].client() as http:
        metrics = http.get("/metrics").text.splitlines()
    assert f'hourbridge_link_peer_ahead{{peer="{B}"}} 1' in metrics
    links = hourbridge("federation", "links", "--data", str(cluster[A].data))
    assert f"peer ahead: {B} is ahead of our incoming chain" in links
    assert "hourbridge recover" in links
    # With a token the same view comes from the running node (and its clock offsets).
    live = hourbridge("federation", "links", "--data", str(cluster[A].data), "--token",
                      cluster[A].token, "--url", cluster[A].url)
    assert f"peer ahead: {B} is ahead of our incoming chain" in live and "pass --token" not in live
    cluster[A].stop()
    errors = [line for line in cluster[A].log_path.read_text().splitlines()
              if "peer_ahead" in line]
    assert len(errors) == 1 and B in errors[0] and "hourbridge recover" in errors[0], errors


def test_recover_brings_back_every_cross_node_transfer(make_cluster: ClusterFactory,
                                                       tmp_path: Path) -> None:
    cluster = make_cluster([A, B], env=FAST_RETRY)
    cluster.start()
    for node in (A, B):
        cluster.seed(node, MEMBERS, minutes=600)
    traffic(cluster, "before")

    cluster[A].stop()
    backup = tmp_path / "a-backup.db"
    copy_database(cluster[A].db_path, backup)
    cluster[A].start()
    cluster.wait_for(cluster[A].healthy, "A is back")
    traffic(cluster, "after")
    balances = {address: cluster.available(address) for address in ADDRESSES}

    cluster[A].stop()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{cluster[A].db_path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, cluster[A].db_path)
    started_without_recover(cluster)
    balances[f"m1@{B}"] -= LATE_MINUTES  # B's late transfer goes through after the recovery
    balances[f"m2@{A}"] += LATE_MINUTES
    report = json.loads(hourbridge("recover", "--data", str(cluster[A].data), "--json"))
    by_chain = {row["chain"]: row for row in report}
    assert by_chain["outgoing"]["debits"] == 2 and by_chain["incoming"]["credits"] == 2, report
    cluster[A].start()
    cluster.wait_for(cluster[A].healthy, "A is back")
    cluster.wait_for(lambda: cluster.state(B, "late") == "committed", "the late one commits")
    assert "peer ahead" not in hourbridge("federation", "links", "--data", str(cluster[A].data))

    assert {address: cluster.available(address) for address in ADDRESSES} == balances
    # A's own transfers made after the backup come back under the standard's transfer id (the
    # client's id was never in the signed prepare); B's are unaffected.
    assert cluster.state(B, "after-1") == cluster.state(B, "after-3") == "committed"
    committed = cluster[A].query("SELECT count(*) FROM transfers WHERE state = 'committed'")
    assert committed[0][0] == 4
    (window,) = json.loads(hourbridge("window", "close", "--data", str(cluster[A].data),
                                      "--json"))
    assert window["state"] == "matched", window
    assert window["record"]["outgoing"]["count"] == 4  # before and after, none twice
    cluster.stop()
    check_books(cluster)


HUB, C = "js-hub", "js-suzhou"


def test_recover_brings_back_a_hubs_routed_transfers(make_cluster: ClusterFactory,
                                                     tmp_path: Path) -> None:
    """sh-pudong -- js-hub -- js-suzhou: the hub is restored from a snapshot taken before two
    routed transfers; `hourbridge recover` gives it both legs of each back (its hours in
    passage net to zero, check_books), and the next routed transfer goes through it."""
    cluster = make_cluster([A, HUB, C], env=FAST_RETRY)
    link_map(cluster, cluster.root, [(A, HUB), (HUB, C)])
    cluster.start()
    for node in (A, C):
        cluster.seed(node, MEMBERS, minutes=600)
    cluster[HUB].stop()
    backup = tmp_path / "hub-backup.db"
    copy_database(cluster[HUB].db_path, backup)
    cluster[HUB].start()
    cluster.wait_for(cluster[HUB].healthy, "the hub is back")
    assert first_routed(cluster, A, "far", "m0", f"m1@{C}", 45).status_code == 201
    assert first_routed(cluster, C, "back", "m2", f"m2@{A}", 20).status_code == 201
    for home, transfer_id in ((A, "far"), (C, "back")):
        cluster.wait_for(lambda h=home, t=transfer_id: cluster.state(h, t) == "committed",
                         f"{transfer_id} commits", timeout_s=40)
    addresses = [f"{m}@{n}" for n in (A, C) for m in MEMBERS]
    balances = {address: cluster.available(address) for address in addresses}

    cluster[HUB].stop()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{cluster[HUB].db_path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, cluster[HUB].db_path)
    report = json.loads(hourbridge("recover", "--data", str(cluster[HUB].data), "--json"))
    assert all("error" not in row for row in report), report
    # Each end's chain gives the hub one leg it answered delivered and one it sent.
    assert sum(row["credits"] for row in report) == 2, report
    assert sum(row["debits"] for row in report) == 2, report
    legs = cluster[HUB].query(
        "SELECT forwarded_from, peer_node_id, state FROM transfers ORDER BY forwarded_from")
    assert legs == sorted([(A, C, "committed"), (C, A, "committed")]), legs
    again = json.loads(hourbridge("recover", "--data", str(cluster[HUB].data), "--json"))
    assert sum(row["transactions"] for row in again) == 0, again

    cluster[HUB].start()
    cluster.wait_for(cluster[HUB].healthy, "the hub is back, recovered")
    assert first_routed(cluster, A, "next", "m1", f"m0@{C}", 5).status_code == 201
    cluster.wait_for(lambda: cluster.state(A, "next") == "committed", "next commits",
                     timeout_s=40)
    balances[f"m1@{A}"] -= 5
    balances[f"m0@{C}"] += 5
    assert {address: cluster.available(address) for address in addresses} == balances
    cluster.stop()
    totals = check_books(cluster)
    assert totals["in_flight"] == 0
