"""The link-map vectors (§22): the stored map is accepted and gives the stored routes, every
negative map is refused with its code, and the schema's bounds are the code's."""

from __future__ import annotations

import json
from typing import Any

import pytest

from protocol.conformance.fixtures import vector_directory
from protocol.conformance.links import run_links_vector
from protocol.links import HOPS_MAX_LIMIT, HOPS_MAX_MIN, LINKS_MAX, accept_links
from protocol.reasons import ReasonCode
from protocol.routes import route
from tests.schemas.conftest import SCHEMAS_DIR

VECTORS_DIR = SCHEMAS_DIR / "vectors"
POSITIVE = json.loads((VECTORS_DIR / "positive" / "links.json").read_text(encoding="utf-8"))
NEGATIVE = {
    path.stem: json.loads(path.read_text(encoding="utf-8"))
    for path in sorted((VECTORS_DIR / "negative" / "links").glob("*.json"))
}


def test_the_required_refusals_have_vectors() -> None:
    assert set(NEGATIVE) >= {
        "tampered",
        "untrusted_key",
        "unsorted",
        "duplicate",
        "self_link",
        "unknown_node",
        "hops_max_out_of_bounds",
        "older_serial",
        "same_serial_other_content",
    }


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_negative_links_vector(name: str) -> None:
    vector = NEGATIVE[name]
    assert run_links_vector(vector) is ReasonCode(vector["expected_reason"])


def test_the_runner_reports_no_reason_for_the_positive_map() -> None:
    # Without this, a runner that always raised would pass every negative vector.
    assert run_links_vector({"held": None, "candidate": POSITIVE["document"]}) is None


def test_positive_map_is_accepted_and_gives_the_stored_routes() -> None:
    link_map = accept_links(POSITIVE["document"], directory=vector_directory(), current=None)
    routes = POSITIVE["routes"]
    assert any(case["route"] is None for case in routes)
    assert any(case["route"] is not None and len(case["route"]) == 3 for case in routes)
    for case in routes:
        found = route(link_map, case["source"], case["target"], active=frozenset(case["active"]))
        assert case["route"] == (None if found is None else list(found))


def test_schema_bounds_are_the_codes(schemas: dict[str, Any]) -> None:
    properties = schemas["links.schema.json"]["properties"]
    hops = properties["hops_max"]
    assert (hops["minimum"], hops["maximum"]) == (HOPS_MAX_MIN, HOPS_MAX_LIMIT)
    assert properties["links"]["maxItems"] == LINKS_MAX
