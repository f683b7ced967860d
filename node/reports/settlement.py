"""Settlement through hubs (issue 18): how many minutes of bilateral positions a multilateral
settlement would replace, federation-wide and at each hub of the link map. Pure arithmetic over
the report's `positions` (each node's closing position on each of its links, from its own
signed statement) and the embedded link map; the builder states it and `verify-report` runs it
again (docs/decisions.md, "Regional hubs (issue 18): settlement figures in the federation
report").

    gross          Σ over every position row of max(position, 0): each link's bilateral debt
                   once, as its creditor states it (= Σ over links of |position| when both
                   sides agree)
    multilateral   Σ over nodes of max(net, 0), net = Σ of the node's own rows: what still
                   moves if every node settled only its net position
    replaced       gross − multilateral (never negative: max(·, 0) is subadditive)

Per hub (a node with more than one link in the map): `owed_minutes` = Σ of its positive rows,
`owing_minutes` = Σ of its negative rows (as a positive number), `gross_minutes` = owed +
owing (Σ |position| over its links), `net_minutes` = owed − owing (its net in `nets`), and
`replaced_minutes` = min(owed, owing): the minutes it is owed on some links and owes on others,
which cancel at the hub. A hub that only forwards has net 0, so it replaces half its gross.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from protocol.links import LinkMap


def hub_degrees(link_map: LinkMap) -> dict[str, int]:
    """The map's hubs and their link counts, by node id: every node with more than one link."""
    degree: Counter[str] = Counter()
    for link in link_map.links:
        degree[link.a] += 1
        degree[link.b] += 1
    return {node: count for node, count in sorted(degree.items()) if count > 1}


def hub_row(node: str, links: int, own: list[int]) -> dict[str, Any]:
    """One hub's figures from its own closing positions (one per link it holds a window on)."""
    owed = sum(p for p in own if p > 0)
    owing = -sum(p for p in own if p < 0)
    return {"node": node, "links": links, "owed_minutes": owed, "owing_minutes": owing,
            "gross_minutes": owed + owing, "net_minutes": owed - owing,
            "replaced_minutes": min(owed, owing)}


def totals(positions: list[dict[str, Any]]) -> dict[str, int]:
    """Federation-wide gross, multilateral and replaced minutes (the module's docstring)."""
    gross = sum(max(p["closing_position_minutes"], 0) for p in positions)
    nets: Counter[str] = Counter()
    for p in positions:
        nets[p["node"]] += p["closing_position_minutes"]
    multilateral = sum(max(net, 0) for net in nets.values())
    assert 0 <= multilateral <= gross, (multilateral, gross)
    return {"gross_minutes": gross, "multilateral_minutes": multilateral,
            "replaced_minutes": gross - multilateral}


def section(positions: list[dict[str, Any]], link_map: LinkMap | None) -> dict[str, Any]:
    """The report's `settlement`: the totals always, a row per hub when a link map is held
    (without one the federation is a full mesh: no hubs)."""
    degrees = {} if link_map is None else hub_degrees(link_map)
    by_node: dict[str, list[int]] = {node: [] for node in degrees}
    for p in positions:
        if p["node"] in by_node:
            by_node[p["node"]].append(p["closing_position_minutes"])
    return {"hubs": [hub_row(node, links, by_node[node]) for node, links in degrees.items()],
            "totals": totals(positions)}
