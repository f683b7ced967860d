"""Cross-node transfers end to end between in-process nodes over the federation API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.federation import Federation, audit
from tests.support import PgDatabases

SH, NJ, GZ = "sh-pudong", "nj-gulou", "gz-nansha"


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ, GZ], members=3, grant_minutes=600)
    yield federation
    federation.close()


def test_gift_to_another_city_commits_on_both_sides(fed: Federation) -> None:
    made = fed.send(f"m0@{SH}", f"m1@{NJ}", 120, transfer_id="gift-1", memo="for mum")
    assert made.status_code == 201, made.text
    assert made.json()["state"] == "pending"
    assert made.json()["peer_node"] == NJ
    assert fed.balance(f"m0@{SH}") == 480
    audit(fed, quiescent=False)

    fed.settle()

    assert fed.transfer(SH, "gift-1")["state"] == "committed"
    assert fed.balance(f"m0@{SH}") == 480
    assert fed.balance(f"m1@{NJ}") == 720
    totals = audit(fed)
    assert totals["clearing"] == 0


def test_statements_show_the_peer_node_and_remote_party(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m1@{NJ}", 30, transfer_id="s-1")
    fed.settle()
    lines = fed.call(NJ, "GET", "/api/v1/members/m1/statement").json()["items"]
    assert lines[0]["amount_minutes"] == 30
    assert lines[0]["counterparty"] == [f"m0@{SH}"]
    assert lines[0]["peer_node"] == SH
    sender_lines = fed.call(SH, "GET", "/api/v1/members/m0/statement").json()["items"]
    assert sender_lines[0]["counterparty"] == [f"m1@{NJ}"]
    assert sender_lines[0]["peer_node"] == NJ


def test_many_transfers_travel_in_one_signed_transaction(fed: Federation) -> None:
    for i in range(30):
        assert fed.send(f"m{i % 3}@{SH}", f"m{(i + 1) % 3}@{NJ}", 5).status_code == 201
    fed.settle()
    sent = [d for d in fed.network.log if (d.sender, d.receiver) == (SH, NJ)]
    assert len(sent) == 1
    assert fed.balance(f"m1@{NJ}") == 600 + 50
    audit(fed)


def test_rejected_transfer_releases_the_reservation(fed: Federation) -> None:
    made = fed.send(f"m0@{SH}", f"nobody@{NJ}", 60, transfer_id="r-1")
    assert made.status_code == 201
    fed.settle()
    view = fed.transfer(SH, "r-1")
    assert (view["state"], view["reason_code"]) == ("rejected", "creditor_unknown")
    assert fed.balance(f"m0@{SH}") == 600
    audit(fed)


def test_hours_go_round_three_cities(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m0@{NJ}", 100)
    fed.send(f"m0@{NJ}", f"m0@{GZ}", 200)
    fed.send(f"m0@{GZ}", f"m0@{SH}", 300)
    fed.settle()
    assert [fed.balance(f"m0@{n}") for n in (SH, NJ, GZ)] == [800, 500, 500]
    audit(fed)


def test_a_sqlite_node_and_a_postgresql_node_settle_with_each_other(
    tmp_path: Path, pg_databases: PgDatabases | None
) -> None:
    if pg_databases is None:
        pytest.skip("set HOURBRIDGE_TEST_PG_URL to run the PostgreSQL variant")
    with pg_databases.database(NJ) as url:
        fed = Federation(tmp_path, [SH, NJ], members=2, grant_minutes=600,
                         database_urls={NJ: url})
        try:
            for i in range(20):
                fed.send(f"m{i % 2}@{SH}", f"m{(i + 1) % 2}@{NJ}", 7)
                fed.send(f"m{i % 2}@{NJ}", f"m{(i + 1) % 2}@{SH}", 5)
            fed.settle()
            assert fed.balance(f"m0@{NJ}") + fed.balance(f"m1@{NJ}") == 1200 + 20 * (7 - 5)
            audit(fed)
        finally:
            fed.close()


def test_a_suspended_node_makes_no_transfers_to_other_nodes(tmp_path: Path) -> None:
    from tests.support import directory_document

    fed = Federation(tmp_path, [SH, NJ], members=1, grant_minutes=600)
    try:
        fed.nodes[SH].federation.accept(
            directory_document([SH, NJ], serial=2, status={SH: "suspended"}))
        refused = fed.send(f"m0@{SH}", f"m0@{NJ}", 30)
        assert (refused.status_code, refused.json()["code"]) == (422, "peer_not_active")
        assert "suspended" in refused.json()["detail"]
        assert fed.balance(f"m0@{SH}") == 600
    finally:
        fed.close()
