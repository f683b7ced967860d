"""A member's home-visit contact (上门联系方式), from the staff side: her phone, emergency
contact and home address, through node/privacy's `visit_contact` (the API's service, with the
signed-in principal), shown only while she consents to `home_visit_contact`.

Without her consent the page says so in words and carries the refusal's code
(`consent_required`, status 422), with the way to record it; any other refusal (another
station's member) is the console's error page. Either way the service has written the access
log's row.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool

from node.console.web import PREFIX, ConsoleRoute, Desk, desk, render
from node.errors import ErrorCode, NodeError
from node.http_status import status_for
from node.privacy.visit_contact import FIELDS
from protocol.addresses import LOCAL_ID_PATTERN

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
Staff = Annotated[Desk, Depends(desk)]


def _view(staff: Desk, local_id: str) -> tuple[dict[str, Any], NodeError | None]:
    """The contact first (its access-log row before anything else), then her name."""
    try:
        contact: dict[str, Any] | None = staff.node.privacy.visit_contact(staff.principal,
                                                                          local_id)
        refusal = None
    except NodeError as refused:
        if refused.code is not ErrorCode.CONSENT_REQUIRED:
            raise
        contact, refusal = None, refused
    member = staff.node.members.get(staff.principal, local_id)
    return {"member": member, "contact": contact, "fields": FIELDS}, refusal


@router.get("/members/{local_id}/visit-contact")
async def visit_contact(request: Request, local_id: LocalId, staff: Staff) -> Response:
    view, refusal = await run_in_threadpool(_view, staff, local_id)
    return render(request, "visit_contact.html", lang=staff.lang, staff=staff,
                  status=200 if refusal is None else status_for(refusal),
                  code=None if refusal is None else str(refusal.code), **view)
