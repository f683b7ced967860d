from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.processes import Cluster, ClusterFactory


@pytest.fixture
def make_cluster(tmp_path: Path) -> Iterator[ClusterFactory]:
    """make_cluster(node_ids, env=...) -> an initialised Cluster; its processes die at teardown
    whatever the test did."""
    made: list[Cluster] = []

    def factory(node_ids: list[str], **kwargs: object) -> Cluster:
        cluster = Cluster(tmp_path / f"fed{len(made)}", node_ids, **kwargs)  # type: ignore[arg-type]
        made.append(cluster)
        return cluster

    yield factory
    for cluster in made:
        cluster.close()
