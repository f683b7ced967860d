"""Trust the cut, not the closer (standard §11.1; issue 12, finding 1).

A node whose key signs whatever its holder wants credits a member of an honest node with hours
nobody paid, then, as the link's scheduled closer, proposes a window cut below those prepares.
The honest node must never co-sign that window: it disputes it, freezes the link, and says how
many minutes sit past the cut. Honest closers, whose last transaction may still be in flight or
whose proposal was never answered, are co-signed as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from node.exchange.requests import new_id
from node.exchange.transport import Reply
from node.reconcile import records
from protocol.fields import GENESIS_HASH
from protocol.reconciliation import build_request
from protocol.statements import IN_FLIGHT_MAX
from tests.factories import ADMIN
from tests.federation import Fault, Federation
from tests.forgery import hiding_statement, mint_transaction
from tests.support import node_key

NJ, SH = "nj-gulou", "sh-pudong"  # NJ has the smaller id: the link's scheduled closer
SKEW_MS = 2 * 60 * 1000  # the default policy's bound
# Forged transactions past the cut: more than a window may hold in flight (standard §6.5), so
# no honest closer can have left them out.
FORGED = IN_FLIGHT_MAX + 2


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [NJ, SH], members=2, grant_minutes=600)
    yield federation
    federation.close()


def mint(fed: Federation, transactions: int, minutes: int) -> None:
    """NJ's stolen key credits m0@SH `minutes` in each of `transactions` transactions."""
    prev = GENESIS_HASH
    for sequence in range(1, transactions + 1):
        raw, prev = mint_transaction(sender=NJ, receiver=SH, key=node_key(NJ), sequence=sequence,
                                     prev_hash=prev, now_ms=fed.clock.now_ms(),
                                     credits=[(f"m0@{SH}", minutes)])
        reply = fed.run(fed.network.deliver(SH, raw))
        assert reply.status == 200, reply.body[:300]


def propose(fed: Federation, statement: dict[str, Any]) -> Reply:
    raw = build_request(request_id=new_id(), sender=NJ, receiver=SH, op="propose",
                        args={"statement": statement, "final": False, "late_response": None},
                        issued_at_ms=fed.clock.now_ms(), key=node_key(NJ))
    return fed.run(fed.network.deliver(SH, raw, "/federation/v1/reconciliation"))


def open_disputes(fed: Federation, node_id: str) -> list[dict[str, Any]]:
    return fed.nodes[node_id].reconciler.discrepancies(ADMIN, status="open")


@pytest.mark.parametrize("signed_late_ms", [0, SKEW_MS])
def test_a_cut_below_forged_prepares_is_disputed_never_co_signed(
        fed: Federation, signed_late_ms: int) -> None:
    before = fed.balance(f"m0@{SH}")
    mint(fed, transactions=FORGED, minutes=600)
    assert fed.balance(f"m0@{SH}") == before + FORGED * 600  # the forgery itself is accepted
    fed.clock.advance(SKEW_MS + 1_000)
    # The closer signs as late as the skew bound lets it, to hide as little as it must.
    statement = hiding_statement(issuer=NJ, counterparty=SH, index=1, key=node_key(NJ),
                                 issued_at_ms=fed.clock.now_ms() + signed_late_ms)

    reply = propose(fed, statement)

    assert reply.status == 200, reply.body[:300]
    assert json.loads(reply.body)["result"]["record"] is None  # not co-signed
    (dispute,) = open_disputes(fed, SH)
    assert dispute["kind"] == "cut_behind"
    assert dispute["evidence"]["minutes_past_cut"] == FORGED * 600
    assert dispute["evidence"]["transfers_past_cut"] == FORGED
    (link,) = fed.nodes[SH].exchange.links(ADMIN)
    assert link["frozen_reason"] == "dispute_cut_behind"
    (window,) = fed.nodes[SH].reconciler.windows(ADMIN)
    assert window["state"] == "disputed"
    # The same proposal again is answered as before, and still not co-signed.
    assert json.loads(propose(fed, statement).body)["result"]["record"] is None


def test_a_stale_statement_is_refused_before_anything_is_stored(fed: Federation) -> None:
    mint(fed, transactions=3, minutes=600)
    # Dated before the forgeries, it would hide none of them by time: so it must be fresh.
    statement = hiding_statement(issuer=NJ, counterparty=SH, index=1, key=node_key(NJ),
                                 issued_at_ms=fed.clock.now_ms())
    fed.clock.advance(SKEW_MS + 1_000)

    reply = propose(fed, statement)

    assert reply.status == 422, reply.body[:300]
    assert json.loads(reply.body)["reason"] == "clock_skew"
    assert fed.nodes[SH].reconciler.windows(ADMIN) == []
    assert open_disputes(fed, SH) == []


def test_a_forgery_newer_than_the_cut_waits_for_the_next_window(fed: Federation) -> None:
    """Within the skew bound, a transaction may have been sent after the closer cut: the window
    is co-signed, and the next window, cut later, must cover it."""
    mint(fed, transactions=FORGED, minutes=600)
    statement = hiding_statement(issuer=NJ, counterparty=SH, index=1, key=node_key(NJ),
                                 issued_at_ms=fed.clock.now_ms())
    assert json.loads(propose(fed, statement).body)["result"]["record"] is not None
    fed.clock.advance(SKEW_MS + 1_000)
    later = hiding_statement(issuer=NJ, counterparty=SH, index=2, key=node_key(NJ),
                             issued_at_ms=fed.clock.now_ms())
    assert json.loads(propose(fed, later).body)["result"]["record"] is None
    assert [d["kind"] for d in open_disputes(fed, SH)] == ["cut_behind"]


