"""A member's personal data page (个人信息与授权): her phone, emergency contact, home address,
masked ID number and care notes to correct; consent purpose by purpose (a guardian's name for a
member under 14); export of everything held about her (JSON and a printable page); erasure at
her request.

Like every console page it calls the service the API calls (node.privacy) with the signed-in
principal and checks forms with the API's models; every view, change, export and erasure is a
row of the access log, written by the service, refusals included (a staff member who opens
another station's member is refused and logged).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool

from node.console.web import (
    PREFIX,
    SECURITY_HEADERS,
    ConsoleRoute,
    Desk,
    FormInvalid,
    desk,
    desk_form,
    redirect,
    render,
    validated,
)
from node.forms.privacy import ConsentBody, ErasureBody, PersonalDataPatch
from node.privacy.consents import Purpose
from node.privacy.records import TEXT_FIELDS
from protocol.addresses import LOCAL_ID_PATTERN

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
Staff = Annotated[Desk, Depends(desk)]
StaffForm = Annotated[tuple[Desk, dict[str, str]], Depends(desk_form)]
DUPLICATES_SHOWN_MAX = 10
_IDS = rf"^{LOCAL_ID_PATTERN.strip('^$')}(,{LOCAL_ID_PATTERN.strip('^$')}){{0,9}}$"
Done = Annotated[str | None, Query(pattern="^(saved|erased)$")]
Duplicates = Annotated[str | None, Query(max_length=650)]


def _view(staff: Desk, local_id: str) -> dict[str, Any]:
    """Her data first, so that a refusal is the access log's row before anything else."""
    data = staff.node.privacy.get(staff.principal, local_id)  # logged
    consents = staff.node.privacy.consents(staff.principal, local_id)  # logged
    member = staff.node.members.get(staff.principal, local_id)
    return {"member": member, "data": data, "consents": consents, "purposes": list(Purpose)}


@router.get("/members/{local_id}/privacy")
async def privacy_page(request: Request, local_id: LocalId, staff: Staff, done: Done = None,
                       dup: Duplicates = None) -> Response:
    view = await run_in_threadpool(_view, staff, local_id)
    duplicates = dup.split(",") if dup and re.fullmatch(_IDS, dup) else []
    return render(request, "privacy.html", lang=staff.lang, staff=staff, done=done,
                  duplicates=duplicates, text_fields=TEXT_FIELDS, **view)


def _patch(form: dict[str, str]) -> PersonalDataPatch:
    """Every text field as sent (empty: delete it); the ID number only when one is typed."""
    fields: dict[str, Any] = {name: form.get(name, "").strip() or None for name in TEXT_FIELDS}
    if form.get("id_number", "").strip():
        fields["id_number"] = form["id_number"].strip()
    patch: PersonalDataPatch = validated(PersonalDataPatch, **fields)
    return patch


@router.post("/members/{local_id}/privacy")
async def correct(local_id: LocalId, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    answer = await run_in_threadpool(staff.node.privacy.correct, staff.principal, local_id,
                                     _patch(form).changes())
    target = f"{PREFIX}/members/{local_id}/privacy?done=saved"
    duplicates = answer["possible_duplicates"][:DUPLICATES_SHOWN_MAX]
    return redirect(target + (f"&dup={','.join(duplicates)}" if duplicates else ""))


@router.post("/members/{local_id}/privacy/consents/{purpose}")
async def consent(local_id: LocalId, purpose: Purpose, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    body: ConsentBody = validated(ConsentBody, given=form.get("given") == "yes",
                                  guardian_name=form.get("guardian_name", "").strip() or None)
    await run_in_threadpool(staff.node.privacy.set_consent, staff.principal, local_id, purpose,
                            given=body.given, guardian_name=body.guardian_name)
    return redirect(f"{PREFIX}/members/{local_id}/privacy?done=saved#consents")


@router.post("/members/{local_id}/privacy/erase")
async def erase(local_id: LocalId, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    if form.get("confirm") != "yes":
        raise FormInvalid(["confirm"])
    body: ErasureBody = validated(ErasureBody, reason=form.get("reason", ""))
    await run_in_threadpool(staff.node.privacy.erase, staff.principal, local_id,
                            reason=body.reason)
    return redirect(f"{PREFIX}/members/{local_id}/privacy?done=erased")


@router.get("/members/{local_id}/privacy/export.json")
async def export_json(local_id: LocalId, staff: Staff) -> Response:
    document = await run_in_threadpool(staff.node.privacy.export, staff.principal, local_id)
    download = f'attachment; filename="hourbridge-{local_id}.json"'
    return Response(json.dumps(document, ensure_ascii=False, indent=2),
                    media_type="application/json",
                    headers={**SECURITY_HEADERS, "Content-Disposition": download})


@router.get("/members/{local_id}/privacy/export")
async def export_page(request: Request, local_id: LocalId, staff: Staff) -> Response:
    document = await run_in_threadpool(staff.node.privacy.export, staff.principal, local_id)
    return render(request, "privacy_export.html", lang=staff.lang, staff=staff, doc=document)
