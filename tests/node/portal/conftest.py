"""A portal folder over a two-node directory signed by the test authority; its accounts hash
with the tests' cheap Argon2id parameters, and its clock is a FakeClock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.clock import FakeClock
from node.people.pins import Hasher
from node.portal.app import compose
from node.portal.folder import PortalFolder
from node.portal.web import Portal
from protocol.canonical import canonical_bytes
from protocol.directory import key_text
from tests.federation import Federation
from tests.node.reports.conftest import regulator_client, regulator_tokens
from tests.support import AUTHORITY, CHEAP_PINS, START_MS, directory_document

SH, NJ = "sh-pudong", "bj-chaoyang"
PASSWORD = "Minzheng-Ju-2026"


def make_folder(tmp_path: Path, node_ids: list[str] | None = None) -> PortalFolder:
    published = tmp_path / "directory.json"
    published.write_bytes(canonical_bytes(directory_document(node_ids or [SH, NJ])))
    folder = PortalFolder(tmp_path / "portal")
    folder.init(directory=published, anchors=[key_text(AUTHORITY.verify_key())],
                authority=tmp_path / "authority")
    return folder


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START_MS)


@pytest.fixture
def portal(tmp_path: Path, clock: FakeClock) -> Portal:
    folder = make_folder(tmp_path)
    return compose(folder.path, key=AUTHORITY, clock=clock, hasher=Hasher(CHEAP_PINS))


@pytest.fixture(scope="package")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """Two in-process nodes: m0@sh-pudong gave m0@bj-chaoyang 8 hours, the link's window is
    reconciled and both nodes signed a checkpoint. One for the package: tests only read them."""
    fed = Federation(tmp_path_factory.mktemp("fed"), [SH, NJ], members=1, grant_minutes=600)
    try:
        assert fed.send(f"m0@{SH}", f"m0@{NJ}", 480).status_code == 201
        fed.settle()
        fed.reconcile()
        for node in fed.nodes.values():
            node.ledger_admin.checkpoint()
        yield fed
    finally:
        fed.close()


@pytest.fixture
def fed_portal(tmp_path: Path, federation: Federation) -> tuple[Federation, Portal]:
    """A portal over the two nodes, holding a regulator token for each, reaching them through
    ASGI transports, on the federation's clock."""
    published = tmp_path / "directory.json"
    published.write_bytes(canonical_bytes(federation.directory))
    folder = PortalFolder(tmp_path / "portal")
    folder.init(directory=published, anchors=[key_text(AUTHORITY.verify_key())],
                authority=tmp_path / "authority")
    for node_id, token in regulator_tokens(federation).items():
        folder.add_token(node_id, token)
    return federation, compose(folder.path, key=AUTHORITY, clock=federation.clock,
                               hasher=Hasher(CHEAP_PINS),
                               client_factory=lambda: regulator_client(federation))
