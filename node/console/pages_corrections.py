"""Corrections of a paid visit from the request page (docs/timebank.md, "Corrections after
payment"): staff record one from the paper slip, a second person confirms it.

    POST /console/corrections                 record (the request, a client id, the slip)
    POST /console/corrections/{id}/confirm    confirm: the `service_adjust` entry posts
    POST /console/corrections/{id}/withdraw   its recorder or an admin withdraws it (a reason)

The forms call node.timebank.corrections (the service the API's
/api/v1/service-requests/{id}/corrections and /api/v1/service-corrections/{id}/confirm call);
the slip's fields are read as the paper-slip form reads them (slips_form.py) and checked by the
API's own CorrectionRecord model. Paths of their own: /console/requests/{id}/{step} is the
request page's step router.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from hashlib import sha256
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool

from node.console.slips_form import slip_from
from node.console.web import (
    PREFIX,
    ConsoleRoute,
    Desk,
    FormInvalid,
    desk_form,
    redirect,
    validated,
)
from node.forms.models import CLIENT_ID_PATTERN
from node.forms.records import CorrectionRecord, CorrectionWithdraw
from node.timebank.slips import Slip

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
ClientId = Annotated[str, PathParam(pattern=CLIENT_ID_PATTERN)]
StaffForm = Annotated[tuple[Desk, dict[str, str]], Depends(desk_form)]
SEEN_DIGITS_MAX = 4


def form_id(request_id: str, seen: str) -> str:
    """The form's client id: the request and how many corrections the page showed. The same
    form sent twice replays; the next correction, drawn after this one, gets a new id."""
    if not seen.isascii() or not seen.isdigit() or len(seen) > SEEN_DIGITS_MAX:
        raise FormInvalid(["form"])
    return f"console-correction-{sha256(request_id.encode()).hexdigest()[:16]}-{int(seen)}"


def _record(staff: Desk, form: dict[str, str]) -> str:
    request_id = form.get("request", "")
    if not re.fullmatch(CLIENT_ID_PATTERN, request_id):
        raise FormInvalid(["request"])
    slip = asdict(slip_from(form))
    body = validated(CorrectionRecord, id=form_id(request_id, form.get("seen", "")),
                     **slip)
    fields = body.model_dump()
    correction_id = fields.pop("id")
    staff.node.timebank.corrections.record(staff.principal, request_id,
                                           correction_id=correction_id, slip=Slip(**fields))
    return request_id


@router.post("/corrections")
async def record_correction(signed_in: StaffForm) -> Response:
    staff, form = signed_in
    request_id = await run_in_threadpool(_record, staff, form)
    return redirect(f"{PREFIX}/requests/{request_id}?done=correction_recorded")


@router.post("/corrections/{correction_id}/confirm")
async def confirm_correction(correction_id: ClientId, signed_in: StaffForm) -> Response:
    staff, _ = signed_in
    done: dict[str, Any] = await run_in_threadpool(
        staff.node.timebank.corrections.confirm, staff.principal, correction_id)
    return redirect(f"{PREFIX}/requests/{done['request_id']}?done=correction_posted")


def _withdraw(staff: Desk, correction_id: str, form: dict[str, str]) -> dict[str, Any]:
    body = validated(CorrectionWithdraw, reason=form.get("withdraw_reason", "").strip())
    return staff.node.timebank.corrections.withdraw(staff.principal, correction_id,
                                                    reason=body.reason)


@router.post("/corrections/{correction_id}/withdraw")
async def withdraw_correction(correction_id: ClientId, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    done: dict[str, Any] = await run_in_threadpool(_withdraw, staff, correction_id, form)
    return redirect(f"{PREFIX}/requests/{done['request_id']}?done=correction_withdrawn")
