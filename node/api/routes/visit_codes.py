"""An elder's visit code, which her volunteer gives to check in: shown and replaced by her, her
delegates, her station's staff and admins (docs/timebank.md, "Visit codes"). Thin handlers over
node/timebank/visit_codes.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi import Path as PathParam

from node.api.deps import NodeDep, PrincipalDep
from node.forms.timebank import VisitCodeOut
from protocol.addresses import LOCAL_ID_PATTERN

router = APIRouter(prefix="/api/v1/members", tags=["time bank: services"])
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]


@router.get("/{local_id}/visit-code", response_model=VisitCodeOut,
            summary="The member's visit code, to show her volunteer at the door")
def show(local_id: LocalId, response: Response, node: NodeDep,
         principal: PrincipalDep) -> dict[str, Any]:
    response.headers["Cache-Control"] = "no-store"  # a secret: kept by no cache
    return node.timebank.visit_codes.show(principal, local_id)


@router.post("/{local_id}/visit-code", response_model=VisitCodeOut,
             summary="Make the member a new visit code: the old one stops working at once")
def rotate(local_id: LocalId, response: Response, node: NodeDep,
           principal: PrincipalDep) -> dict[str, Any]:
    response.headers["Cache-Control"] = "no-store"
    return node.timebank.visit_codes.rotate(principal, local_id)
