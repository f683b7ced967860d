"""Service standards and exchange rates (服务标准与时间币兑换查询), read-only, for any signed-in
member:

    /me/rates    what one hour of service earns here, by kind (the policy's weights) or by item
                 (its prices); the goods hours buy and who may redeem them from what age; this
                 node's unit and every directory node's unit against the standard minute

Everything comes from the catalogue the JSON API serves (`GET /api/v1/catalogue`,
node.timebank.catalogue); the price of an hour is the settlement's own rule (settle.price).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool

from node.centre.web import (
    Signed,
    Visit,
    acting_name,
    node_name,
    page_router,
    render,
)
from node.services.units import MINUTE_NAME
from node.timebank.policy import Pricing
from node.timebank.settle import price

router = page_router()
HOUR_MINUTES = 60


def _categories(visit: Visit, catalogue: dict[str, Any]) -> list[dict[str, Any]]:
    policy = visit.node.timebank.policy
    weighted = policy.pricing is Pricing.TIME_WEIGHTED
    return [{**c, "hour_minutes": price(policy, category=c["code"], item=None,
                                        rounded_minutes=HOUR_MINUTES) if weighted else None}
            for c in catalogue["categories"]]


def _nodes(visit: Visit, catalogue: dict[str, Any]) -> list[dict[str, Any]]:
    names = visit.node.notifications.inbox.names
    here = catalogue["exchange_rates"]["this_node"]
    out = []
    for rate in catalogue["exchange_rates"]["nodes"]:
        exact = rate["per_hour_units"] * rate["minutes"] == HOUR_MINUTES * rate["units"]
        out.append({**rate, "name": names.node_name(rate["node"]) or rate["node"],
                    "here": rate["node"] == here,
                    "plain": rate["unit"] == MINUTE_NAME and rate["units"] == rate["minutes"],
                    "exact": exact and rate["per_hour_units"] > 0})
    return out


def _rates_view(visit: Visit) -> dict[str, Any]:
    catalogue = visit.node.timebank.catalogue(visit.principal)
    unit = catalogue["unit"]
    return {"acting_name": acting_name(visit), "here_name": node_name(visit.node),
            "pricing": catalogue["pricing"], "step": unit["step_minutes"],
            "categories": _categories(visit, catalogue), "items": catalogue["items"],
            "goods": catalogue["goods"], "redeemer": catalogue["eligibility"]["redeemer"],
            "unit": unit, "plain_unit": unit["name"] == MINUTE_NAME
            and unit["units"] == unit["minutes"],
            "directory": visit.node.federation.current() is not None,
            "nodes": _nodes(visit, catalogue),
            "no_money": not catalogue["hours_convertible_to_money"]}


@router.get("/rates")
async def rates(request: Request, signed: Signed) -> Response:
    view = await run_in_threadpool(_rates_view, signed)
    return render(request, "rates.html", prefs=signed.prefs, visit=signed, **view)
