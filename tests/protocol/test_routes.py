"""Routes over the link map (§22): the fewest links, at most hops_max, the smallest ids on a tie,
checked on the vectors' map and against a brute force over random graphs."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.conformance.fixtures import FEDERATION_ID
from protocol.links import HOPS_MAX_LIMIT, Link, LinkMap
from protocol.routes import route

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NODES = tuple(f"nd{i}" for i in range(7))
SIGNATURES = {FEDERATION_ID: {"ed25519:AAAAAAAA": "A" * 86}}


def _map(pairs: set[tuple[str, str]], hops_max: int = HOPS_MAX_LIMIT) -> LinkMap:
    links = [Link(a=a, b=b, a_cap_minutes=60, b_cap_minutes=60) for a, b in sorted(pairs)]
    return LinkMap(
        standard="hourbridge/1",
        kind="links",
        federation_id=FEDERATION_ID,
        serial=1,
        issued_at_ms=0,
        hops_max=hops_max,
        links=links,
        signatures=SIGNATURES,
    )


def _brute_force(
    pairs: set[tuple[str, str]], source: str, target: str, active: frozenset[str], hops_max: int
) -> tuple[str, ...] | None:
    """Every simple path of at most hops_max links, then the shortest, then the smallest."""
    usable = {pair for pair in pairs if set(pair) <= active}
    found = []
    for inner in range(hops_max):
        for middle in itertools.permutations(sorted(active - {source, target}), inner):
            path = (source, *middle, target)
            steps = itertools.pairwise(path)
            if (
                source in active
                and target in active
                and all(tuple(sorted(step)) in usable for step in steps)
            ):
                found.append(path)
    return min(found, key=lambda path: (len(path), path)) if found else None


graphs = st.sets(
    st.tuples(st.sampled_from(NODES), st.sampled_from(NODES)).filter(
        lambda pair: pair[0] < pair[1]
    ),
    max_size=12,
)
ends = st.lists(st.sampled_from(NODES), min_size=2, max_size=2, unique=True)
actives = st.frozensets(st.sampled_from(NODES))
hops = st.integers(min_value=1, max_value=HOPS_MAX_LIMIT)


@SETTINGS
@given(pairs=graphs, ends=ends, active=actives, hops_max=hops)
def test_the_route_is_the_smallest_shortest_path(
    pairs: set[tuple[str, str]], ends: list[str], active: frozenset[str], hops_max: int
) -> None:
    source, target = ends
    link_map = _map(pairs, hops_max)
    found = route(link_map, source, target, active=active)
    assert found == _brute_force(pairs, source, target, active, hops_max)
    # Deterministic, and a property of the active links alone.
    assert route(link_map, source, target, active=frozenset(sorted(active))) == found
    if found is None:
        return
    assert found[0] == source and found[-1] == target
    assert 1 <= len(found) - 1 <= hops_max
    assert len(set(found)) == len(found)
    for a, b in itertools.pairwise(found):
        assert {a, b} <= active and tuple(sorted((a, b))) in pairs
    back = route(link_map, target, source, active=active)
    assert back is not None and len(back) == len(found)


def test_the_fewest_links_beat_the_smallest_ids() -> None:
    pairs = {("nd0", "nd1"), ("nd1", "nd2"), ("nd2", "nd5"), ("nd0", "nd5")}
    assert route(_map(pairs), "nd0", "nd2", active=frozenset(NODES)) == ("nd0", "nd1", "nd2")
    assert route(_map(pairs), "nd1", "nd5", active=frozenset(NODES)) == ("nd1", "nd0", "nd5")


def test_a_tie_goes_to_the_smallest_ids_and_inactive_nodes_are_passed_by() -> None:
    pairs = {("nd0", "nd3"), ("nd0", "nd4"), ("nd3", "nd6"), ("nd4", "nd6")}
    everyone = frozenset(NODES)
    assert route(_map(pairs), "nd6", "nd0", active=everyone) == ("nd6", "nd3", "nd0")
    without = everyone - {"nd3"}
    assert route(_map(pairs), "nd6", "nd0", active=without) == ("nd6", "nd4", "nd0")
    assert route(_map(pairs), "nd6", "nd0", active=without - {"nd4"}) is None


def test_hops_max_cuts_a_longer_route() -> None:
    chain = {("nd0", "nd1"), ("nd1", "nd2"), ("nd2", "nd3")}
    active = frozenset(NODES)
    assert route(_map(chain, 3), "nd0", "nd3", active=active) == ("nd0", "nd1", "nd2", "nd3")
    assert route(_map(chain, 2), "nd0", "nd3", active=active) is None
    assert route(_map(chain, 2), "nd1", "nd3", active=active) == ("nd1", "nd2", "nd3")


def test_an_inactive_end_has_no_route() -> None:
    link_map = _map({("nd0", "nd1")})
    assert route(link_map, "nd0", "nd1", active=frozenset({"nd0"})) is None
    assert route(link_map, "nd0", "nd1", active=frozenset({"nd1"})) is None
    assert route(link_map, "nd0", "nd2", active=frozenset(NODES)) is None


def test_without_a_link_map_the_federation_is_a_full_mesh() -> None:
    active = frozenset({"nd0", "nd1"})
    assert route(None, "nd0", "nd1", active=active) == ("nd0", "nd1")
    assert route(None, "nd0", "nd2", active=active) is None


def test_a_transfer_within_one_node_is_never_routed() -> None:
    with pytest.raises(ValueError, match="itself"):
        route(_map(set()), "nd0", "nd0", active=frozenset(NODES))
    with pytest.raises(ValueError, match="itself"):
        route(None, "nd0", "nd0", active=frozenset(NODES))
