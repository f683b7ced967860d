"""A real node (SQLite, FakeClock) holding a directory that lists the kit, and the kit's
config: the kit runs in this process over a TestClient on the node's app, sharing the clock."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from node.api.app import create_app
from node.clock import FakeClock
from node.conformance.kit import KitConfig
from node.runtime import Node
from tests.factories import add_members
from tests.node.conformance import KIT, MEMBER, TARGET
from tests.support import directory_document, node_key


@dataclass
class KitTarget:
    node: Node
    clock: FakeClock
    client: TestClient
    config: KitConfig


def write_kit_files(root: Path, *, caps: dict[str, int] | None = None) -> KitConfig:
    """The kit's key (PEM) and the signed directory listing the target and the kit."""
    root.mkdir(parents=True, exist_ok=True)
    key = root / "kit.key"
    key.write_bytes(node_key(KIT).private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    directory = root / "directory.json"
    directory.write_text(json.dumps(directory_document([KIT, TARGET], caps=caps or {KIT: 1_000})))
    return KitConfig(target_url="http://testserver", directory=directory, key_path=key,
                     kit_id=KIT, member=MEMBER)


@pytest.fixture
def kit_target(make_node, clock: FakeClock, tmp_path: Path) -> KitTarget:  # type: ignore[no-untyped-def]
    node = make_node(TARGET)
    config = write_kit_files(tmp_path / "kit")
    node.federation.accept(json.loads(config.directory.read_text()))
    add_members(node, MEMBER)
    return KitTarget(node, clock, TestClient(create_app(node), raise_server_exceptions=False),
                     config)
