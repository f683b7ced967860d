"""Checking in by scanning the elder's QR code (扫码签到).

    /me/scan?elder=<local id>&code=<6 digits>
        what the QR on her visit-code page (/me/visit-code) opens in any phone's camera: the
        signed-in volunteer's visits for her that he took and has not checked in yet, each with
        one big button that checks it in with the scanned code

The button posts to the typed code's own route (/me/volunteer/{id}/check-in), so a scan is the
same service call as typing (node.timebank.requests.check_in with the member's Principal): a
wrong code is refused there and counts towards the same per-request lock, and a right one is
recorded "with the visit code (card N)". This page decides nothing and reads no code: the code
it carries is the one in the address the volunteer just scanned, put back only into the form he
sends, and it never tells whether that code is right (only the counted check-in does). Signed
out, the volunteer is sent to the sign-in page, which brings him back to this same address.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from node.centre import i18n
from node.centre.web import (
    PREFIX,
    Signed,
    Visit,
    acting_name,
    page_router,
    redirect,
    render,
)
from node.runtime import Node
from node.states import ServiceRequestState
from node.timebank.requests import LIST_MAX
from node.timebank.visit_codes import CODE_DIGITS, CODE_PATTERN
from protocol.addresses import LOCAL_ID_PATTERN

router = page_router()
SCAN_PATH = f"{PREFIX}/scan"
LOCAL_ID_CHARS_MAX = 64  # as the centre's `for=` (web.ForMember)
Elder = Annotated[str, Query(pattern=LOCAL_ID_PATTERN, max_length=LOCAL_ID_CHARS_MAX)]
Code = Annotated[str, Query(pattern=CODE_PATTERN, max_length=CODE_DIGITS)]


def scan_url(node: Node, elder: str, code: str) -> str:
    """The absolute address the elder's QR code encodes: this node's public URL (its config's
    `url`, the one peers and printed activation cards use) and this page."""
    return f"{node.config.url}{SCAN_PATH}?{urlencode({'elder': elder, 'code': code})}"


def _mine(visit: Visit, elder: str, state: ServiceRequestState) -> list[dict[str, Any]]:
    """His visits for her in `state`, from the service's member listing (what he may see: in
    these states only his own visits and those of whom he acts for, at most LIST_MAX)."""
    listed = visit.node.timebank.requests.list(visit.principal, state=state, after=None,
                                                limit=LIST_MAX)
    return [item for item in listed
            if item["volunteer"] == visit.member and item["recipient"] == elder]


def _category(visit: Visit, code: str | None) -> str:
    key = f"service.{code}"
    return visit.t(key) if code and i18n.has(visit.lang, key) else (code or "")


def _scan_view(visit: Visit, elder: str) -> dict[str, Any]:
    waiting = [{"id": item["id"], "category": _category(visit, item["category"]),
                "station": item["station"], "description": item["description"],
                "accepted_at_ms": item["accepted_at_ms"]}
               for item in _mine(visit, elder, ServiceRequestState.ACCEPTED)]
    arrived = not waiting and bool(_mine(visit, elder, ServiceRequestState.IN_PROGRESS))
    return {"acting_name": acting_name(visit), "waiting": waiting, "arrived": arrived}


@router.get("/scan")
async def scan(request: Request, signed: Signed, elder: Elder, code: Code | None = None
               ) -> Response:
    view = await run_in_threadpool(_scan_view, signed, elder)
    if code and not view["waiting"]:
        # Nothing to check in: the same page without the code, so that neither the page nor
        # its links carry it when there is no form to use it.
        return redirect(signed.url(SCAN_PATH, elder=elder))
    return render(request, "scan.html", prefs=signed.prefs, visit=signed, code=code or "",
                  **view)
