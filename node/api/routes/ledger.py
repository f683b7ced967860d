"""Operator and regulator views of the ledger."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from node.api.deps import NodeDep, PrincipalDep
from node.forms.models import Checkpoint, ReversalCreate, ReversalOut

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])


@router.post(
    "/checkpoints",
    status_code=201,
    response_model=Checkpoint,
    summary="Sign a checkpoint of the current head (admin)",
)
def create_checkpoint(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.ledger_admin.checkpoint(principal)


@router.get(
    "/checkpoints/latest",
    response_model=Checkpoint,
    summary="The newest signed checkpoint (admin, regulator)",
)
def latest_checkpoint(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.ledger_admin.latest_checkpoint(principal)


@router.post(
    "/reversals",
    status_code=201,
    response_model=ReversalOut,
    summary="Correct an entry by appending its reversal (admin)",
)
def reverse(body: ReversalCreate, node: NodeDep, principal: PrincipalDep) -> ReversalOut:
    return ReversalOut(
        **node.ledger_admin.reverse(principal, height=body.height, reason=body.reason)
    )
