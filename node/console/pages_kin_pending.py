"""Kin that arrived with a member's relocation and wait for staff (node/timebank/kin_pending.py):
listed in the kin section of her member page, each with a confirm and a reject button.

The buttons call the service the rest of the node would, with the signed-in principal: staff
of her station or an admin (403 otherwise, as the service decides); the list is a row of the
access log, as her kin registry is.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool

from node.console.web import PREFIX, ConsoleRoute, Desk, desk_form, redirect, validated
from node.forms.timebank import KinCreate
from protocol.addresses import LOCAL_ID_PATTERN

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
StaffForm = Annotated[tuple[Desk, dict[str, str]], Depends(desk_form)]


def pending_kin_view(staff: Desk, local_id: str) -> dict[str, Any]:
    """The member page's pending kin (blocking: run in a thread)."""
    return {"pending_kin": staff.node.timebank.kin_pending.listed(staff.principal,
                                                                  local_id)["items"]}


def _relative(form: dict[str, str]) -> str:
    """The relative's address by the kin form's rules (the relation is the stored one)."""
    body = validated(KinCreate, relative=form.get("relative", "").lower(), relation="parent")
    return str(body.relative)


@router.post("/members/{local_id}/kin-pending/confirm")
async def confirm(local_id: LocalId, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    await run_in_threadpool(staff.node.timebank.kin_pending.confirm, staff.principal,
                            local_id, _relative(form))
    return redirect(f"{PREFIX}/members/{local_id}?done=kin_confirmed#kin")


@router.post("/members/{local_id}/kin-pending/reject")
async def reject(local_id: LocalId, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    await run_in_threadpool(staff.node.timebank.kin_pending.reject, staff.principal,
                            local_id, _relative(form))
    return redirect(f"{PREFIX}/members/{local_id}?done=kin_rejected#kin")
