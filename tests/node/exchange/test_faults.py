"""Fault injection at every step of a cross-node transfer, between in-process nodes.

Each test ends with the auditor (tests/federation.py): every transfer committed on both sides or
on neither, each link's clearing balances cancel, nothing reserved, no hour created or lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from node.db.schema import in_transactions, remote_transfers
from node.exchange.outbound import Pumped
from tests.federation import Fault, Federation, audit

SH, NJ = "sh-pudong", "nj-gulou"
EXPIRY_MS = 15 * 60 * 1000  # the node's default transfer lifetime


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ], members=2, grant_minutes=600)
    yield federation
    federation.close()


def _count(fed: Federation, node_id: str, table: object) -> int:
    with fed.nodes[node_id].db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _state(fed: Federation, transfer_id: str) -> str:
    return str(fed.transfer(SH, transfer_id)["state"])


def test_request_lost_is_sent_again_and_commits_once(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m0@{NJ}", 60, transfer_id="t")
    fed.network.plan(SH, NJ, Fault.DROP_REQUEST)
    assert fed.pump(SH, NJ).outcome is Pumped.RETRY
    assert _state(fed, "t") == "pending"
    fed.settle()
    assert _state(fed, "t") == "committed"
    assert fed.balance(f"m0@{NJ}") == 660
    audit(fed)


def test_response_lost_gets_the_stored_response_on_retry(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m0@{NJ}", 60, transfer_id="t")
    fed.network.plan(SH, NJ, Fault.DROP_RESPONSE)
    assert fed.pump(SH, NJ).outcome is Pumped.RETRY
    # The receiver committed; the sender still holds the reservation: hours in flight.
    assert fed.balance(f"m0@{NJ}") == 660
    assert audit(fed, quiescent=False)["in_flight"] == 60
    retry = fed.pump(SH, NJ)
    assert retry.outcome is Pumped.DELIVERED
    replays = [d for d in fed.network.log if d.sender == SH]
    assert replays[0].body == replays[1].body  # the same transaction, unchanged
    assert _state(fed, "t") == "committed"
    assert fed.balance(f"m0@{NJ}") == 660
    assert _count(fed, NJ, in_transactions) == 1
    audit(fed)


def test_duplicate_delivery_credits_once(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m0@{NJ}", 60, transfer_id="t")
    fed.network.plan(SH, NJ, Fault.DUPLICATE)
    fed.settle()
    assert fed.balance(f"m0@{NJ}") == 660
    assert _count(fed, NJ, remote_transfers) == 1
    audit(fed)


def test_an_old_transaction_arriving_again_changes_nothing(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m0@{NJ}", 60, transfer_id="t1")
    fed.settle()
    fed.send(f"m0@{SH}", f"m0@{NJ}", 30, transfer_id="t2")
    fed.network.plan(SH, NJ, Fault.REPLAY_OLD)  # the first transaction is delivered again
    fed.settle()
    assert fed.balance(f"m0@{NJ}") == 690
    assert _count(fed, NJ, in_transactions) == 2
    audit(fed)


def test_delay_past_expiry_is_refused_and_released(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m0@{NJ}", 60, transfer_id="t")
    fed.network.delay_ms = EXPIRY_MS + 1
    fed.network.plan(SH, NJ, Fault.DELAY_PAST_EXPIRY)
    # The transaction is re-signed on the next attempt (its time is too old for the receiver).
    fed.settle()
    view = fed.transfer(SH, "t")
    assert (view["state"], view["reason_code"]) == ("rejected", "expired")
    assert fed.balance(f"m0@{SH}") == 600
    assert fed.balance(f"m0@{NJ}") == 600
    audit(fed)


def test_unreachable_peer_past_expiry_goes_in_doubt_then_is_settled(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m0@{NJ}", 60, transfer_id="t")
    fed.network.down.add(NJ)
    assert fed.pump(SH, NJ).outcome is Pumped.RETRY
    fed.clock.advance(EXPIRY_MS)
    fed.tick()
    assert _state(fed, "t") == "in_doubt"
    assert fed.balance(f"m0@{SH}") == 540  # never released on a guess
    fed.network.down.clear()
    fed.heal()
    assert _state(fed, "t") in ("rejected", "expired")
    assert fed.balance(f"m0@{SH}") == 600
    audit(fed)


def test_response_lost_until_past_expiry_still_commits(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m0@{NJ}", 60, transfer_id="t")
    fed.network.plan(SH, NJ, Fault.DROP_RESPONSE, Fault.DROP_RESPONSE)
    fed.pump(SH, NJ)
    fed.pump(SH, NJ)
    fed.clock.advance(EXPIRY_MS)
    fed.tick()
    assert _state(fed, "t") == "in_doubt"
    fed.heal()
    assert _state(fed, "t") == "committed"
    assert fed.balance(f"m0@{NJ}") == 660
    audit(fed)


def test_sender_crash_between_commit_and_send(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m0@{NJ}", 60, transfer_id="t")
    fed.network.plan(SH, NJ, Fault.CRASH_BEFORE_SEND)
    fed.settle(crash_ok=True)
    assert _state(fed, "t") == "committed"
    assert fed.balance(f"m0@{NJ}") == 660
    audit(fed)


def test_receiver_crash_between_commit_and_reply(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m0@{NJ}", 60, transfer_id="t")
    fed.network.plan(SH, NJ, Fault.CRASH_BEFORE_REPLY)
    fed.settle(crash_ok=True)
    assert _state(fed, "t") == "committed"
    assert fed.balance(f"m0@{NJ}") == 660
    assert _count(fed, NJ, in_transactions) == 1
    audit(fed)


@pytest.mark.parametrize("seed", range(8))
def test_a_storm_of_faults_conserves_every_hour(fed: Federation, seed: int) -> None:
    import random

    rng = random.Random(seed)
    faults = [None, None, *Fault]
    fed.network.delay_ms = 60_000
    for i in range(40):
        a, b = rng.sample([SH, NJ], 2)
        fed.send(f"m{rng.randrange(2)}@{a}", f"m{rng.randrange(2)}@{b}", rng.randint(1, 90))
        if i % 5 == 0:
            fed.network.plan(SH, NJ, rng.choice(faults))
            fed.network.plan(NJ, SH, rng.choice(faults))
            fed.settle(crash_ok=True)
            audit(fed, quiescent=False)
    fed.heal()
    audit(fed)


def test_batches_are_cut_to_fit_a_small_transaction_limit(tmp_path: Path) -> None:
    # 16 KiB: 4 prepares with long memos in Chinese fill a transaction, and each answer could
    # be longer than its prepare; neither the transaction nor the response may pass the limit.
    fed = Federation(tmp_path / "small", [SH, NJ], members=2, grant_minutes=6000,
                     policy={"transaction_bytes_max": 16_384})
    try:
        memo = "给妈妈的时间" * 23  # 138 characters, 3 bytes each
        for i in range(30):
            assert fed.send(f"m{i % 2}@{SH}", f"m{i % 2}@{NJ}", 10, memo=memo).status_code == 201
        fed.settle()
        sent = [d for d in fed.network.log if d.sender == SH]
        assert len(sent) > 1
        assert max(len(d.body) for d in sent) <= 16_384
        assert fed.balance(f"m0@{NJ}") == 6000 + 150
        audit(fed)
    finally:
        fed.close()


def test_a_prepare_not_yet_sent_at_expiry_is_not_sent_after_it(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m0@{NJ}", 60, transfer_id="t")
    fed.clock.advance(EXPIRY_MS)
    fed.tick()  # in doubt before the prepare ever left: only the status query goes
    fed.settle()
    view = fed.transfer(SH, "t")
    assert (view["state"], view["dispute"]) == ("expired", None)
    sent = [d.body for d in fed.network.log if d.sender == SH]
    assert all(b"transfer.prepare" not in body for body in sent)
    assert fed.balance(f"m0@{SH}") == 600
    audit(fed)


def test_a_disputed_transfer_is_asked_about_hourly_not_every_tick(fed: Federation) -> None:
    from sqlalchemy import delete, update

    from node.db.schema import outbox, transfers

    fed.send(f"m0@{SH}", f"m0@{NJ}", 60, transfer_id="t")
    fed.clock.advance(EXPIRY_MS)
    fed.tick()
    node = fed.nodes[SH]
    with node.db.write() as conn:  # as answers.py records a contradiction it cannot settle
        conn.execute(update(transfers).where(transfers.c.id == "t").values(dispute="odd"))
        conn.execute(delete(outbox))
    fed.tick()
    with node.db.read() as conn:
        (row,) = conn.execute(select(outbox.c.type, outbox.c.not_before_ms)).all()
    assert row.type == "transfer.status"
    assert row.not_before_ms == fed.clock.now_ms() + 3_600_000
    assert _state(fed, "t") == "in_doubt"
