"""Operators' and regulators' view of the links to other nodes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam

from node.api.deps import NodeDep, PrincipalDep
from node.api.models import LinkOut, LinkPage
from protocol.addresses import NODE_ID_PATTERN

router = APIRouter(prefix="/api/v1/federation", tags=["federation"])
PeerId = Annotated[str, PathParam(pattern=NODE_ID_PATTERN)]


@router.get(
    "/links", response_model=LinkPage,
    summary="Each link: chain heads, queued messages, freeze, sender health (admin, regulator)",
)
def list_links(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"items": node.exchange.links(principal)}


@router.post(
    "/links/{peer}/unfreeze", response_model=LinkOut,
    summary="Let a frozen link run again once the disagreement is resolved (admin)",
)
def unfreeze(peer: PeerId, node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.exchange.unfreeze(principal, peer)
