"""Members: find, register, the member page (balances, statement, vetting), grants, transfers.

Every action goes through the service the HTTP API uses (node.members, node.grants,
node.transfers, node.timebank.people) with the signed-in principal, so the console can do
exactly what that token could do over the API, no more. Forms carry a client id made when the
page was drawn: sending the same form twice replays the first result instead of moving hours
twice.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool

from node.access import Role
from node.console import i18n
from node.console.pages_kin_pending import pending_kin_view
from node.console.pages_member_edits import record_view
from node.console.pages_people import people_view
from node.console.pages_qualifications import volunteer_record_view
from node.console.people_names import statement_lines
from node.console.web import (
    PREFIX,
    ConsoleRoute,
    Desk,
    desk,
    desk_form,
    minutes_from,
    redirect,
    render,
    validated,
)
from node.forms.models import GrantCreate, MemberCreate, TransferCreate
from node.forms.timebank import Vetting
from node.services.grants import STAFF_GRANT_CLASSES
from node.states import TransferState
from protocol.addresses import LOCAL_ID_PATTERN
from protocol.canonical import INT_ABS_MAX
from protocol.credit import CreditClass

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
Staff = Annotated[Desk, Depends(desk)]
StaffForm = Annotated[tuple[Desk, dict[str, str]], Depends(desk_form)]
PAGE_SIZE = 50
STATEMENT_LINES = 20


def new_id(kind: str) -> str:
    """A client id for one form, in the API's CLIENT_ID_PATTERN."""
    return f"console-{kind}-{secrets.token_hex(8)}"


def done_notice(lang: str, request: Request) -> str:
    key = f"done.{request.query_params.get('done', '')}"
    return i18n.CATALOGUE[lang].get(key, "")


@router.get("/members")
async def members(
    request: Request,
    staff: Staff,
    q: Annotated[str | None, Query(max_length=100)] = None,
    after: Annotated[str | None, Query(pattern=LOCAL_ID_PATTERN, max_length=64)] = None,
) -> Response:
    found = await run_in_threadpool(staff.node.members.list, staff.principal, after=after,
                                    limit=PAGE_SIZE + 1, search=q or None)
    return render(request, "members.html", lang=staff.lang, staff=staff, q=q or "",
                  members=found[:PAGE_SIZE],
                  next_after=found[PAGE_SIZE - 1].local_id if len(found) > PAGE_SIZE else None,
                  notice=done_notice(staff.lang, request))


@router.post("/members")
async def register_member(signed_in: StaffForm) -> Response:
    staff, form = signed_in
    year = form.get("birth_year", "")
    body = validated(MemberCreate, local_id=form.get("local_id", ""),
                     display_name=form.get("display_name", ""),
                     birth_year=int(year) if year.isascii() and year.isdigit() else year or None)
    record = await run_in_threadpool(
        staff.node.members.create, staff.principal, local_id=body.local_id,
        display_name=body.display_name, station=None, birth_year=body.birth_year)
    return redirect(f"{PREFIX}/members/{record.local_id}?done=member_registered")


def grant_classes(staff: Desk) -> list[str]:
    if staff.principal.role == Role.STAFF:
        return [str(c) for c in CreditClass if c in STAFF_GRANT_CLASSES]
    return [str(c) for c in CreditClass]


def _member_view(staff: Desk, local_id: str, before_height: int | None) -> dict[str, Any]:
    members = staff.node.members
    member = members.get(staff.principal, local_id)  # a row of the access log, refused or not
    statement = members.statement(staff.principal, local_id, before_height=before_height,
                                  limit=STATEMENT_LINES)
    return {
        "member": member,
        "balance": members.balance(staff.principal, local_id),
        "statement": {**statement,
                      "items": statement_lines(staff.node, staff.lang, statement["items"])},
        "profile": staff.node.timebank.people.profile(staff.principal, local_id),
        **people_view(staff, local_id),  # signing in, family access, kin
        **pending_kin_view(staff, local_id),  # kin that came with her relocation, to confirm
        **record_view(staff, local_id, member),  # corrections, their history, duplicates
        **volunteer_record_view(staff, local_id),  # qualifications, honour level
    }


@router.get("/members/{local_id}")
async def member(
    request: Request,
    local_id: LocalId,
    staff: Staff,
    before_height: Annotated[int | None, Query(gt=0, le=INT_ABS_MAX)] = None,
) -> Response:
    view = await run_in_threadpool(_member_view, staff, local_id, before_height)
    return render(request, "member.html", lang=staff.lang, staff=staff, **view,
                  grant_id=new_id("grant"), transfer_id=new_id("transfer"),
                  grant_classes=grant_classes(staff), notice=done_notice(staff.lang, request))


@router.post("/members/{local_id}/grants")
async def grant(local_id: LocalId, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    body = validated(GrantCreate, id=form.get("id", ""), member=local_id,
                     amount_minutes=minutes_from(form), credit_class=form.get("credit_class", ""),
                     reason=form.get("reason", ""))
    await staff.node.writer.submit(staff.node.grants.command(
        staff.principal, grant_id=body.id, local_id=local_id, amount_minutes=body.amount_minutes,
        credit_class=body.credit_class, reason=body.reason))
    return redirect(f"{PREFIX}/members/{local_id}?done=grant_made")


@router.post("/members/{local_id}/vetting")
async def vet(local_id: LocalId, signed_in: StaffForm) -> Response:
    """Record that staff vetted a member: in hardship, subsidised, or neither (audited)."""
    staff, form = signed_in
    body = validated(Vetting, hardship=form.get("hardship") == "yes",
                     subsidised=form.get("subsidised") == "yes", reason=form.get("reason", ""))
    await run_in_threadpool(staff.node.timebank.people.vet, staff.principal, local_id,
                            hardship=body.hardship, subsidised=body.subsidised,
                            reason=body.reason)
    return redirect(f"{PREFIX}/members/{local_id}?done=vetted")


@router.post("/members/{local_id}/transfers")
async def transfer(local_id: LocalId, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    body = validated(TransferCreate, id=form.get("id", ""), to=form.get("to", ""),
                     amount_minutes=minutes_from(form), memo=form.get("memo", ""),
                     **{"from": local_id})
    assert body.amount_minutes is not None  # given above; the model allows units instead
    result = await staff.node.writer.submit(staff.node.transfers.command(
        staff.principal, transfer_id=body.id, debtor=body.from_, creditor=body.to,
        amount_minutes=body.amount_minutes, memo=body.memo))
    done = ("transfer_made" if result.record["state"] == TransferState.COMMITTED
            else "transfer_sent")
    return redirect(f"{PREFIX}/members/{local_id}?done={done}")
