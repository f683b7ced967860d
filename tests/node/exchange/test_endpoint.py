"""The federation endpoints beside POST /federation/v1/transactions. What that endpoint refuses,
and that a refusal changes nothing, is the bad-input corpus in test_bad_input.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.federation import Federation

SH, NJ = "sh-pudong", "nj-gulou"


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ], members=1, grant_minutes=600)
    yield federation
    federation.close()


def test_the_links_view_shows_chain_heads_and_queues(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m0@{NJ}", 30)
    fed.settle()
    links = fed.call(SH, "GET", "/api/v1/federation/links").json()["items"]
    assert [(x["peer"], x["out_sequence"], x["queued_messages"], x["frozen_reason"])
            for x in links] == [(NJ, 1, 0, None)]
