"""Rebuilding a node restored from an old backup from its peers' signed evidence, in process
(the same with real processes: tests/integration/test_recover_processes.py)."""

from __future__ import annotations

import itertools
import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from node.db.schema import remote_transfers, transfers
from protocol.directory import decode_directory
from protocol.links import sign_links
from protocol.messages.routed import LegMessage
from protocol.transaction import decode_transaction
from tests.factories import ADMIN
from tests.federation import Federation, audit, open_transfers
from tests.support import AUTHORITY, START_MS

SH, NJ, GZ = "sh-pudong", "nj-gulou", "gz-nansha"
MEMBERS = [f"m{i}@{node}" for node in (SH, NJ, GZ) for i in range(3)]


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ, GZ], members=3, grant_minutes=600)
    yield federation
    federation.close()


def db_file(fed: Federation, node_id: str) -> Path:
    url = fed.nodes[node_id].config.resolved_database_url()
    return Path(url.removeprefix("sqlite:///"))


def snapshot(fed: Federation, node_id: str, to: Path) -> None:
    with sqlite3.connect(db_file(fed, node_id)) as source, sqlite3.connect(to) as target:
        source.backup(target)


def restore(fed: Federation, node_id: str, backup: Path) -> None:
    fed.nodes[node_id].close()
    live = db_file(fed, node_id)
    for suffix in ("-wal", "-shm"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(backup) as source, sqlite3.connect(live) as target:
        source.backup(target)
    fed._open(node_id, bootstrap=False)
    fed.nodes[node_id].federation.accept(fed.directory)


def traffic(fed: Federation, tag: str) -> None:
    moves = [(f"m0@{SH}", f"m1@{NJ}", 30), (f"m1@{NJ}", f"m2@{SH}", 12),
             (f"m2@{SH}", f"m0@{GZ}", 25), (f"m0@{GZ}", f"m0@{SH}", 7),
             (f"m2@{NJ}", f"m1@{GZ}", 9)]
    for i, (debtor, creditor, minutes) in enumerate(moves):
        made = fed.send(debtor, creditor, minutes, transfer_id=f"{tag}-{i}")
        assert made.status_code == 201, made.text
    fed.settle()


def test_a_node_restored_from_an_old_backup_gets_every_cross_node_transfer_back(
        fed: Federation, tmp_path: Path) -> None:
    traffic(fed, "before")
    backup = tmp_path / "sh-backup.db"
    snapshot(fed, SH, backup)
    fed.send(f"m1@{SH}", f"m2@{NJ}", 40, transfer_id="in-flight")  # reserved at the backup
    snapshot(fed, SH, backup)
    traffic(fed, "after")
    fed.settle()
    balances = {member: fed.balance(member) for member in MEMBERS}
    audit(fed)

    restore(fed, SH, backup)
    assert fed.balance(f"m0@{SH}") != balances[f"m0@{SH}"]  # the backup is older
    report = fed.run(fed.nodes[SH].reconciler.recover())

    assert {member: fed.balance(member) for member in MEMBERS} == balances
    assert fed.transfer(SH, "in-flight")["state"] == "committed"
    by_chain = {(row["peer"], row["chain"]): row for row in report}
    assert by_chain[(NJ, "outgoing")]["transactions"] >= 1
    assert by_chain[(NJ, "incoming")]["credits"] >= 1
    assert all("error" not in row for row in report), report
    audit(fed)
    # Nothing is replayed twice: recovering again changes nothing.
    again = fed.run(fed.nodes[SH].reconciler.recover())
    assert sum(row["transactions"] for row in again) == 0
    # The books agree with every peer again: each link's window reconciles.
    views = fed.reconcile()
    assert all(view["state"] == "matched" for view in views.values()), views
    fed.send(f"m0@{SH}", f"m1@{NJ}", 5, transfer_id="next")
    fed.settle()
    assert fed.transfer(SH, "next")["state"] == "committed"
    assert fed.nodes[SH].reconciler.discrepancies(ADMIN, status="open") == []
    audit(fed)


# Transfers routed through a hub (standard §22.4): sh-pudong -- js-hub -- js-suzhou, no direct
# link between the two ends, so every transfer between them crosses two links.

HUB, SZ = "js-hub", "js-suzhou"
ROUTED = [SH, HUB, SZ]
ROUTED_MEMBERS = [f"m{i}@{node}" for node in ROUTED for i in range(2)]


def routed_federation(tmp_path: Path, path: list[str]) -> Federation:
    """The nodes of `path`, each linked only to its neighbours on it (a signed link map)."""
    federation = Federation(tmp_path, path, members=2, grant_minutes=600)
    body = {"hops_max": 3, "links": [
        {"a": a, "b": b, "a_cap_minutes": 6_000, "b_cap_minutes": 6_000}
        for a, b in sorted(tuple(sorted(pair)) for pair in itertools.pairwise(path))]}
    document = sign_links(body, authority=AUTHORITY,
                          directory=decode_directory(federation.directory), serial=1,
                          issued_at_ms=START_MS + 1)
    for node in federation.nodes.values():
        node.link_maps.accept(document)
    return federation


@pytest.fixture
def hubbed(tmp_path: Path) -> Iterator[Federation]:
    federation = routed_federation(tmp_path, ROUTED)
    yield federation
    federation.close()


def drive(fed: Federation) -> None:
    """Deliver what is due, letting legs be asked again, until nothing is open anywhere."""
    for _ in range(12):
        fed.settle()
        if not any(open_transfers(node) for node in fed.nodes.values()):
            return
        fed.clock.advance(1_000)
        fed.tick()
    raise AssertionError("routed transfers still open")


def legs(fed: Federation, node_id: str, wire_id: str) -> list[Any]:
    """This node's transfer rows (its own leg, or a hub's onward one) and the legs it answered
    for `wire_id`."""
    with fed.nodes[node_id].db.read() as conn:
        mine = conn.execute(select(transfers).where(transfers.c.wire_id == wire_id)).all()
        answered = conn.execute(select(remote_transfers).where(
            remote_transfers.c.transfer_id == wire_id)).all()
    return [*mine, *answered]


def wire_id(fed: Federation, node_id: str, transfer_id: str) -> str:
    with fed.nodes[node_id].db.read() as conn:
        return str(conn.execute(select(transfers.c.wire_id).where(
            transfers.c.id == transfer_id)).scalar_one())


def recover_twice(fed: Federation, node_id: str, peers: list[str] | None,
                  balances: dict[str, int]) -> None:
    """Recover, check the books, and recover again: nothing changes the second time."""
    report = fed.run(fed.nodes[node_id].reconciler.recover(peers))
    assert all("error" not in row for row in report), report
    fed.read_capabilities(node_id)
    assert {member: fed.balance(member) for member in ROUTED_MEMBERS} == balances
    audit(fed)
    again = fed.run(fed.nodes[node_id].reconciler.recover(peers))
    assert sum(row["transactions"] for row in again) == 0, again
    assert {member: fed.balance(member) for member in ROUTED_MEMBERS} == balances
    audit(fed)


@pytest.mark.parametrize(("restored", "peers"), [
    (SH, None), (SZ, None), (HUB, [SH, SZ]), (HUB, [SZ, SH])],
    ids=["debtor-and-creditor-sh", "creditor-and-debtor-sz", "hub-upstream-first",
         "hub-downstream-first"])
def test_a_node_restored_from_an_old_backup_gets_its_routed_transfers_back(
        hubbed: Federation, tmp_path: Path, restored: str, peers: list[str] | None) -> None:
    fed = hubbed
    backup = tmp_path / "backup.db"
    snapshot(fed, restored, backup)
    for debtor, creditor, minutes, name in ((f"m0@{SH}", f"m1@{SZ}", 45, "far"),
                                            (f"m1@{SZ}", f"m0@{SH}", 20, "back")):
        made = fed.send(debtor, creditor, minutes, transfer_id=name)
        assert made.status_code == 201, made.text
    drive(fed)
    wires = {"far": wire_id(fed, SH, "far"), "back": wire_id(fed, SZ, "back")}
    held = {name: {node: [(row.state, getattr(row, "prepare_hash", None)) for row in
                          legs(fed, node, wire)] for node in ROUTED}
            for name, wire in wires.items()}
    balances = {member: fed.balance(member) for member in ROUTED_MEMBERS}
    assert (balances[f"m0@{SH}"], balances[f"m1@{SZ}"]) == (575, 625)
    audit(fed)

    restore(fed, restored, backup)
    assert all(legs(fed, restored, wire) == [] for wire in wires.values())
    recover_twice(fed, restored, peers, balances)
    # Each node holds each transfer as before: its own leg, a hub's onward leg and every leg
    # it answered, committed, with the same prepare hashes.
    for name, wire in wires.items():
        assert {node: [(row.state, getattr(row, "prepare_hash", None)) for row in
                       legs(fed, node, wire)] for node in ROUTED} == held[name]
    # Every link's window matches again, and the next routed transfer goes through.
    views = fed.reconcile()
    assert all(view["state"] == "matched" for view in views.values()), views
    fed.send(f"m1@{SH}", f"m0@{SZ}", 5, transfer_id="next")
    drive(fed)
    assert fed.transfer(SH, "next")["state"] == "committed"
    audit(fed)


def far_sent_after_a_backup(fed: Federation, restored: str, backup: Path) -> str:
    """`restored`'s database copied to `backup`, then 45 minutes from sh-pudong to js-suzhou:
    the hub answers the first leg `forwarding` and js-suzhou delivers the next one, while
    sh-pudong has not asked again. Returns the transfer's wire id."""
    snapshot(fed, restored, backup)
    made = fed.send(f"m0@{SH}", f"m1@{SZ}", 45, transfer_id="far")
    assert made.status_code == 201, made.text
    fed.settle()
    wire = wire_id(fed, SH, "far")
    assert fed.transfer(SH, "far")["state"] == "pending"
    assert [row.state for row in legs(fed, HUB, wire)] == ["committed"]
    assert [row.state for row in legs(fed, SZ, wire)] == ["committed"]
    return wire


@pytest.mark.parametrize("peers", [[SH, SZ], [SZ, SH]], ids=["upstream-first",
                                                              "downstream-first"])
def test_a_hub_restored_while_its_previous_hop_waits_settles_the_leg_once(
        hubbed: Federation, tmp_path: Path, peers: list[str]) -> None:
    """The hub answered sh-pudong's leg `forwarding`, js-suzhou delivered the next one, and
    sh-pudong has not asked again when the hub is restored from a backup before all of it. The
    leg asked again must settle from the recovered onward leg, not be forwarded a second time."""
    fed = hubbed
    backup = tmp_path / "backup.db"
    wire = far_sent_after_a_backup(fed, HUB, backup)

    restore(fed, HUB, backup)
    report = fed.run(fed.nodes[HUB].reconciler.recover(peers))
    assert all("error" not in row for row in report), report
    fed.read_capabilities(HUB)
    audit(fed, quiescent=False)
    drive(fed)  # sh-pudong asks again

    assert fed.transfer(SH, "far")["state"] == "committed"
    assert (fed.balance(f"m0@{SH}"), fed.balance(f"m1@{SZ}")) == (555, 645)
    assert [row.state for row in legs(fed, HUB, wire)] == ["committed", "committed"]
    assert [row.state for row in legs(fed, SZ, wire)] == ["committed"]
    audit(fed)
    again = fed.run(fed.nodes[HUB].reconciler.recover(peers))
    assert sum(row["transactions"] for row in again) == 0, again
    audit(fed)


# A leg answered only `transfer.forwarding` when the node that sent it is restored from a backup
# taken before the transfer: the restored books never saw it, so without recover it is never
# asked again while the next hops have committed (docs/decisions.md, issue 18).


def legs_sent(fed: Federation, sender: str, receiver: str, wire: str) -> set[str]:
    """The message ids of every leg of `wire` that crossed the link `sender` -> `receiver`."""
    return {message.message_id
            for delivery in fed.network.log
            if (delivery.sender, delivery.receiver) == (sender, receiver)
            for message in decode_transaction(json.loads(delivery.body)).messages
            if isinstance(message, LegMessage) and message.body.transfer_id == wire}


def conflicts(fed: Federation, wire: str) -> list[str]:
    """Any node holding `wire` refused, on either side of a link."""
    found = []
    for node_id in fed.node_ids:
        for row in legs(fed, node_id, wire):
            if row.state != "committed":
                found.append(f"{node_id}: {row.state} {getattr(row, 'reason_code', '')}")
    return found


def test_a_debtor_restored_before_its_leg_was_answered_forwarding_puts_it_back_in_flight(
        hubbed: Federation, tmp_path: Path) -> None:
    """sh-pudong sent the first leg, the hub answered `forwarding` and js-suzhou delivered the
    next one; sh-pudong, before asking again, is restored from a backup taken before the
    transfer. Recover reserves the member's hours again and queues the same leg: asked again,
    the hub answers it delivered from its onward leg, and the member is debited once."""
    fed = hubbed
    backup = tmp_path / "backup.db"
    wire = far_sent_after_a_backup(fed, SH, backup)
    (first,) = legs_sent(fed, SH, HUB, wire)

    restore(fed, SH, backup)
    assert legs(fed, SH, wire) == []
    report = fed.run(fed.nodes[SH].reconciler.recover())
    assert all("error" not in row for row in report), report
    assert sum(row["reserved"] for row in report) == 1, report
    assert sum(row["debits"] for row in report) == 0, report
    fed.read_capabilities(SH)
    assert [row.state for row in legs(fed, SH, wire)] == ["pending"]
    assert fed.balance(f"m0@{SH}") == 555  # reserved again, not yet settled
    audit(fed, quiescent=False)
    drive(fed)  # sh-pudong asks again, with the same leg

    (row,) = legs(fed, SH, wire)
    assert (row.state, row.message_id) == ("committed", first)
    assert legs_sent(fed, SH, HUB, wire) == {first}
    assert (fed.balance(f"m0@{SH}"), fed.balance(f"m1@{SZ}")) == (555, 645)
    assert [row.state for row in legs(fed, HUB, wire)] == ["committed", "committed"]
    assert conflicts(fed, wire) == []
    audit(fed)  # transit and pending zero everywhere, every minute conserved
    again = fed.run(fed.nodes[SH].reconciler.recover())
    assert sum(row["transactions"] for row in again) == 0, again
    assert fed.balance(f"m0@{SH}") == 555
    audit(fed)


# Two hubs: sh-pudong -- js-hub -- zj-hub -- zj-jiaxing. js-hub's onward leg goes to another
# hub, which answers it `forwarding`.

ZJ_HUB, JX = "zj-hub", "zj-jiaxing"
TWO_HUBS = [SH, HUB, ZJ_HUB, JX]


@pytest.mark.parametrize("peers", [[SH, ZJ_HUB], [ZJ_HUB, SH]],
                         ids=["upstream-first", "downstream-first"])
def test_a_hub_restored_before_its_onward_leg_was_answered_forwarding_sends_no_second_leg(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, peers: list[str]) -> None:
    """js-hub answered sh-pudong's leg `forwarding` and sent the next one to zj-hub, which
    answered it `forwarding` too and had zj-jiaxing deliver the last one; js-hub, before asking
    zj-hub again, is restored from a backup taken before the transfer. Recover puts its onward
    leg back in flight, the same leg: a new one (a new message id, the same transfer id) would
    be refused `transfer_id_conflict` by zj-hub and release sh-pudong's hours."""
    fed = routed_federation(tmp_path / "fed", TWO_HUBS)
    try:
        backup = tmp_path / "backup.db"
        snapshot(fed, HUB, backup)
        made = fed.send(f"m0@{SH}", f"m1@{JX}", 45, transfer_id="far")
        assert made.status_code == 201, made.text
        fed.settle()
        wire = wire_id(fed, SH, "far")
        assert [row.state for row in legs(fed, HUB, wire)] == ["pending"]
        assert [row.state for row in legs(fed, ZJ_HUB, wire)] == ["committed"]
        assert [row.state for row in legs(fed, JX, wire)] == ["committed"]
        (onward,) = legs_sent(fed, HUB, ZJ_HUB, wire)

        restore(fed, HUB, backup)
        assert legs(fed, HUB, wire) == []
        report = fed.run(fed.nodes[HUB].reconciler.recover(peers))
        assert all("error" not in row for row in report), report
        assert sum(row["reserved"] for row in report) == 1, report
        fed.read_capabilities(HUB)
        assert [row.state for row in legs(fed, HUB, wire)] == ["pending"]
        audit(fed, quiescent=False)
        with caplog.at_level(logging.INFO):
            drive(fed)

        assert legs_sent(fed, HUB, ZJ_HUB, wire) == {onward}  # no second leg
        assert "transfer_id_conflict" not in caplog.text
        assert conflicts(fed, wire) == []
        assert fed.transfer(SH, "far")["state"] == "committed"
        assert (fed.balance(f"m0@{SH}"), fed.balance(f"m1@{JX}")) == (555, 645)
        assert [row.state for row in legs(fed, HUB, wire)] == ["committed", "committed"]
        assert [row.state for row in legs(fed, ZJ_HUB, wire)] == ["committed", "committed"]
        audit(fed)
        again = fed.run(fed.nodes[HUB].reconciler.recover(peers))
        assert sum(row["transactions"] for row in again) == 0, again
        audit(fed)
    finally:
        fed.close()
