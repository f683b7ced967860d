"""A volunteer's records: corrections of paid visits and qualifications (docs/timebank.md,
"Corrections after payment"; docs/records.md, "Qualifications and honour levels"). Thin
handlers over node/timebank/corrections.py and qualifications.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi import Path as PathParam

from node.api.deps import NodeDep, PrincipalDep
from node.api.replay import mark_replay, replayed
from node.forms.models import CLIENT_ID_PATTERN
from node.forms.records import (
    CorrectionRecord,
    CorrectionWithdraw,
    QualificationCreate,
    QualificationOut,
    QualificationPage,
)
from node.forms.timebank import CorrectionOut
from node.timebank.qualifications import Qualification
from node.timebank.slips import Slip
from protocol.addresses import LOCAL_ID_PATTERN

router = APIRouter(prefix="/api/v1", tags=["time bank: records"])
ClientId = Annotated[str, PathParam(pattern=CLIENT_ID_PATTERN)]
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]


@router.post("/service-requests/{request_id}/corrections", status_code=201,
             response_model=CorrectionOut,
             responses=replayed(CorrectionOut),
             summary="Staff correct a paid visit's duration from its paper slip (201 created, "
             "200 identical retry); a second person confirms it")
def record_correction(request_id: ClientId, body: CorrectionRecord, node: NodeDep,
                      principal: PrincipalDep, response: Response) -> dict[str, Any]:
    fields = body.model_dump()
    correction_id = fields.pop("id")
    record, created = node.timebank.corrections.record(
        principal, request_id, correction_id=correction_id, slip=Slip(**fields))
    mark_replay(response, created=created)
    return record


@router.get("/service-corrections/{correction_id}", response_model=CorrectionOut,
            summary="One correction of a paid visit")
def get_correction(correction_id: ClientId, node: NodeDep,
                   principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.corrections.get(principal, correction_id)


@router.post("/service-corrections/{correction_id}/confirm", response_model=CorrectionOut,
             summary="The elder, another staff member or an admin confirm a correction: its "
             "service_adjust entry posts")
def confirm_correction(correction_id: ClientId, node: NodeDep,
                       principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.corrections.confirm(principal, correction_id)


@router.post("/service-corrections/{correction_id}/withdraw", response_model=CorrectionOut,
             summary="Whoever recorded a pending correction, or an admin, withdraws it with a "
             "reason: nothing posts, and it can no longer be confirmed (a repeat replays)")
def withdraw_correction(correction_id: ClientId, body: CorrectionWithdraw, node: NodeDep,
                        principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.corrections.withdraw(principal, correction_id, reason=body.reason)


@router.post("/members/{local_id}/qualifications", status_code=201,
             response_model=QualificationOut,
             responses=replayed(QualificationOut),
             summary="Staff record a volunteer's training or qualification (201 created, 200 "
             "identical retry)")
def record_qualification(local_id: LocalId, body: QualificationCreate, node: NodeDep,
                         principal: PrincipalDep, response: Response) -> dict[str, Any]:
    fields = body.model_dump()
    qualification_id = fields.pop("id")
    record, created = node.timebank.qualifications.record(
        principal, local_id, qualification_id=qualification_id,
        qualification=Qualification(**fields))
    mark_replay(response, created=created)
    return record


@router.get("/members/{local_id}/qualifications", response_model=QualificationPage,
            summary="A volunteer's trainings and qualifications, with whether each is valid "
            "today")
def list_qualifications(local_id: LocalId, node: NodeDep,
                        principal: PrincipalDep) -> dict[str, Any]:
    return {"items": node.timebank.qualifications.list(principal, local_id)}