def test_an_honest_closer_with_a_transaction_in_flight_is_co_signed(fed: Federation) -> None:
    fed.network.plan(NJ, SH, Fault.DROP_RESPONSE)
    assert fed.send(f"m0@{NJ}", f"m1@{SH}", 40).status_code == 201
    fed.pump(NJ, SH)  # SH commits; its answer is lost, so NJ's answered head is still 0

    view = fed.close_window(NJ, SH)

    assert view["state"] == "matched", view
    assert (view["outgoing_cut"], view["incoming_cut"]) == (0, 0)
    # A second close before NJ's sender has retried: nothing new to co-sign, no accusation.
    fed.clock.advance(5_000)
    assert fed.close_window(NJ, SH)["state"] == "matched"
    fed.settle()
    assert fed.close_window(NJ, SH)["outgoing_cut"] == 1
    assert open_disputes(fed, SH) == open_disputes(fed, NJ) == []


def test_an_answer_lost_for_longer_than_the_skew_bound_is_not_co_signed_nor_disputed(
        fed: Federation) -> None:
    """The closer has had time to receive our answer: its cut might hide that transaction, so
    it is not co-signed; it is not a dispute either, since an honest sender may still be
    retrying. Once the answer arrives the window is cut again and matches."""
    fed.network.plan(NJ, SH, Fault.DROP_RESPONSE)
    assert fed.send(f"m0@{NJ}", f"m1@{SH}", 40).status_code == 201
    fed.pump(NJ, SH)
    fed.clock.advance(SKEW_MS + 1_000)

    assert fed.close_window(NJ, SH)["state"] == "open"

    fed.settle()
    view = fed.close_window(NJ, SH)
    assert (view["window_index"], view["state"], view["outgoing_cut"]) == (1, "matched", 1)
    assert open_disputes(fed, SH) == open_disputes(fed, NJ) == []


def test_an_old_forged_transaction_in_flight_is_never_co_signed(fed: Federation) -> None:
    """One forged transaction can carry the whole partner cap: 'in flight' gets no credit once
    the closer has had time to see our answer."""
    mint(fed, transactions=1, minutes=600)
    fed.clock.advance(SKEW_MS + 1_000)
    statement = hiding_statement(issuer=NJ, counterparty=SH, index=1, key=node_key(NJ),
                                 issued_at_ms=fed.clock.now_ms())

    reply = propose(fed, statement)

    assert (reply.status, json.loads(reply.body)["reason"]) == (422, "clock_skew")
    assert fed.nodes[SH].reconciler.windows(ADMIN) == []


def test_a_window_held_open_cannot_date_its_cut_back(fed: Federation) -> None:
    """The closer registers a window at cut 0 that does not match (SH holds it open), forges
    later, and proposes the same cuts again: judged by the fresh statement, not co-signed."""
    early = hiding_statement(issuer=NJ, counterparty=SH, index=1, key=node_key(NJ),
                             issued_at_ms=fed.clock.now_ms(), merkle_root="ab" * 32)
    assert json.loads(propose(fed, early).body)["result"]["record"] is None
    fed.clock.advance(3_600_000)
    mint(fed, transactions=3, minutes=600)
    fed.clock.advance(SKEW_MS + 1_000)
    again = hiding_statement(issuer=NJ, counterparty=SH, index=1, key=node_key(NJ),
                             issued_at_ms=fed.clock.now_ms())

    reply = propose(fed, again)

    assert (reply.status, json.loads(reply.body)["reason"]) == (422, "clock_skew")
    (window,) = fed.nodes[SH].reconciler.windows(ADMIN)
    assert window["state"] == "open"
    # Repeating the stale first statement is refused the same way; SH closing the window
    # itself cuts it at its own heads, past every forged prepare.
    assert json.loads(propose(fed, early).body)["reason"] == "clock_skew"
    view = fed.close_window(SH, NJ)
    assert (view["window_index"], view["outgoing_cut"], view["incoming_cut"]) == (1, 0, 3)


def test_a_window_the_peer_never_saw_is_cut_again_when_stale(fed: Federation) -> None:
    assert fed.send(f"m0@{NJ}", f"m1@{SH}", 40).status_code == 201
    fed.settle()
    fed.network.down.add(SH)
    assert fed.close_window(NJ, SH)["state"] == "open"  # proposed, never answered
    fed.network.down.discard(SH)
    assert fed.send(f"m0@{NJ}", f"m1@{SH}", 25).status_code == 201
    fed.settle()
    fed.clock.advance(SKEW_MS + 1_000)

    view = fed.close_window(NJ, SH)

    assert view["state"] == "matched", view
    assert view["window_index"] == 1 and view["outgoing_cut"] == 2
    assert view["closing_position_minutes"] == -65
    assert open_disputes(fed, SH) == open_disputes(fed, NJ) == []


def test_the_other_side_closes_a_window_the_scheduled_closer_leaves_open(
        fed: Federation) -> None:
    overdue_ms = 2 * 3_600_000
    assert fed.send(f"m0@{NJ}", f"m1@{SH}", 40).status_code == 201
    fed.settle()
    sh = fed.nodes[SH].reconciler
    assert fed.run(sh.close_all(scheduled=True, overdue_after_ms=overdue_ms)) == []  # NJ's
    fed.clock.advance(overdue_ms + 1)

    (view,) = fed.run(sh.close_all(scheduled=True, overdue_after_ms=overdue_ms))

    assert (view["peer"], view["state"], view["incoming_cut"]) == (NJ, "matched", 1)
    fed.clock.advance(overdue_ms + 1)
    assert fed.run(sh.close_all(overdue_after_ms=overdue_ms)) == []  # nothing waits now
    with fed.nodes[SH].db.read() as conn:
        assert records.last_window(conn, NJ) is not None
