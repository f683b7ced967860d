"""`hourbridge conformance` as a process against a real `hourbridge serve` (it passes), and
against a lax target that accepts whatever is signed in the right shape (it fails).

The kit's node is made by `hourbridge init` and listed in the directory the target holds, with
a per-partner cap the kit can pass in one prepare; it is never served.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from node.config import load_config
from tests.integration.conformance_fixtures import (
    MOVER,
    NEW_HOME,
    member_who_may_not_receive,
    member_who_moved,
    write_fixtures,
)
from tests.integration.conformance_support import KIT, MEMBER, TARGET, KitCluster, lax_target
from tests.integration.processes import SERVE, child_env

pytestmark = pytest.mark.slow

KIT_TIMEOUT_S = 60.0
PASSING_ROWS = [
    "a prepare to a member commits",
    "the same transaction again: the stored response, byte for byte",
    "changed after signing",
    "non-canonical base64url signature",
    "signed after now + skew",
    "sequence gap",
    "prev_hash mismatch",
    "refusals changed nothing: the next transaction is accepted",
    "amount over amount_minutes_max",
    "over the kit's net_debit_cap_per_partner_minutes",
    "never seen, after its expiry: unknown_expired",
    "a valid statement message: unsupported_message_type",
    "a member moves to the target: receipt",
    "a request to a member of the target: ack",
    "window 1: co-signed (matched)",
    "descent (summary, split_key, leaves) finds the left-out key",
    "window 2 repaired: co-signed",
    "the disputed window stays disputed: no co-signature later",
    "the target's transactions pass a conforming node's checks",
    "after a temporary refusal: the same transaction again",
    "the target commits on the kit's receipt",
    "the target releases on the kit's final reject",
    # from the operator's fixtures (conformance_fixtures.py)
    "signed with a key of the sender not valid at the signing time",
    "the sender is suspended in the directory",
    "the sender is retired in the directory",
    "a creditor who may not receive",
    "a member of the target moved away; a prepare to her old address: creditor_relocated",
]


def kit(cluster: KitCluster, target_url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    key = load_config(cluster[KIT].data, env={}).key_path
    return subprocess.run(
        [*SERVE, "conformance", "--target", target_url, "--directory",
         str(cluster.root / "directory.json"), "--key", str(key), "--node-id", KIT,
         "--member", MEMBER, *extra],
        env=child_env({}), capture_output=True, text=True, timeout=KIT_TIMEOUT_S, check=False)


def rows(stdout: str) -> dict[str, str]:
    """scenario -> result, from the tables as printed to a pipe (one line per row)."""
    found = {}
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if len(cells) == 3:
            found[cells[0]] = cells[1]
    return found


def test_the_kit_passes_against_a_real_node(tmp_path: Path) -> None:
    cluster = KitCluster(tmp_path, new_home=True)
    try:
        cluster.start(TARGET, NEW_HOME)
        cluster.seed(TARGET, [MEMBER, MOVER], minutes=60)  # she pays the kit's members too
        with cluster[TARGET].client() as http:
            member_who_may_not_receive(http)
            member_who_moved(http)
        done = kit(cluster, cluster[TARGET].url, "--admin-token", cluster[TARGET].token,
                   "--fixtures", str(write_fixtures(cluster.fixtures)))
        results = rows(done.stdout)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "CONFORMS" in done.stdout
        assert {row: results.get(row) for row in PASSING_ROWS} == dict.fromkeys(
            PASSING_ROWS, "pass"), done.stdout
        assert "fail" not in results.values()
        assert results["approval: a service_payment prepare from the target"] == "not run"
        again = kit(cluster, cluster[TARGET].url)  # a kit id runs once: the link is not fresh
        assert again.returncode == 2 and "runs once" in again.stderr, again.stderr
        cluster.stop()
    finally:
        cluster.close()


def test_the_kit_fails_a_target_that_accepts_what_it_must_refuse(tmp_path: Path) -> None:
    cluster = KitCluster(tmp_path)
    with lax_target(cluster) as url:
        done = kit(cluster, url, "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    checks = {c["scenario"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["a prepare to a member commits"]["status"] == "pass"
    for scenario in ("changed after signing", "key not in the directory",
                     "signed after now + skew", "sequence gap"):
        assert checks[scenario]["status"] == "fail", checks[scenario]
        assert checks[scenario]["detail"].startswith("accepted"), checks[scenario]
    # Its answer to a stranger is signed as the stranger's receiver: not a response to the kit.
    assert checks["signer not in the directory"]["status"] == "fail"
