"""Routes over the link map (§22): which nodes a transfer from one node to another crosses.

Every node computes the same route from the same link map and the same set of active nodes, so
the rule is fixed to the last tie: the fewest links, at most the map's `hops_max`, and among
routes of that length the lexicographically smallest sequence of node ids.
"""

from __future__ import annotations

from collections import deque

from protocol.links import LinkMap


def _adjacency(link_map: LinkMap, active: frozenset[str]) -> dict[str, list[str]]:
    """Each active node's active neighbours, over links whose both ends are active."""
    neighbours: dict[str, list[str]] = {}
    for link in link_map.links:
        if link.a in active and link.b in active:
            neighbours.setdefault(link.a, []).append(link.b)
            neighbours.setdefault(link.b, []).append(link.a)
    return neighbours


def _distances_to(target: str, neighbours: dict[str, list[str]], hops_max: int) -> dict[str, int]:
    """Links from each node to `target`, for the nodes at most `hops_max` links away."""
    distance = {target: 0}
    frontier = deque([target])
    while frontier:
        node = frontier.popleft()
        if distance[node] == hops_max:
            continue
        for other in neighbours.get(node, ()):
            if other not in distance:
                distance[other] = distance[node] + 1
                frontier.append(other)
    return distance


def route(
    link_map: LinkMap | None, source: str, target: str, *, active: frozenset[str]
) -> tuple[str, ...] | None:
    """The node ids a transfer from `source` to `target` crosses, both ends included.

    None when either end is not active or no route of at most `hops_max` links joins them over
    links between active nodes. Without a link map the federation is a full mesh: the route is
    `(source, target)` whenever both are active. A transfer within one node is never routed:
    `source == target` is the caller's mistake (ValueError).
    """
    if source == target:
        raise ValueError(f"no route from {source} to itself: a transfer within one node")
    if source not in active or target not in active:
        return None
    if link_map is None:
        return (source, target)
    neighbours = _adjacency(link_map, active)
    distance = _distances_to(target, neighbours, link_map.hops_max)
    if source not in distance:
        return None
    # Walking down the distances one link at a time, taking the smallest id that is one link
    # nearer, yields the lexicographically smallest of all shortest routes.
    path = [source]
    while path[-1] != target:
        nearer = distance[path[-1]] - 1
        path.append(min(n for n in neighbours[path[-1]] if distance.get(n) == nearer))
    return tuple(path)
