"""Settlement windows between in-process nodes: matching statements are co-signed, windows
follow one another, and the per-link invariant holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.exchange.transport import Reply
from protocol.envelope import verify_evidence
from protocol.messages.documents import Statement
from tests.factories import ADMIN
from tests.federation import Federation, audit

SH, NJ, GZ = "sh-pudong", "nj-gulou", "gz-nansha"


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ, GZ], members=3, grant_minutes=600)
    yield federation
    federation.close()


def test_matching_statements_become_a_co_signed_record(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m1@{NJ}", 120)
    fed.send(f"m2@{NJ}", f"m0@{SH}", 45)
    fed.send(f"m1@{NJ}", f"m0@{SH}", 15)
    fed.settle()

    view = fed.close_window(NJ, SH)

    assert view["state"] == "matched", view
    record = view["record"]
    directory = fed.nodes[NJ].federation.require_current()
    for signer in (NJ, SH):
        verify_evidence(record, directory=directory, time_member="issued_at_ms", signer=signer)
    statement = Statement.model_validate(record)
    assert (statement.outgoing.count, statement.outgoing.sum_minutes) == (2, 60)
    assert (statement.incoming.count, statement.incoming.sum_minutes) == (1, 120)
    assert statement.closing_position_minutes == 60
    peer_view = fed.nodes[SH].reconciler.windows(ADMIN, peer=NJ)[0]
    assert peer_view["state"] == "matched"
    assert peer_view["record"] == record
    # The per-link invariant: each side's position is minus the other's.
    assert peer_view["statement"]["closing_position_minutes"] == -60
    assert view["discrepancies"] == []
    audit(fed)


def test_windows_follow_one_another_with_opening_positions(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m1@{NJ}", 100)
    fed.settle()
    first = fed.close_window(SH, NJ)
    fed.send(f"m0@{SH}", f"m1@{NJ}", 20)
    fed.send(f"m1@{NJ}", f"m2@{SH}", 50)
    fed.settle()
    second = fed.close_window(NJ, SH)  # either side may close

    assert (first["window_index"], second["window_index"]) == (1, 2)
    assert first["state"] == second["state"] == "matched"
    statement = second["record"]
    assert statement["opening_position_minutes"] == 100  # NJ's view: SH owes it 100
    assert statement["closing_position_minutes"] == 100 + 20 - 50
    assert statement["incoming"] == {"count": 1, "sum_minutes": 20}


def test_every_link_reconciles_and_positions_net_to_zero(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m1@{NJ}", 10)
    fed.send(f"m0@{NJ}", f"m1@{GZ}", 20)
    fed.send(f"m0@{GZ}", f"m1@{SH}", 35)
    fed.settle()

    views = fed.reconcile()

    assert set(views) == {(GZ, NJ), (GZ, SH), (NJ, SH)}
    assert all(view["state"] == "matched" for view in views.values())
    net = {node: 0 for node in (SH, NJ, GZ)}
    for (closer, peer), view in views.items():
        net[closer] += view["closing_position_minutes"]
        net[peer] -= view["closing_position_minutes"]
    assert net == {SH: 35 - 10, NJ: 10 - 20, GZ: 20 - 35}
    assert sum(net.values()) == 0



def test_a_relocation_is_in_the_window_on_both_sides(fed: Federation) -> None:
    moved = fed.call(SH, "POST", "/api/v1/members/m0/relocation",
                     {"id": "rel-1", "to_node": NJ, "new_local_id": "m0.sh"})
    assert moved.status_code == 201, moved.text
    fed.send(f"m1@{NJ}", f"m2@{SH}", 40)
    fed.settle()

    view = fed.close_window(SH, NJ)

    assert view["state"] == "matched", view
    record = view["record"]
    assert record["outgoing"] == {"count": 1, "sum_minutes": 600}  # m0's whole balance
    assert record["incoming"] == {"count": 1, "sum_minutes": 40}
    assert record["closing_position_minutes"] == 40 - 600
    audit(fed)


def test_a_window_whose_reply_was_lost_is_closed_again(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m1@{NJ}", 30)
    fed.settle()

    def lose_first_reply(receiver: str, path: str, reply: Reply) -> Reply:
        fed.network.tamper = None
        return Reply(502, b"bad gateway", "text/plain")

    fed.network.tamper = lose_first_reply
    first = fed.close_window(SH, NJ)
    assert first["state"] == "open"  # NJ co-signed, but SH never heard
    assert fed.nodes[NJ].reconciler.windows(ADMIN)[0]["state"] == "matched"

    again = fed.close_window(SH, NJ)

    assert (again["window_index"], again["state"]) == (1, "matched")
    assert fed.nodes[NJ].reconciler.windows(ADMIN)[0]["record"] == again["record"]
    assert fed.close_window(SH, NJ)["window_index"] == 2
