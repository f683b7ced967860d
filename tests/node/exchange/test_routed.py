"""Transfers routed through hubs (standard §22.4): five real SQLite nodes in process on the
test network, a signed link map, legs forwarded hop by hop, the end receipt carried back.

    sh-pudong -- js-hub -- zj-hub -- zj-jiaxing
                   |
               js-suzhou
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from node.db.schema import transfers
from node.exchange.capabilities import NODE_INFO_PATH
from node.exchange.transport import Reply
from protocol.directory import decode_directory
from protocol.links import sign_links
from tests.federation import Federation, audit
from tests.support import AUTHORITY, START_MS

SH, JS_HUB, ZJ_HUB, JX, SZ = "sh-pudong", "js-hub", "zj-hub", "zj-jiaxing", "js-suzhou"
NODES = [SH, JS_HUB, ZJ_HUB, JX, SZ]
LINKS = [(SH, JS_HUB), (JS_HUB, SZ), (JS_HUB, ZJ_HUB), (ZJ_HUB, JX)]
CAP = 6_000


def link_map(directory: dict[str, Any], *, cap: int = CAP, serial: int = 1) -> dict[str, Any]:
    ordered = sorted(tuple(sorted(pair)) for pair in LINKS)
    body = {"hops_max": 3, "links": [
        {"a": a, "b": b, "a_cap_minutes": cap, "b_cap_minutes": cap} for a, b in ordered]}
    return sign_links(body, authority=AUTHORITY, directory=decode_directory(directory),
                      serial=serial, issued_at_ms=START_MS + serial)


def drive(fed: Federation, *, steps: int = 12) -> None:
    """Deliver what is due, then let a second pass, until nothing is open anywhere."""
    for _ in range(steps):
        fed.settle()
        if not any(_open(fed, node) for node in fed.node_ids):
            return
        fed.clock.advance(1_000)
        fed.tick()
    raise AssertionError("routed transfers still open")


def _open(fed: Federation, node_id: str) -> int:
    with fed.nodes[node_id].db.read() as conn:
        return len(conn.execute(select(transfers.c.id).where(
            transfers.c.state.in_(("pending", "in_doubt")))).all())


def _row(fed: Federation, node_id: str, wire_id: str) -> Any:
    with fed.nodes[node_id].db.read() as conn:
        return conn.execute(select(transfers).where(transfers.c.wire_id == wire_id)).one()


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, NODES, members=2, grant_minutes=600)
    document = link_map(federation.directory)
    for node in federation.nodes.values():
        node.link_maps.accept(document)
    yield federation
    federation.close()


def test_three_links_commit_end_to_end_and_every_book_balances(fed: Federation) -> None:
    sent = fed.send(f"m0@{SH}", f"m1@{JX}", 90, transfer_id="far")
    assert sent.status_code == 201, sent.text
    wire_id = _row_by_id(fed, SH, "far").wire_id
    drive(fed)
    assert fed.transfer(SH, "far")["state"] == "committed"
    assert (fed.balance(f"m0@{SH}"), fed.balance(f"m1@{JX}")) == (510, 690)
    first = _row(fed, SH, wire_id)
    assert json.loads(first.route) == [SH, JS_HUB, ZJ_HUB, JX]
    assert first.peer_node_id == JS_HUB
    # Every hub's leg settled, from the hub's transit, and it kept nothing.
    for hub, onward in ((JS_HUB, ZJ_HUB), (ZJ_HUB, JX)):
        leg = _row(fed, hub, wire_id)
        assert (leg.state, leg.peer_node_id) == ("committed", onward)
    end = json.loads(first.final_answer)["end"]
    assert (end["path"], end["amount_minutes"]) == ([SH, JS_HUB, ZJ_HUB, JX], 90)
    assert set(end["signatures"]) == {JX}
    totals = audit(fed)
    assert totals["in_flight"] == 0
    # Each link reconciles as today: every window matches.
    for view in fed.reconcile().values():
        assert view["state"] == "matched", view


def test_two_links_and_both_directions(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m0@{SZ}", 30, transfer_id="near")
    fed.send(f"m1@{SZ}", f"m1@{SH}", 20, transfer_id="back")
    drive(fed)
    assert fed.transfer(SH, "near")["state"] == "committed"
    assert fed.transfer(SZ, "back")["state"] == "committed"
    assert (fed.balance(f"m0@{SZ}"), fed.balance(f"m1@{SH}")) == (630, 620)
    audit(fed)


def test_a_refusal_at_the_end_releases_every_hop(fed: Federation) -> None:
    sent = fed.send(f"m0@{SH}", f"nobody@{JX}", 40, transfer_id="nowhere")
    assert sent.status_code == 201, sent.text
    drive(fed)
    seen = fed.transfer(SH, "nowhere")
    assert (seen["state"], seen["reason_code"]) == ("rejected", "creditor_unknown")
    assert fed.balance(f"m0@{SH}") == 600
    audit(fed)


def test_a_hub_over_its_cap_refuses_and_the_hours_come_back(tmp_path: Path) -> None:
    federation = Federation(tmp_path, NODES, members=1, grant_minutes=600)
    try:
        document = link_map(federation.directory, cap=50)
        for node in federation.nodes.values():
            node.link_maps.accept(document)
        federation.send(f"m0@{SH}", f"m0@{JX}", 40, transfer_id="fits")
        drive(federation)
        assert federation.transfer(SH, "fits")["state"] == "committed"
        # The first hop's cap counts what sh-pudong owes js-hub: 40 + 40 > 50.
        refused = federation.send(f"m0@{SH}", f"m0@{JX}", 40, transfer_id="over")
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "partner_cap_exceeded"
        audit(federation)
    finally:
        federation.close()


def _announces_nothing(fed: Federation, peer: str) -> None:
    """`peer` answers 404 for its node_info from now on, as a node of release 0.1.0 does."""
    def tamper(receiver: str, path: str, reply: Reply) -> Reply:
        if receiver == peer and path == NODE_INFO_PATH:
            return Reply(404, b"", "text/plain")
        return reply
    fed.network.tamper = tamper


def test_a_first_hop_that_announces_no_hubs_refuses_the_transfer_up_front(
        fed: Federation) -> None:
    _announces_nothing(fed, JS_HUB)
    fed.read_capabilities(SH)
    before = audit(fed)
    refused = fed.send(f"m0@{SH}", f"m1@{JX}", 90, transfer_id="far")
    assert refused.status_code == 503, refused.text
    assert refused.json()["code"] == "route_not_supported"
    assert JS_HUB in refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) >= 1
    assert fed.call(SH, "GET", "/api/v1/transfers/far").status_code == 404
    drive(fed)
    assert (fed.balance(f"m0@{SH}"), fed.balance(f"m1@{JX}")) == (600, 600)
    assert not fed.network.log  # nothing crossed a link
    assert audit(fed) == before
    # A direct transfer to the same peer needs no capability.
    direct = fed.send(f"m0@{SH}", f"m0@{JS_HUB}", 10, transfer_id="next-door")
    assert direct.status_code == 201, direct.text
    drive(fed)
    assert fed.transfer(SH, "next-door")["state"] == "committed"


def test_a_first_hop_not_yet_read_refuses_until_it_is(fed: Federation) -> None:
    fed.restart(SH, read_capabilities=False)  # just started: its background read not run yet
    refused = fed.send(f"m0@{SH}", f"m1@{JX}", 90, transfer_id="early")
    assert (refused.status_code, refused.json()["code"]) == (503, "route_not_supported")
    assert "not yet been read" in refused.json()["detail"]
    fed.read_capabilities(SH)
    sent = fed.send(f"m0@{SH}", f"m1@{JX}", 90, transfer_id="read")
    assert sent.status_code == 201, sent.text
    drive(fed)
    assert fed.transfer(SH, "read")["state"] == "committed"
    audit(fed)


def test_a_hub_whose_next_hop_announces_no_hubs_answers_temporarily(fed: Federation) -> None:
    _announces_nothing(fed, ZJ_HUB)
    fed.read_capabilities(JS_HUB)
    sent = fed.send(f"m0@{SH}", f"m1@{JX}", 90, transfer_id="far")
    assert sent.status_code == 201, sent.text
    for _ in range(3):
        fed.settle()
        fed.clock.advance(2_000)
        fed.tick()
    held = fed.transfer(SH, "far")
    assert held["state"] == "pending", held  # refused for now: still reserved, nothing lost
    assert _open(fed, JS_HUB) == 0  # the hub reserved nothing and queued nothing
    assert fed.balance(f"m1@{JX}") == 600
    audit(fed, quiescent=False)
    fed.network.tamper = None  # zj-hub is read to announce it (an upgrade, say)
    fed.read_capabilities(JS_HUB)
    drive(fed)
    assert fed.transfer(SH, "far")["state"] == "committed"
    assert (fed.balance(f"m0@{SH}"), fed.balance(f"m1@{JX}")) == (510, 690)
    audit(fed)


def test_a_hub_restarted_mid_flight_loses_nothing(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m1@{JX}", 25, transfer_id="bumpy")
    fed.settle()  # sh -> js-hub: forwarding; js-hub has queued its leg to zj-hub
    fed.restart(JS_HUB)
    fed.restart(ZJ_HUB)
    drive(fed)
    assert fed.transfer(SH, "bumpy")["state"] == "committed"
    assert fed.balance(f"m1@{JX}") == 625
    audit(fed)


def _row_by_id(fed: Federation, node_id: str, transfer_id: str) -> Any:
    with fed.nodes[node_id].db.read() as conn:
        return conn.execute(select(transfers).where(transfers.c.id == transfer_id)).one()


def test_a_hub_signs_a_checkpoint_with_hours_in_passage(fed: Federation) -> None:
    """Half settled (the next leg committed, the first not yet asked again), the hub's transit
    holds the claim on the first hop; its checkpoint counts it as clearing and still sums to
    zero, in the standard's closed set of kinds."""
    fed.send(f"m0@{SH}", f"m1@{SZ}", 45, transfer_id="halfway")
    fed.settle()
    hub = fed.nodes[JS_HUB]
    with hub.db.read() as conn:
        transit = hub.ledger.totals_by_kind(conn)["transit"]
    assert transit == -45
    document = hub.ledger_admin.checkpoint()
    totals = {t["account_kind"]: t["balance_minutes"] for t in document["totals"]}
    assert "transit" not in totals and sum(totals.values()) == 0
    assert totals["clearing"] == 45 - 45  # owed to js-suzhou, and owed by sh-pudong in passage
    drive(fed)
    assert fed.transfer(SH, "halfway")["state"] == "committed"
    audit(fed)


