"""Rebuilding a node restored from an old backup from its peers' signed evidence, in process
(the same with real processes: tests/integration/test_recover_processes.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import ADMIN
from tests.federation import Federation, audit

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
