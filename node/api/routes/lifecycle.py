"""A member's death and the node's closure under the policy's lifecycle rules: thin handlers
over node/timebank/deaths.py and closure.py (docs/timebank.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi import Path as PathParam

from node.api.deps import NodeDep, PrincipalDep
from node.api.replay import mark_replay
from node.forms.lifecycle import ClosureCreate, ClosureOut, DeathCreate, DeathOut
from node.timebank.deaths import Share
from protocol.addresses import LOCAL_ID_PATTERN

router = APIRouter(prefix="/api/v1", tags=["time bank"])
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]


@router.post("/members/{local_id}/death", status_code=201, response_model=DeathOut,
             responses={200: {"model": DeathOut, "description": "recorded before: the record"}},
             summary="Staff record a member's death: her hours go to her heirs or the pool "
                     "under lifecycle.on_death (201, 200 repeat)")
def record_death(local_id: LocalId, body: DeathCreate, node: NodeDep, principal: PrincipalDep,
                 response: Response) -> dict[str, Any]:
    record, created = node.timebank.deaths.record(
        principal, local_id, note=body.note,
        heirs=[Share(relative=h.relative, minutes=h.minutes) for h in body.heirs])
    mark_replay(response, created=created)
    return record


@router.get("/members/{local_id}/death", response_model=DeathOut,
            summary="What was done with a deceased member's hours")
def get_death(local_id: LocalId, node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.deaths.get(principal, local_id)


@router.post("/closure", status_code=201, response_model=ClosureOut,
             responses={200: {"model": ClosureOut, "description": "decided before: the plan"}},
             summary="An admin decides the node closes, under lifecycle.on_closure "
                     "(201, 200 repeat)")
def decide_closure(body: ClosureCreate, node: NodeDep, principal: PrincipalDep,
                   response: Response) -> dict[str, Any]:
    plan, created = node.timebank.closure.decide(principal, successor=body.successor,
                                                 reason=body.reason)
    mark_replay(response, created=created)
    return plan


@router.get("/closure", response_model=ClosureOut,
            summary="The node's closure: the decision and the members who still hold hours")
def get_closure(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.closure.plan(principal)
