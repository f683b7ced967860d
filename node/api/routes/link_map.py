"""The link map this node holds and the routes it yields (standard §22, draft), for the
administrator and the regulator. Read-only: no transfer uses a route yet."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from node.api.deps import NodeDep, PrincipalDep
from node.forms.models import LinkMapOut, RouteOut
from protocol.addresses import NODE_ID_PATTERN

router = APIRouter(prefix="/api/v1/federation", tags=["federation"])


@router.get(
    "/link-map", response_model=LinkMapOut,
    summary="The link map this node holds (admin, regulator)",
    description="As the authority signed it. Without one the node answers 404 `no_link_map`: "
    "every pair of active nodes then trades directly (a full mesh).",
)
def link_map(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.link_maps.held_view(principal)


@router.get(
    "/route", response_model=RouteOut,
    summary="The route a transfer from this node to another would take (admin, regulator)",
    description="Over the held link map and the directory's active nodes; without a map, "
    "direct. 422 `unknown_node` (not in the directory), `peer_not_active`, or `no_route` "
    "(this node itself, or no route within the map's `hops_max`).",
)
def route(node: NodeDep, principal: PrincipalDep,
          to: Annotated[str, Query(pattern=NODE_ID_PATTERN, description="the node id")]
          ) -> dict[str, Any]:
    return node.link_maps.route_view(principal, to)
