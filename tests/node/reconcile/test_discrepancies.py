"""Each discrepancy class of reconciliation (docs/reconciliation.md): constructed, then checked
for its classification and outcome (repaired from signed evidence, carried to the next window,
or disputed with the link frozen)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from node.db.schema import in_transactions, remote_transfers, transfers, windows
from node.exchange.transport import Reply
from node.ledger.model import EntryKind, Posting, clearing_account, member_account
from protocol.credit import CreditClass
from tests.factories import ADMIN
from tests.federation import Fault, Federation, audit
from tests.support import PgDatabases

SH, NJ = "sh-pudong", "nj-gulou"


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ], members=3, grant_minutes=600)
    yield federation
    federation.close()


def found(fed: Federation, node_id: str) -> list[tuple[str, str, str]]:
    """(kind, outcome, status) of every discrepancy a node recorded."""
    items = fed.nodes[node_id].reconciler.discrepancies(ADMIN, limit=100)
    return sorted((d["kind"], d["outcome"], d["status"]) for d in items)


def frozen(fed: Federation, node_id: str, peer: str) -> str | None:
    links = fed.nodes[node_id].exchange.links(ADMIN)
    return next(link["frozen_reason"] for link in links if link["peer"] == peer)


def wire(fed: Federation, transfer_id: str) -> str:
    """The standard's transfer id of a transfer made at SH under the client's id."""
    with fed.nodes[SH].db.read() as conn:
        return str(
            conn.execute(
                select(transfers.c.wire_id).where(transfers.c.id == transfer_id)
            ).scalar_one()
        )


def sent_and_settled(fed: Federation, *amounts: int) -> None:
    for i, amount in enumerate(amounts):
        assert fed.send(f"m0@{SH}", f"m1@{NJ}", amount, transfer_id=f"x{i}").status_code == 201
    fed.settle()


def assert_refuses_new_transfers(fed: Federation) -> None:
    refused = fed.send(f"m0@{SH}", f"m1@{NJ}", 5)
    assert refused.status_code == 409
    assert refused.json()["code"] == "link_frozen"


# repaired ----------------------------------------------------------------------------------


def test_missing_at_peer_is_restored_from_our_evidence(fed: Federation) -> None:
    sent_and_settled(fed, 30, 40)
    with fed.nodes[NJ].db.write() as conn:  # NJ lost the record (its ledger kept the credit)
        conn.execute(
            delete(remote_transfers).where(remote_transfers.c.transfer_id == wire(fed, "x1"))
        )

    view = fed.close_window(SH, NJ)

    assert view["state"] == "matched"
    assert found(fed, SH) == [("missing_at_peer", "repaired", "closed")]
    assert found(fed, NJ) == [("missing_locally", "repaired", "closed")]
    assert fed.balance(f"m1@{NJ}") == 600 + 70  # restored, not credited twice
    assert view["digests_exchanged"] >= 1
    audit(fed)


def test_missing_locally_is_restored_from_the_peers_evidence(fed: Federation) -> None:
    sent_and_settled(fed, 30, 40)
    with fed.nodes[NJ].db.write() as conn:
        conn.execute(
            delete(remote_transfers).where(remote_transfers.c.transfer_id == wire(fed, "x0"))
        )

    view = fed.close_window(NJ, SH)  # the node missing the record closes this time

    assert view["state"] == "matched"
    assert found(fed, NJ) == [("missing_locally", "repaired", "closed")]
    assert fed.balance(f"m1@{NJ}") == 600 + 70
    audit(fed)


def test_late_receipt_is_applied_from_the_proposal(fed: Federation) -> None:
    fed.network.plan(SH, NJ, Fault.DROP_RESPONSE)
    assert fed.send(f"m0@{SH}", f"m1@{NJ}", 25, transfer_id="late").status_code == 201
    fed.pump(SH, NJ)  # NJ committed it; SH never heard
    assert fed.transfer(SH, "late")["state"] == "pending"

    view = fed.close_window(NJ, SH)

    assert view["state"] == "matched"
    assert found(fed, SH) == [("state_mismatch", "repaired", "closed")]
    assert fed.transfer(SH, "late")["state"] == "committed"
    assert view["record"]["incoming"] == {"count": 1, "sum_minutes": 25}
    audit(fed)


def test_pending_across_the_cut_is_carried_to_the_next_window(fed: Federation) -> None:
    fed.network.plan(SH, NJ, Fault.DROP_REQUEST)
    fed.send(f"m0@{SH}", f"m1@{NJ}", 25, transfer_id="open")
    fed.pump(SH, NJ)  # lost on the way: still reserved at SH

    first = fed.close_window(SH, NJ)

    assert first["state"] == "matched"
    assert first["record"]["pending"] == {"count": 1, "sum_minutes": 25}
    assert first["record"]["outgoing"] == {"count": 0, "sum_minutes": 0}
    assert found(fed, SH) == [("pending_across_cut", "carried", "closed")]
    fed.settle()
    second = fed.close_window(SH, NJ)
    assert second["state"] == "matched"
    assert second["record"]["outgoing"] == {"count": 1, "sum_minutes": 25}
    assert second["record"]["pending"] == {"count": 0, "sum_minutes": 0}
    audit(fed)


# disputed ----------------------------------------------------------------------------------


def test_field_mismatch_freezes_the_link_with_a_dispute(fed: Federation) -> None:
    sent_and_settled(fed, 30)
    with fed.nodes[NJ].db.write() as conn:
        conn.execute(
            update(remote_transfers)
            .where(remote_transfers.c.transfer_id == wire(fed, "x0"))
            .values(amount_minutes=300)
        )

    view = fed.close_window(SH, NJ)

    assert view["state"] == "disputed"
    assert ("field_mismatch", "disputed", "open") in found(fed, SH)
    # NJ, asked to co-sign, sees its statement differ in the entries and disputes too.
    assert found(fed, NJ) == [("entries_differ", "disputed", "open")]
    assert frozen(fed, SH, NJ) == "dispute_field_mismatch"
    assert frozen(fed, NJ, SH) is not None
    assert_refuses_new_transfers(fed)


def test_an_hour_counted_twice_is_a_duplicate_dispute(fed: Federation) -> None:
    sent_and_settled(fed, 30)
    node = fed.nodes[NJ]
    with node.db.write() as conn:  # a receiver that credited the same transfer again
        node.ledger.post(
            conn,
            kind=EntryKind.TRANSFER_IN,
            ref=wire(fed, "x0"),
            actor="m0@" + SH,
            memo="again",
            now_ms=fed.clock.now_ms(),
            legs=(
                Posting(clearing_account(SH), CreditClass.EARNED, -30),
                Posting(member_account("m1"), CreditClass.EARNED, 30),
            ),
        )

    view = fed.close_window(SH, NJ)

    assert ("duplicate", "disputed", "open") in found(fed, NJ)
    assert view["state"] == "disputed"
    assert any(kind == "totals_differ" for kind, _, _ in found(fed, SH))
    assert frozen(fed, NJ, SH) == "dispute_duplicate"
    assert_refuses_new_transfers(fed)


def test_totals_that_differ_while_entries_match_are_disputed(fed: Federation) -> None:
    sent_and_settled(fed, 30)
    assert fed.close_window(SH, NJ)["state"] == "matched"
    with fed.nodes[NJ].db.write() as conn:  # NJ's books carry another opening position
        conn.execute(
            update(windows).where(windows.c.peer_node_id == SH).values(closing_position_minutes=999)
        )
    fed.send(f"m1@{NJ}", f"m2@{SH}", 10)
    fed.settle()

    view = fed.close_window(SH, NJ)

    assert view["state"] == "disputed"
    assert view["peer_statement"]["merkle_root"] == view["statement"]["merkle_root"]
    assert ("totals_differ", "disputed", "open") in found(fed, SH)
    assert frozen(fed, SH, NJ) == "dispute_totals_differ"


def test_a_chain_break_is_disputed_on_both_sides(fed: Federation) -> None:
    sent_and_settled(fed, 30)
    with fed.nodes[NJ].db.write() as conn:
        conn.execute(update(in_transactions).values(transaction_hash="0" * 64))

    view = fed.close_window(SH, NJ)

    assert view["state"] == "disputed"
    assert ("chain_break", "disputed", "open") in found(fed, SH)
    assert ("chain_break", "disputed", "open") in found(fed, NJ)
    assert frozen(fed, SH, NJ) == frozen(fed, NJ, SH) == "dispute_chain_break"


def test_a_reply_whose_signature_breaks_is_disputed(fed: Federation) -> None:
    sent_and_settled(fed, 30)

    def flip(receiver: str, path: str, reply: Reply) -> Reply:
        body = reply.body.replace(b'"result":{', b'"result":{"x":1,', 1)
        return Reply(reply.status, body, reply.content_type)

    fed.network.tamper = flip
    view = fed.close_window(SH, NJ)

    assert view["state"] == "disputed"
    assert found(fed, SH) == [("signature_break", "disputed", "open")]
    assert frozen(fed, SH, NJ) == "dispute_signature_break"


def test_an_operator_closes_a_dispute_and_unfreezes(fed: Federation) -> None:
    test_a_reply_whose_signature_breaks_is_disputed(fed)
    fed.network.tamper = None
    (dispute,) = fed.call(SH, "GET", "/api/v1/reconciliation/discrepancies?status=open").json()[
        "items"
    ]
    closed = fed.call(
        SH,
        "POST",
        f"/api/v1/reconciliation/discrepancies/{dispute['id']}/close",
        {"resolution": "proxy misconfigured; replies verified by hand"},
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert fed.call(SH, "POST", f"/api/v1/federation/links/{NJ}/unfreeze").status_code == 200
    assert fed.close_window(SH, NJ)["state"] == "matched"


def test_a_dispute_raises_the_alert_metrics(fed: Federation) -> None:
    def metrics() -> dict[str, int]:
        text = fed.call(SH, "GET", "/metrics").text
        # The per-peer gauges (with labels) are tested in tests/node/reports/test_unreconciled.py.
        return {line.split()[0]: int(line.split()[1]) for line in text.splitlines()
                if line.startswith("hourbridge_") and "{" not in line}

    assert metrics() == {"hourbridge_open_disputes": 0, "hourbridge_frozen_links": 0}
    test_a_chain_break_is_disputed_on_both_sides(fed)
    assert metrics() == {"hourbridge_open_disputes": 1, "hourbridge_frozen_links": 1}


def test_reconciliation_repairs_and_disputes_on_postgresql_too(
    tmp_path: Path, pg_databases: PgDatabases | None
) -> None:
    if pg_databases is None:
        pytest.skip("set HOURBRIDGE_TEST_PG_URL to run the PostgreSQL variant")
    with pg_databases.database(NJ) as url:
        fed = Federation(tmp_path, [SH, NJ], members=3, grant_minutes=600,
                         database_urls={NJ: url})
        try:
            sent_and_settled(fed, 30, 40)
            with fed.nodes[NJ].db.write() as conn:
                conn.execute(delete(remote_transfers)
                             .where(remote_transfers.c.transfer_id == wire(fed, "x1")))
            assert fed.close_window(SH, NJ)["state"] == "matched"
            assert found(fed, NJ) == [("missing_locally", "repaired", "closed")]
            fed.send(f"m0@{SH}", f"m1@{NJ}", 5)
            fed.settle()
            with fed.nodes[NJ].db.write() as conn:
                conn.execute(update(in_transactions).values(transaction_hash="0" * 64))
            assert fed.close_window(SH, NJ)["state"] == "disputed"
            (dispute,) = fed.call(NJ, "GET", "/api/v1/reconciliation/discrepancies?status=open"
                                  ).json()["items"]
            closed = fed.call(NJ, "POST",
                              f"/api/v1/reconciliation/discrepancies/{dispute['id']}/close",
                              {"resolution": "restored the chain from the peer's copy"})
            assert closed.json()["status"] == "closed", closed.text
            assert "resolved: restored" in closed.json()["detail"]
            audit(fed)
        finally:
            fed.close()
