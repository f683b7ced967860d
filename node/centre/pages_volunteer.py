"""Volunteering from the personal centre, and the elder's visit code.

    /me/volunteer                      open requests to take; my visits with their state in
                                       words; hours earned by serving and my service record
    /me/volunteer/take                 take a request (POST)
    /me/volunteer/{id}/check-in        type the elder's 6-digit visit code at her door
    /me/volunteer/{id}/check-out       the visit is done (POST)
    /me/visit-code                     the elder's own code, large, with a QR that opens /me/scan
                                       (pages_scan.py) on the volunteer's phone; POST: a new one

Every step is the time bank's (node.timebank.requests, node.timebank.visit_codes) called with the
member's Principal, as the JSON API calls it: who may take, check in or see a code is theirs to
decide. A volunteer never sees a visit code: the service refuses him.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool

from node.centre import i18n
from node.centre.lines import lines
from node.centre.pages_home import words_for
from node.centre.pages_scan import scan_url
from node.centre.web import (
    PREFIX,
    FormInvalid,
    Signed,
    SignedForm,
    Visit,
    acting_name,
    page_router,
    redirect,
    render,
)
from node.errors import ErrorCode, NodeError
from node.forms.models import CLIENT_ID_PATTERN
from node.people.qr import qr_svg
from node.states import ServiceRequestState
from node.timebank.visit_codes import CODE_PATTERN

router = page_router()
RequestId = Annotated[str, PathParam(pattern=CLIENT_ID_PATTERN)]
OPEN_SHOWN = 50  # open requests listed on one page
MINE_SHOWN = 50  # my visits listed on one page
HISTORY_LINES = 50  # statement lines read for the service record (its services are shown)
SERVICE_KINDS = ("service_settle",)  # statement lines of a visit paid to the volunteer
# The service says how many tries are left only in its words ("2 more tries"); shown if found.
_TRIES_LEFT = re.compile(r"(\d+) more tr(?:y|ies)")


def _category(visit: Visit, code: str | None) -> str:
    key = f"service.{code}"
    return visit.t(key) if code and i18n.has(visit.lang, key) else (code or "")


def _shown(visit: Visit, item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["id"], "category": _category(visit, item["category"]),
            "station": item["station"], "description": item["description"],
            "state": item["state"], "state_words": visit.t(f"vol.state.{item['state']}"),
            "created_at_ms": item["created_at_ms"]}


def _volunteer_view(visit: Visit) -> dict[str, Any]:
    node, principal, me = visit.node, visit.principal, visit.member
    service = node.timebank.requests
    # The service lists what a member may see of open requests; one cannot serve oneself.
    listed = service.list(principal, state=ServiceRequestState.OPEN, after=None, limit=OPEN_SHOWN)
    open_items = [item for item in listed if item["recipient"] != me]
    mine = [item for item in service.list(principal, state=None, after=None, limit=MINE_SHOWN)
            if item["volunteer"] == me]
    statement = node.members.statement(principal, me, before_height=None, limit=HISTORY_LINES)
    words = words_for(visit, [int(item["height"]) for item in statement["items"]])
    served = [item for item in statement["items"]
              if item["kind"] in SERVICE_KINDS and int(item["amount_minutes"]) > 0]
    history = lines(words, {"items": served})
    return {"acting_name": acting_name(visit),
            "open": [_shown(visit, item) for item in open_items],
            "mine": [_shown(visit, item) for item in reversed(mine)],
            "earned": sum(int(item["credited_minutes"] or 0) for item in mine),
            # the policy's honour level by hours served (node/timebank/honours.py), or None
            "honour": node.timebank.qualifications.honour_of(principal, me),
            "history": history}


@router.get("/volunteer")
async def volunteer(request: Request, signed: Signed) -> Response:
    view = await run_in_threadpool(_volunteer_view, signed)
    return render(request, "volunteer.html", prefs=signed.prefs, visit=signed, **view)


def _request_id(form: dict[str, str]) -> str:
    request_id = form.get("request", "")
    if not re.fullmatch(CLIENT_ID_PATTERN, request_id):
        raise FormInvalid(["request"])
    return request_id


@router.post("/volunteer/take")
async def take(signed_in: SignedForm) -> Response:
    signed, form = signed_in
    request_id = _request_id(form)
    await run_in_threadpool(signed.node.timebank.requests.accept, signed.principal, request_id,
                            volunteer=signed.member)
    return redirect(signed.url(f"{PREFIX}/volunteer"))


async def _check_in_page(request: Request, signed: Visit, request_id: str, *,
                         message: str = "", status: int = 200) -> Response:
    name = await run_in_threadpool(acting_name, signed)
    return render(request, "check_in.html", prefs=signed.prefs, visit=signed, status=status,
                  acting_name=name, request_id=request_id, message=message)


@router.get("/volunteer/{request_id}/check-in")
async def check_in_form(request: Request, request_id: RequestId, signed: Signed) -> Response:
    return await _check_in_page(request, signed, request_id)


def _refusal(signed: Visit, error: NodeError) -> str:
    words = signed.t(f"error.{error.code}")
    left = _TRIES_LEFT.search(error.detail)
    return f"{words} {signed.t('checkin.tries', left=left.group(1))}" if left else words


@router.post("/volunteer/{request_id}/check-in")
async def check_in(request: Request, request_id: RequestId, signed_in: SignedForm) -> Response:
    signed, form = signed_in
    code = re.sub(r"\s", "", form.get("code", ""))
    if not re.fullmatch(CODE_PATTERN, code):
        raise FormInvalid(["code"])
    try:
        await run_in_threadpool(signed.node.timebank.requests.check_in, signed.principal,
                                request_id, code=code)
    except NodeError as exc:
        if exc.code not in (ErrorCode.VISIT_CODE_WRONG, ErrorCode.VISIT_CODE_LOCKED,
                            ErrorCode.VISIT_CODE_UNSET):
            raise
        status = 403 if exc.code == ErrorCode.VISIT_CODE_LOCKED else 422
        return await _check_in_page(request, signed, request_id, message=_refusal(signed, exc),
                              status=status)
    return redirect(signed.url(f"{PREFIX}/volunteer"))


@router.post("/volunteer/{request_id}/check-out")
async def check_out(request_id: RequestId, signed_in: SignedForm) -> Response:
    signed, _ = signed_in
    await run_in_threadpool(signed.node.timebank.requests.check_out, signed.principal,
                            request_id)
    return redirect(signed.url(f"{PREFIX}/volunteer"))


def _code_view(signed: Visit, record: dict[str, Any]) -> dict[str, Any]:
    code = record["code"]
    return {"acting_name": acting_name(signed), "code": code, "card": record["card"],
            # The QR opens the scan page on this node, code included (node/centre/pages_scan.py)
            "qr": qr_svg(scan_url(signed.node, signed.member, code),
                         title=signed.t("code.title"), scalable=True) if code else ""}


@router.get("/visit-code")
async def visit_code(request: Request, signed: Signed) -> Response:
    record = await run_in_threadpool(signed.node.timebank.visit_codes.show, signed.principal,
                                     signed.member)
    view = await run_in_threadpool(_code_view, signed, record)
    return render(request, "visit_code.html", prefs=signed.prefs, visit=signed, **view)


@router.post("/visit-code")
async def rotate_code(signed_in: SignedForm) -> Response:
    signed, _ = signed_in
    await run_in_threadpool(signed.node.timebank.visit_codes.rotate, signed.principal,
                            signed.member)
    return redirect(signed.url(f"{PREFIX}/visit-code"))
