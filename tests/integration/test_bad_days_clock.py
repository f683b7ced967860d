"""Clock skew both ways between two real linked nodes (issue 17, item 6).

sh-pudong's wall clock is moved while it runs by libfaketime (LD_PRELOAD, the offset read from
a file on every call; the monotonic clock is left alone): first 10 minutes ahead, then
corrected, then 10 minutes behind, then corrected. Each node judges the other's signed times,
so with transfers queued both ways:

* each skew is detected against the peer's signed times and logged once per episode with the
  right advice (fix NTP; never "rotate keys"), and shown in `federation links --token`, the
  links API and /metrics `hourbridge_clock_offset_ms{peer=...}`;
* transfers queued while the clock was wrong drain within seconds of its correction (their
  send times were stamped by the wrong clock: no 10-minute hold);
* nothing is lost or doubled (tests.audit, from both databases after the nodes stop).

Skipped, with the reason, where libfaketime is not installed (.ci/run installs it and sets
HOURBRIDGE_TEST_REQUIRE_FAKETIME=1, which turns the skip into a failure).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from tests.integration.processes import Cluster, ClusterFactory, check_books, hourbridge

pytestmark = pytest.mark.slow

SKEWED, PEER = "sh-pudong", "nj-gulou"
FAKETIME_LIBS = ("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                 "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
                 "/usr/lib/faketime/libfaketime.so.1")
REQUIRE_FAKETIME_ENV = "HOURBRIDGE_TEST_REQUIRE_FAKETIME"  # .ci/run sets it
SKEW_S = 600
# How far a measured offset may lie from the step: half a round trip, and the seconds between
# the step and the reading.
OFFSET_TOLERANCE_MS = 5_000
# The queue must drain this soon after the clock is corrected (it used to hold 10 minutes).
DRAIN_S = 10.0
PER_EPISODE = 3  # transfers queued each way while the clock is wrong
MEMBERS = ["m0", "m1"]


def faketime_library() -> str:
    for path in FAKETIME_LIBS:
        if Path(path).exists():
            return path
    reason = ("libfaketime is not installed (apt-get install faketime): it moves one node's "
              "wall clock while it runs")
    if os.environ.get(REQUIRE_FAKETIME_ENV) == "1":
        pytest.fail(f"{REQUIRE_FAKETIME_ENV}=1 but {reason}")
    pytest.skip(reason)


def faketime_env(library: str, offset_file: Path) -> dict[str, str]:
    """The wall clock from `offset_file`, read on every call (NO_CACHE: the test moves it);
    the monotonic clock left alone, and with it every timed wait: libfaketime's "monotonic
    fix" of condition-variable waits made each hand-over to a worker thread cost ~20 ms,
    which slowed every request of the node tenfold."""
    return {"LD_PRELOAD": library, "FAKETIME_TIMESTAMP_FILE": str(offset_file),
            "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "FAKETIME_FORCE_MONOTONIC_FIX": "0"}


def set_clock(offset_file: Path, offset_s: int) -> None:
    """The skewed node's wall clock from its next reading on: real time + offset_s."""
    offset_file.write_text(f"{offset_s:+d}\n")


def queue(cluster: Cluster, tag: str, count: int = PER_EPISODE) -> list[tuple[str, str]]:
    """`count` transfers each way; returns (home node, transfer id)."""
    made: list[tuple[str, str]] = []
    for i in range(count):
        for home, other in ((SKEWED, PEER), (PEER, SKEWED)):
            transfer_id = f"{tag}-{home[:2]}-{i}"
            answer = cluster.transfer(home, transfer_id, "m0", f"m1@{other}", 1 + i)
            assert answer.status_code == 201, answer.text
            made.append((home, transfer_id))
    return made


def committed(cluster: Cluster, transfers: list[tuple[str, str]]) -> bool:
    """Committed at their senders (read from the files: polling stays cheap); check_books
    holds the receivers to the same at the end."""
    for node_id in (SKEWED, PEER):
        ids = [tid for home, tid in transfers if home == node_id]
        marks = ",".join("?" * len(ids))
        done = cluster[node_id].query(
            f"SELECT count(*) FROM transfers WHERE state = 'committed' AND id IN ({marks})",
            tuple(ids))[0][0]
        if done != len(ids):
            return False
    return True


def lines(cluster: Cluster, node_id: str, pattern: str) -> list[str]:
    text = cluster[node_id].log_path.read_text(errors="replace")
    return [line for line in text.splitlines() if re.search(pattern, line)]


