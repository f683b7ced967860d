"""The link map a node holds (node/linkmap.py): accepted only against the directory in force,
stored, replayed after a restart, adopted from another process, and routed over."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from node.errors import ConfigError, ErrorCode, FederationRefusal, NodeError, RuleViolation
from node.linkmap import LinkMapService
from node.runtime import Node
from protocol.directory import decode_directory
from protocol.links import sign_links
from tests.conftest import NodeFactory
from tests.support import AUTHORITY, START_MS, directory_document

NODES = ["js-hub", "sh-pudong", "zj-jiaxing", "zj-hub"]
# sh-pudong reaches zj-jiaxing only through js-hub (zj-hub is a longer way round).
LINKS = [("js-hub", "sh-pudong"), ("js-hub", "zj-jiaxing"), ("sh-pudong", "zj-hub"),
         ("zj-hub", "js-hub")]


def link_map(directory: dict[str, Any], *, serial: int = 1, hops_max: int = 2,
             pairs: list[tuple[str, str]] | None = None, cap: int = 600) -> dict[str, Any]:
    ordered = sorted(tuple(sorted(pair)) for pair in (LINKS if pairs is None else pairs))
    body = {"hops_max": hops_max, "links": [
        {"a": a, "b": b, "a_cap_minutes": cap, "b_cap_minutes": cap} for a, b in ordered]}
    return sign_links(body, authority=AUTHORITY, directory=decode_directory(directory),
                      serial=serial, issued_at_ms=START_MS + serial)


@pytest.fixture
def hub_node(sqlite_node: Node) -> Node:
    sqlite_node.federation.accept(directory_document(NODES))
    return sqlite_node


def test_accept_stores_and_holds_and_a_repeat_changes_nothing(hub_node: Node) -> None:
    document = link_map(directory_document(NODES))
    held, changed = hub_node.link_maps.accept(document)
    assert (held.serial, changed) == (1, True)
    assert hub_node.link_maps.accept(document) == (held, False)
    assert hub_node.link_maps.require_current() is held


def test_a_tampered_map_is_refused_with_the_code_and_the_reason(hub_node: Node) -> None:
    document = link_map(directory_document(NODES))
    document["hops_max"] = 3
    with pytest.raises(FederationRefusal) as refused:
        hub_node.link_maps.accept(document)
    assert (refused.value.code, refused.value.reason) == (
        ErrorCode.LINK_MAP_REFUSED, "bad_signature")
    assert hub_node.link_maps.current() is None


def test_no_directory_no_map(sqlite_node: Node) -> None:
    with pytest.raises(NodeError) as refused:
        sqlite_node.link_maps.accept(link_map(directory_document(NODES)))
    assert refused.value.code is ErrorCode.NO_DIRECTORY


def test_replayed_after_a_restart_and_an_older_serial_stays_refused(
        hub_node: Node) -> None:
    directory = directory_document(NODES)
    hub_node.link_maps.accept(link_map(directory, serial=2))
    again = LinkMapService(db=hub_node.db, clock=hub_node.clock, node_id="sh-pudong",
                           federation=hub_node.federation)
    assert again.require_current().serial == 2
    with pytest.raises(FederationRefusal) as refused:
        again.accept(link_map(directory, serial=1))
    assert refused.value.reason == "directory_stale"


def test_a_newer_row_stored_by_another_process_is_adopted(hub_node: Node) -> None:
    directory = directory_document(NODES)
    hub_node.link_maps.accept(link_map(directory, serial=1))
    other = LinkMapService(db=hub_node.db, clock=hub_node.clock, node_id="sh-pudong",
                           federation=hub_node.federation)
    other.accept(link_map(directory, serial=2))
    assert hub_node.link_maps.require_current().serial == 1
    assert hub_node.link_maps.catch_up() is True
    assert hub_node.link_maps.require_current().serial == 2
    # A process that missed serial 2 does not store serial 2 again: it is a repeat.
    third = LinkMapService(db=hub_node.db, clock=hub_node.clock, node_id="sh-pudong",
                           federation=hub_node.federation)
    assert third.accept(link_map(directory, serial=2))[1] is False


def test_a_map_the_new_directory_refuses_is_passed_over_but_its_serial_counts(
        hub_node: Node) -> None:
    directory = directory_document(NODES)
    hub_node.link_maps.accept(link_map(directory, serial=1, cap=60))
    hub_node.link_maps.accept(link_map(directory, serial=2, cap=600))
    lowered = directory_document(
        NODES, serial=2, policy={"net_debit_cap_per_partner_minutes_max": 120},
        caps=dict.fromkeys(NODES, 100))
    hub_node.federation.accept(lowered)
    assert hub_node.link_maps.catch_up() is True
    assert hub_node.link_maps.require_current().serial == 1
    with pytest.raises(FederationRefusal) as refused:
        hub_node.link_maps.accept(link_map(directory, serial=2, cap=60))
    assert refused.value.reason == "directory_stale"


def test_route_without_a_map_is_direct_and_with_one_goes_through_the_hub(
        hub_node: Node) -> None:
    with pytest.raises(NodeError) as none:
        hub_node.link_maps.require_current()
    assert none.value.code is ErrorCode.NO_LINK_MAP
    assert hub_node.link_maps.route("zj-jiaxing") == ("sh-pudong", "zj-jiaxing")
    hub_node.link_maps.accept(link_map(directory_document(NODES)))
    assert hub_node.link_maps.route("zj-jiaxing") == ("sh-pudong", "js-hub", "zj-jiaxing")
    assert hub_node.link_maps.route("js-hub") == ("sh-pudong", "js-hub")


def test_route_refuses_unknown_inactive_self_and_too_far(hub_node: Node) -> None:
    directory = directory_document(NODES, serial=2, status={"zj-hub": "suspended"})
    hub_node.federation.accept(directory)
    hub_node.link_maps.accept(link_map(directory, hops_max=1))
    cases = {"bj-nowhere": ErrorCode.UNKNOWN_NODE, "zj-hub": ErrorCode.PEER_NOT_ACTIVE,
             "sh-pudong": ErrorCode.NO_ROUTE, "zj-jiaxing": ErrorCode.NO_ROUTE}
    for target, code in cases.items():
        with pytest.raises(RuleViolation) as refused:
            hub_node.link_maps.route(target)
        assert refused.value.code is code, target


def test_load_reads_a_file_and_refuses_a_missing_one(hub_node: Node, tmp_path: Path) -> None:
    path = tmp_path / "links.json"
    path.write_text(json.dumps(link_map(directory_document(NODES))))
    assert hub_node.link_maps.refresh(str(path)) is True
    assert hub_node.link_maps.refresh("") is False
    with pytest.raises(ConfigError):
        hub_node.link_maps.load(str(tmp_path / "absent.json"))


def test_the_table_starts_empty(make_node: NodeFactory) -> None:
    assert make_node("sh-pudong").link_maps.current() is None


def test_the_node_refresh_loads_the_directory_then_the_map(
        sqlite_node: Node, tmp_path: Path) -> None:
    # The map names nodes only the new directory lists: loaded first, it would be refused.
    directory = directory_document(NODES)
    (tmp_path / "directory.json").write_text(json.dumps(directory))
    (tmp_path / "links.json").write_text(json.dumps(link_map(directory)))
    sqlite_node.config = sqlite_node.config.model_copy(update={
        "directory_source": str(tmp_path / "directory.json"),
        "link_map_source": str(tmp_path / "links.json")})
    assert sqlite_node.refresh_directory() is True
    assert sqlite_node.link_maps.require_current().serial == 1
