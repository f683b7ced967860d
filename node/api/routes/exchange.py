"""Operators' and regulators' view of the links to other nodes, and the operator's lever to
pull the federation directory now."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam

from node.access import Role, require_role
from node.api.deps import NodeDep, PrincipalDep
from node.forms.models import DirectoryRefreshOut, LinkOut, LinkPage
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


@router.post(
    "/directory/refresh", response_model=DirectoryRefreshOut,
    summary="Pull the federation directory now, as the scheduled refresh does (admin)",
    description="Adopts a newer directory stored by `hourbridge federation load`, then loads "
    "the configured `directory_source`. A refused or unreachable source leaves the directory "
    "in force and answers 422 (`directory_refused` with the standard's `reason`, or "
    "`config_invalid`).",
)
def refresh_directory(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    require_role(principal, Role.ADMIN, what="refresh the federation directory")
    changed = node.refresh_federation()  # blocking file or HTTP read: FastAPI runs it in a thread
    held = node.federation.require_current()
    return {"federation_id": held.federation_id, "serial": held.serial,
            "issued_at_ms": held.issued_at_ms, "changed": changed,
            "statuses": {entry.node_id: entry.status.value for entry in held.nodes}}