def offset_ms(cluster: Cluster, node_id: str, peer: str) -> int | None:
    """The /metrics gauge of `node_id`'s clock minus `peer`'s."""
    with cluster[node_id].client() as http:
        text = http.get("/metrics").text
    found = re.search(rf'^hourbridge_clock_offset_ms{{peer="{peer}"}} (-?\d+)$', text, re.M)
    return int(found.group(1)) if found else None


def near(value: int | None, expected_ms: int) -> bool:
    return value is not None and abs(value - expected_ms) <= OFFSET_TOLERANCE_MS


def shown_in_links(cluster: Cluster, side: str) -> None:
    """The links API and `federation links --token` show the offset, flagged, with advice."""
    node = cluster[SKEWED]
    with node.client() as http:
        [link] = http.get("/api/v1/federation/links").json()["items"]
    assert link["peer"] == PEER and link["clock_skewed"] is True, link
    assert near(link["clock_offset_ms"], SKEW_S * 1000 * (1 if side == "ahead of" else -1))
    assert f"{side} {PEER}'s: fix NTP" in link["clock_advice"], link
    table = hourbridge("federation", "links", "--data", str(node.data), "--token", node.token,
                       "--url", node.url)
    assert "SKEWED" in table, table
    assert re.search(rf"clock: this node's clock is [\d.]+ s {side} {PEER}'s: fix NTP", table), \
        table


def drains(cluster: Cluster, offset_file: Path, transfers: list[tuple[str, str]]) -> float:
    """Correct the clock; seconds until every queued transfer committed on both sides."""
    assert not committed(cluster, transfers), "nothing was held while the clock was wrong"
    set_clock(offset_file, 0)
    started = time.monotonic()
    cluster.wait_for(lambda: committed(cluster, transfers), "the queue drains",
                     timeout_s=DRAIN_S)
    return time.monotonic() - started


def test_a_clock_ahead_then_behind_is_detected_advised_shown_and_drains_when_fixed(
        make_cluster: ClusterFactory, tmp_path: Path) -> None:
    library = faketime_library()
    offset_file = tmp_path / "sh-pudong.clock"
    set_clock(offset_file, 0)
    cluster = make_cluster([SKEWED, PEER])
    cluster.start(env={SKEWED: faketime_env(library, offset_file)})
    for node_id in (SKEWED, PEER):
        cluster.seed(node_id, MEMBERS, minutes=600)
    linked = queue(cluster, "sane", count=1)
    cluster.wait_for(lambda: committed(cluster, linked), "the link works with sane clocks")

    # Ahead: the peer refuses our transactions (its reading: we are ahead), and we refuse its
    # (ours: we are ahead).
    set_clock(offset_file, SKEW_S)
    ahead = queue(cluster, "ahead")
    cluster.wait_for(lambda: near(offset_ms(cluster, SKEWED, PEER), SKEW_S * 1000),
                     "the skewed node measures itself ahead")
    cluster.wait_for(lambda: near(offset_ms(cluster, PEER, SKEWED), -SKEW_S * 1000),
                     "the peer measures the skewed node ahead")
    shown_in_links(cluster, "ahead of")
    took_ahead_s = drains(cluster, offset_file, ahead)

    # Behind: no key of ours is valid yet at our clock (made at init), and the peer's
    # transactions come from our future.
    set_clock(offset_file, -SKEW_S)
    behind = queue(cluster, "behind")
    cluster.wait_for(lambda: near(offset_ms(cluster, SKEWED, PEER), -SKEW_S * 1000),
                     "the skewed node measures itself behind")
    shown_in_links(cluster, "behind")
    cluster.wait_for(lambda: lines(cluster, SKEWED, r"clock is behind: fix NTP \(do not rotate"),
                     "the signer says the clock is behind")
    took_behind_s = drains(cluster, offset_file, behind)
    assert took_ahead_s < DRAIN_S and took_behind_s < DRAIN_S

    warned = lines(cluster, SKEWED, f"clock skew with {PEER}:")
    assert len(warned) == 2, warned  # once per episode
    assert f"s ahead of {PEER}'s: fix NTP" in warned[0], warned
    assert f"behind {PEER}'s: fix NTP" in warned[1], warned
    assert len(lines(cluster, PEER, f"clock skew with {SKEWED}:")) >= 1
    for node_id in (SKEWED, PEER):
        wrong = lines(cluster, node_id, r"(?<!do not )(?<!not )rotate keys")
        assert not wrong, wrong  # "rotate keys" is advice for expired keys only
    cluster.stop()
    totals = check_books(cluster)  # every transfer on both sides or neither, hours conserved
    assert totals, totals