def test_a_payment_request_is_paid_through_the_hubs(fed: Federation) -> None:
    """The request and its acknowledgement carry no hours and go straight between the two
    nodes; the payment the payer approves is routed, and the payee's node marks the request
    paid in the transaction that credits her (its commit hook runs for a leg too)."""
    made = fed.call(JX, "POST", "/api/v1/payment-requests", {
        "id": "pay-far", "payee": "m0", "payer": f"m1@{SH}", "amount_minutes": 75,
        "category": "daily_living", "description": "meals on wheels"})
    assert made.status_code == 201, made.text
    fed.settle()
    (item,) = fed.call(SH, "GET", "/api/v1/members/m1/payment-requests").json()["items"]
    approved = fed.call(SH, "POST", f"/api/v1/payment-requests/incoming/{JX}/"
                        f"{item['request_id']}/approve")
    assert approved.status_code == 201, approved.text
    paying = fed.transfer(SH, approved.json()["transfer_id"])
    assert paying["route"] == [SH, JS_HUB, ZJ_HUB, JX]
    drive(fed)
    seen = fed.call(JX, "GET", "/api/v1/payment-requests/pay-far").json()
    assert seen["state"] == "paid", seen
    assert (fed.balance(f"m1@{SH}"), fed.balance(f"m0@{JX}")) == (525, 675)
    audit(fed)


def test_a_member_moves_to_a_city_reached_only_through_hubs(fed: Federation) -> None:
    """A relocation goes straight to the new node (decision: her profile never passes through
    a hub), on the two nodes' own chain, and that link reconciles like any other."""
    moved = fed.call(SH, "POST", "/api/v1/members/m0/relocation",
                     {"id": "move-far", "to_node": JX, "new_local_id": "m0.sh"})
    assert moved.status_code == 201, moved.text
    drive(fed)
    view = fed.call(SH, "GET", "/api/v1/relocations/move-far").json()
    assert (view["state"], view["new_address"]) == ("committed", f"m0.sh@{JX}")
    assert fed.balance(f"m0.sh@{JX}") == 600
    audit(fed)
    windows = fed.reconcile()
    assert windows[(SH, JX)]["state"] == "matched"
