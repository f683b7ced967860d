"""A three-node federation with transfers, members of known ages, earned hours and one disputed
link, reconciled once; its node and federation reports are written once per module and copied
by tests that tamper with them. One federation report is written before two of the nodes
signed a checkpoint, so their node reports are missing from it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from node.access import Role
from node.db.schema import members, remote_transfers, transfers
from node.reports import federation, figures, node_report, settlement, unreconciled
from node.reports.aggregates import aggregates
from node.reports.evidence import unsigned
from protocol.canonical import canonical_bytes
from protocol.credit import CreditClass
from protocol.directory import Directory, decode_directory
from protocol.links import decode_links
from protocol.signing import SigningKey, sign_object
from tests.factories import grant
from tests.federation import Federation
from tests.support import AUTHORITY

SH, NJ, GZ = "sh-pudong", "nj-gulou", "gz-nansha"


def regulator_client(fed: Federation) -> httpx.AsyncClient:
    """An HTTP client reaching each in-process node at its directory URL."""
    return httpx.AsyncClient(mounts={
        f"http://{node_id}.test": httpx.ASGITransport(app=fed.network.apps[node_id])
        for node_id in fed.node_ids})


def regulator_tokens(fed: Federation) -> dict[str, str]:
    return {node_id: fed.nodes[node_id].tokens.create(role=Role.REGULATOR,
                                                      label="regulator").token
            for node_id in fed.node_ids}


def federation_report(fed: Federation, out_dir: Path, *, tokens: dict[str, str] | None = None,
                      link_map: dict[str, Any] | None = None) -> tuple[Path, dict[str, Any]]:
    return fed.run(federation.build_async(
        directory=fed.directory, tokens=regulator_tokens(fed) if tokens is None else tokens,
        out_dir=out_dir, key=AUTHORITY, now_ms=fed.clock.now_ms(),
        client=regulator_client(fed), link_map=link_map))


def hub_map(directory: Directory, *, key: SigningKey = AUTHORITY) -> dict[str, Any]:
    """A link map making SH a hub of two links (to NJ and to GZ); NJ–GZ is no link of it.
    Signed by `key` as the federation: another key gives a map no node accepts."""
    body = {"standard": "hourbridge/1", "kind": "links", "federation_id": directory.federation_id,
            "serial": 1, "issued_at_ms": directory.issued_at_ms, "hops_max": 2,
            "links": [{"a": a, "b": b, "a_cap_minutes": 600, "b_cap_minutes": 600}
                      for a, b in sorted([tuple(sorted((SH, NJ))), tuple(sorted((SH, GZ)))])]}
    return sign_object(body, signer=directory.federation_id, key=key)


def set_birth_years(fed: Federation, node_id: str, years: dict[str, int]) -> None:
    with fed.nodes[node_id].db.write() as conn:
        for local_id, year in years.items():
            conn.execute(update(members).where(members.c.local_id == local_id)
                         .values(birth_year=year))


def dispute_link(fed: Federation, debtor: str, creditor: str) -> None:
    """The creditor's node records another amount for the debtor's last transfer: the link's
    reconciliation finds a field mismatch no evidence settles, and disputes it."""
    debtor_node = debtor.split("@")[1]
    creditor_node = creditor.split("@")[1]
    assert fed.send(debtor, creditor, 30, transfer_id="disputed").status_code == 201
    fed.settle()
    with fed.nodes[debtor_node].db.read() as conn:
        wire = conn.execute(select(transfers.c.wire_id)
                            .where(transfers.c.id == "disputed")).scalar_one()
    with fed.nodes[creditor_node].db.write() as conn:
        conn.execute(update(remote_transfers).where(remote_transfers.c.transfer_id == wire)
                     .values(amount_minutes=300))


@dataclass
class Reports:
    fed: Federation
    directory: Directory
    node_dir: Path  # SH's node report
    federation_dir: Path
    early_dir: Path  # the federation report before NJ and GZ signed a checkpoint
    views: dict[tuple[str, str], dict[str, Any]]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reports]:
    root = tmp_path_factory.mktemp("reports")
    fed = Federation(root / "fed", [SH, NJ, GZ], members=3, grant_minutes=600)
    set_birth_years(fed, SH, {"m0": 1950, "m1": 1990})  # 76 and 36 in 2026
    grant(fed.nodes[SH], "m1", 240, CreditClass.EARNED)  # paper records of service
    fed.send(f"m0@{SH}", f"m1@{NJ}", 10)
    fed.send(f"m0@{NJ}", f"m1@{GZ}", 20)
    fed.send(f"m0@{GZ}", f"m1@{SH}", 35)
    fed.settle()
    dispute_link(fed, f"m2@{SH}", f"m2@{NJ}")
    views = fed.reconcile()
    assert {link: view["state"] for link, view in views.items()} == {
        (GZ, NJ): "matched", (GZ, SH): "matched", (NJ, SH): "disputed"}, views
    node_report.build(fed.nodes[SH], root / "node")
    federation_report(fed, root / "early")
    for node_id in (NJ, GZ):
        fed.nodes[node_id].ledger_admin.checkpoint()
    federation_report(fed, root / "federation")
    try:
        yield Reports(fed, decode_directory(fed.directory), root / "node", root / "federation",
                      root / "early", views)
    finally:
        fed.close()


@pytest.fixture
def node_copy(reports: Reports, tmp_path: Path) -> Path:
    return Path(shutil.copytree(reports.node_dir, tmp_path / "node")) / "report.json"


@pytest.fixture
def federation_copy(reports: Reports, tmp_path: Path) -> Path:
    return Path(shutil.copytree(reports.federation_dir, tmp_path / "federation")) / "report.json"


def refigure(document: dict[str, Any]) -> dict[str, Any]:
    """Every federation figure recomputed from the node reports `document` embeds now, as a
    compiler that edited them would (then re-sign it)."""
    reports = {e["node"]: e["report"] for e in document["node_reports"]}
    failed = {e["node"]: e["error"] for e in document["node_report_failures"]}
    document.update(figures.federation_figures(document["nodes"], reports, failed))
    document["unreconciled"] = unreconciled.federation_section(reports)
    document["aggregates"] = aggregates(reports)
    if "settlement" in document:
        held = None if document["link_map"] is None else decode_links(document["link_map"])
        document["settlement"] = settlement.section(document["positions"], held)
    return document


def resign(path: Path, document: dict[str, Any], signer: str, key: SigningKey) -> None:
    """Write `document` signed afresh, without the CSV and HTML (they would not match)."""
    path.write_bytes(canonical_bytes(sign_object(unsigned(document), signer=signer, key=key)))
    for name in ("report.csv", "report.html"):
        path.with_name(name).unlink(missing_ok=True)
