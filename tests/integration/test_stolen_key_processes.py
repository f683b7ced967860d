"""A stolen node key against a real `hourbridge serve` process (issue 12, finding 1).

The holder of nj-gulou's signing key (read from its data folder, as a thief would) credits a
member of sh-pudong with 120,000 minutes nobody paid, in four transactions on nj-gulou's chain,
then, as the link's scheduled closer (the smaller node id), proposes the link's first window cut
at 0 — signed as late as the skew bound allows, to hide as little as it must. sh-pudong answers
over HTTP on loopback: it does not co-sign, it records a `cut_behind` dispute that names the
120,000 minutes past the cut, and it freezes the link.
"""

from __future__ import annotations

import json
import time

import pytest

from node.config import load_config
from node.exchange.requests import new_id
from node.keys import load_key_file
from protocol.fields import GENESIS_HASH
from protocol.policy import DEFAULT_POLICY
from protocol.reconciliation import build_request
from protocol.statements import IN_FLIGHT_MAX
from tests.forgery import hiding_statement, mint_transaction
from tests.integration.processes import ClusterFactory

pytestmark = pytest.mark.slow

NJ, SH = "nj-gulou", "sh-pudong"
# 6,000: the default policy's amount_minutes_max; more transactions past the cut than a window
# may hold in flight (standard §6.5), under the default partner cap (600,000 minutes).
PER_PREPARE, PREPARES, TRANSACTIONS = 6_000, 5, IN_FLIGHT_MAX + 2
MINTED = PER_PREPARE * PREPARES * TRANSACTIONS


def test_a_closer_with_a_stolen_key_cannot_hide_minted_hours(
        make_cluster: ClusterFactory) -> None:
    cluster = make_cluster([NJ, SH])
    key = load_key_file(load_config(cluster[NJ].data, env={}).key_path, None)
    cluster.start(SH)  # the thief needs no running nj-gulou: the key is enough
    cluster.seed(SH, ["m0"], minutes=1)

    with cluster[SH].client() as http:
        prev, answered_at_ms = GENESIS_HASH, 0
        for sequence in range(1, TRANSACTIONS + 1):
            raw, prev = mint_transaction(sender=NJ, receiver=SH, key=key, sequence=sequence,
                                         prev_hash=prev, now_ms=now_ms(),
                                         credits=[(f"m0@{SH}", PER_PREPARE)] * PREPARES)
            reply = http.post("/federation/v1/transactions", content=raw,
                              headers={"content-type": "application/json"})
            assert reply.status_code == 200, reply.text
            response = reply.json()
            assert {m["type"] for m in response["messages"]} == {"transfer.receipt"}
            answered_at_ms = response["created_at_ms"]
        assert cluster.available(f"m0@{SH}") == 1 + MINTED

        statement = hiding_statement(
            issuer=NJ, counterparty=SH, index=1, key=key,
            issued_at_ms=answered_at_ms + DEFAULT_POLICY.skew_ms + 1)
        propose = build_request(request_id=new_id(), sender=NJ, receiver=SH, op="propose",
                                args={"statement": statement, "final": False,
                                      "late_response": None},
                                issued_at_ms=now_ms(), key=key)
        for _ in range(2):  # the second attempt answers from storage, still not co-signed
            reply = http.post("/federation/v1/reconciliation", content=propose,
                              headers={"content-type": "application/json"})
            if reply.status_code == 422 and reply.json().get("reason") == "clock_skew":
                # Signed a millisecond into the future of the node's clock: ask again.
                cluster.wait_for(lambda: now_ms() > answered_at_ms + 1, "a millisecond")
                reply = http.post("/federation/v1/reconciliation", content=propose,
                                  headers={"content-type": "application/json"})
            assert reply.status_code == 200, reply.text
            assert json.loads(reply.content)["result"]["record"] is None

        disputes = http.get("/api/v1/reconciliation/discrepancies",
                            params={"status": "open"}).json()
        links = http.get("/api/v1/federation/links").json()
        windows = http.get("/api/v1/reconciliation/windows").json()
        metrics = http.get("/metrics").text

    (dispute,) = disputes["items"]
    assert dispute["kind"] == "cut_behind" and dispute["peer_node_id"] == NJ
    assert dispute["evidence"]["minutes_past_cut"] == MINTED
    assert dispute["evidence"]["transfers_past_cut"] == PREPARES * TRANSACTIONS
    (link,) = links["items"]
    assert link["frozen_reason"] == "dispute_cut_behind"
    assert [(w["window_index"], w["state"]) for w in windows["items"]] == [(1, "disputed")]
    # What the operator's dashboard reads, with no window closed by hand.
    assert (f'hourbridge_unreconciled_minutes{{peer="{NJ}",direction="incoming"}} {MINTED}'
            in metrics.splitlines())
    assert "hourbridge_open_disputes 1" in metrics.splitlines()
    cluster.stop()


def now_ms() -> int:
    """The node's clock, as the thief reads it: the time on this machine."""
    return time.time_ns() // 1_000_000
