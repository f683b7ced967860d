"""The `world` fixture: built once per session through the API, then copied per test (a file
copy of the SQLite database is much faster than replaying the setup for each matrix cell)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
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


def open_world(template: WorldTemplate, folder: Path, clock: FakeClock) -> World:
    """A copy of the template's world in `folder`, on `clock` (moved to the template's time)."""
    data_dir = folder / NODE_ID
    shutil.copytree(template.data_dir, data_dir)
    clock.advance(template.now_ms - clock.now_ms())
    node = build_node(make_config(data_dir, NODE_ID), clock, bootstrap=False)
    return World(api=Api(node), clock=clock, headers=template.headers,
                 transfer_height=template.transfer_height)


@pytest.fixture
def world(world_template: WorldTemplate, tmp_path: Path, clock: FakeClock) -> Iterator[World]:
    opened = open_world(world_template, tmp_path, clock)
    yield opened
    opened.node.close()


class SharedWorlds:
    """One world per key (an endpoint of the authorization matrix), opened on first use and
    kept for the module: the cells that must write nothing (reads and refusals) share it, as
    each compares the database before and after its own call."""

    def __init__(self, template: WorldTemplate, folder: Path) -> None:
        self.template, self.folder = template, folder
        self.worlds: dict[object, World] = {}

    def get(self, key: object, setup: Callable[[World], None] | None) -> World:
        if key not in self.worlds:
            opened = open_world(self.template, self.folder / str(len(self.worlds)),
                                FakeClock(START_MS))
            if setup is not None:
                setup(opened)
            self.worlds[key] = opened
        return self.worlds[key]

    def close(self) -> None:
        for opened in self.worlds.values():
            opened.node.close()


@pytest.fixture(scope="module")
def shared_worlds(world_template: WorldTemplate,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedWorlds]:
    worlds = SharedWorlds(world_template, tmp_path_factory.mktemp("shared-worlds"))
    yield worlds
    worlds.close()
