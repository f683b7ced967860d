"""Three real node folders (made once with `hourbridge init`) and an authority that lists them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.node.cli.directory_support import NODES, hb


@pytest.fixture(scope="session")
def node_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("nodes")
    for node_id, (region, url, name) in NODES.items():
        hb("init", "--node-id", node_id, "--region", region, "--url", url,
           "--name", name, "--data", root / node_id)
    return {node_id: root / node_id for node_id in NODES}


@pytest.fixture
def auth(tmp_path: Path, node_data: dict[str, Path]) -> Path:
    """An authority with the three nodes, signed once as serial 1."""
    folder = tmp_path / "authority"
    hb("directory", "init", "--federation-id", "cn-eldercare", "--authority", folder)
    for path in node_data.values():
        hb("directory", "add-node", "--authority", folder, "--node-data", path)
    hb("directory", "sign", "--authority", folder)
    return folder
