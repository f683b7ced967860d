"""The new-need form offers what the node's catalogue sells: on a node that prices each service
item (Chengdu Pidu's example policy), the elder chooses an item with its price, and the request
is posted with that item (a category alone would be refused there)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.clock import FakeClock
from node.runtime import Node
from tests.node.centre.conftest import Home
from tests.node.centre.support import csrf_of, id_of
from tests.node.centre.test_home import text_of
from tests.node.people.support import ALICE_PIN
from tests.support import build_node, make_config

CHENGDU = Path(__file__).resolve().parents[3] / "examples" / "policies" / "chengdu-pidu.toml"


@pytest.fixture
def sqlite_node(tmp_path: Path, clock: FakeClock) -> Iterator[Node]:
    """The centre's node (conftest's `home`), running the Chengdu Pidu example policy."""
    config = make_config(tmp_path / "sh-pudong", "sh-pudong")
    node = build_node(config.model_copy(update={"policy_file": str(CHENGDU)}), clock,
                      bootstrap=True)
    yield node
    node.close()


def test_a_per_item_node_offers_its_items_with_their_prices(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    page = phone.get("/me/needs/new")
    assert page.status_code == 200, page.text
    assert 'value="item:haircut"' in page.text and 'value="category:' not in page.text
    assert "上门理发 · 30 分" in text_of(page.text)
    fields = {"csrf": csrf_of(page.text), "id": id_of(page.text), "service": "item:haircut"}
    posted = phone.client.post("/me/needs/new", data=fields)
    assert posted.status_code == 303, posted.text
    record = home.api.client.get(f"/api/v1/service-requests/{fields['id']}",
                                 headers=home.api.admin).json()
    assert (record["category"], record["item"]) == ("daily_living", "haircut")


def test_an_item_not_in_the_catalogue_is_refused_in_words(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    page = phone.get("/me/needs/new")
    refused = phone.client.post("/me/needs/new", data={
        "csrf": csrf_of(page.text), "id": id_of(page.text), "service": "item:massage"})
    assert refused.status_code == 422, refused.text
    assert 'data-code="item_unknown"' in refused.text
    listed = home.api.client.get("/api/v1/service-requests", headers=home.api.admin).json()
    assert listed["items"] == []
