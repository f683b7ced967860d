"""The "service standards and exchange rates" query: what a node's members can ask for, what it
costs, and what the node's unit is worth against the standard minute and other nodes' units.

Everything here is read from the node's policy and the federation directory it holds.
"""

from __future__ import annotations

from typing import Any

from node.services.units import NodeUnit
from node.timebank.policy import NodePolicy
from protocol.directory import Directory
from protocol.units import to_units


def _in_units(minutes: int | None, unit: NodeUnit) -> dict[str, int] | None:
    return None if minutes is None else unit.present(minutes)


def catalogue(policy: NodePolicy, *, unit: NodeUnit, directory: Directory | None,
              node_id: str) -> dict[str, Any]:
    rates = []
    for entry in directory.nodes if directory is not None else []:
        ratio = entry.local_unit.ratio()
        rates.append({"node": entry.node_id, "unit": entry.local_unit.name,
                      "units": ratio.units, "minutes": ratio.minutes,
                      "per_hour_units": to_units(60, ratio).amount_units})
    return {
        "programme": policy.programme,
        "name": policy.name,
        "unit": {**unit.view(), "step_minutes": policy.unit.step_minutes},
        "pricing": str(policy.pricing),
        "rounding": str(policy.rounding),
        "categories": [{"code": c.code, "name": c.name, "weight_percent": c.weight_percent}
                       for c in policy.categories],
        "items": [{"code": i.code, "category": i.category, "name": i.name,
                   "price_minutes": i.price_minutes,
                   "price_in_units": _in_units(i.price_minutes, unit)} for i in policy.items],
        "goods": {"allowed": policy.goods.allowed,
                  "items": [{"code": g.code, "name": g.name, "price_minutes": g.price_minutes,
                             "price_in_units": _in_units(g.price_minutes, unit)}
                            for g in policy.goods.items]},
        "caps": policy.caps.model_dump(mode="json"),
        "eligibility": {"provider": policy.provider.model_dump(mode="json"),
                        "redeemer": policy.redeemer.model_dump(mode="json")},
        "credit_classes": [str(c) for c in policy.credit.classes],
        "transfers": policy.transfers.model_dump(mode="json"),
        "lifecycle": policy.lifecycle.model_dump(mode="json"),
        "hours_convertible_to_money": False,
        "exchange_rates": {"standard": "1 standard minute", "this_node": node_id,
                           "nodes": rates},
    }
