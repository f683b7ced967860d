"""The `world` fixture: built once per session through the API, then copied per test (a file
copy of the SQLite database is much faster than replaying the setup for each matrix cell)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from node.clock import FakeClock
from tests.conftest import Api
from tests.node.api.support import World, build_world
from tests.support import START_MS, build_node, directory_document, make_config

NODE_ID = "sh-pudong"


@dataclass(frozen=True)
class WorldTemplate:
    data_dir: Path
    headers: dict[str, dict[str, str]]
    transfer_height: int
    now_ms: int


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> WorldTemplate:
    clock = FakeClock(START_MS)
    data_dir = tmp_path_factory.mktemp("world") / NODE_ID
    node = build_node(make_config(data_dir, NODE_ID), clock, bootstrap=True)
    node.federation.accept(directory_document([NODE_ID, "nj-gulou"]))
    world = build_world(Api(node), clock)
    node.close()  # closing the last connection folds the WAL into the database file
    return WorldTemplate(data_dir, world.headers, world.transfer_height, clock.now_ms())


@pytest.fixture
def world(world_template: WorldTemplate, tmp_path: Path, clock: FakeClock) -> Iterator[World]:
    data_dir = tmp_path / NODE_ID
    shutil.copytree(world_template.data_dir, data_dir)
    clock.advance(world_template.now_ms - clock.now_ms())
    node = build_node(make_config(data_dir, NODE_ID), clock, bootstrap=False)
    yield World(
        api=Api(node),
        clock=clock,
        headers=world_template.headers,
        transfer_height=world_template.transfer_height,
    )
    node.close()
