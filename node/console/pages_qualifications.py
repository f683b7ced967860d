"""The member page's volunteer record (issue 14, item 7): his trainings and qualifications,
with whether each is valid today, a form to record one, and the honour level his paid service
reached under the node's policy.

The form calls node.timebank.qualifications (the service the API's
/api/v1/members/{id}/qualifications calls), validated by the API's own QualificationCreate.
Dates are typed as days (`date` fields, China time); an empty end date means no end.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool

from node.console.web import PREFIX, ConsoleRoute, Desk, desk_form, redirect, validated
from node.forms.records import QualificationCreate
from node.timebank.qualifications import Qualification
from protocol.addresses import LOCAL_ID_PATTERN

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
StaffForm = Annotated[tuple[Desk, dict[str, str]], Depends(desk_form)]


def volunteer_record_view(staff: Desk, local_id: str) -> dict[str, Any]:
    """The member page's qualifications and honour level (blocking: run in a thread)."""
    record = staff.node.timebank.qualifications.record_of(staff.principal, local_id)
    return {"qualifications": record["qualifications"], "honour": record["honour"],
            "service_minutes": record["service_minutes"],
            # a client id for the form, as pages_members.new_id makes them (not imported: that
            # module imports this one)
            "qualification_id": f"console-qualification-{secrets.token_hex(8)}"}


def _record(staff: Desk, local_id: str, form: dict[str, str]) -> None:
    body = validated(QualificationCreate, id=form.get("id", ""), kind=form.get("kind", ""),
                     title=form.get("title", ""), issuer=form.get("issuer", ""),
                     valid_from=form.get("valid_from", ""),
                     valid_until=form.get("valid_until") or None,
                     evidence_ref=form.get("evidence_ref", ""))
    fields = body.model_dump()
    qualification_id = fields.pop("id")
    staff.node.timebank.qualifications.record(staff.principal, local_id,
                                              qualification_id=qualification_id,
                                              qualification=Qualification(**fields))


@router.post("/members/{local_id}/qualifications")
async def record_qualification(local_id: LocalId, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    await run_in_threadpool(_record, staff, local_id, form)
    return redirect(f"{PREFIX}/members/{local_id}?done=qualification_recorded#qualifications")
