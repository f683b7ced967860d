"""Service requests and disputes: post a request for an elder, follow it through acceptance,
check-in and check-out, confirm and rate it (which pays the volunteer), or complain and resolve.

Each step is one form that calls node.timebank (the service the API's
/api/v1/service-requests routes call), validated by the API's own request models. Which steps a
page offers follows the request's state; the service still decides, so a stale page that
offers a step no longer possible gets the service's refusal (409 service_request_state) as a
readable message.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool

from node.console.pages_members import done_notice, new_id
from node.console.people_names import (
    display_names,
    member_ids_of_actors,
    request_labels,
    typed_reason,
    who,
)
from node.console.slips_form import record_slip
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
from node.forms.models import CLIENT_ID_PATTERN
from node.forms.timebank import Accept, Confirm, ReasonBody, Resolve, ServiceRequestCreate
from node.timebank.disputes import Outcome
from node.timebank.requests import STATES

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
RequestId = Annotated[str, PathParam(pattern=CLIENT_ID_PATTERN)]
Staff = Annotated[Desk, Depends(desk)]
StaffForm = Annotated[tuple[Desk, dict[str, str]], Depends(desk_form)]
STATE_PATTERN = "^(" + "|".join(STATES) + ")$"
PAGE_SIZE = 50


def service_names(catalogue: dict[str, Any]) -> dict[str, str]:
    """Catalogue codes to the names the node's policy gives them (categories and items)."""
    return {entry["code"]: entry["name"]
            for entry in [*catalogue["categories"], *catalogue["items"]]}


def _list_view(staff: Desk, state: str | None, after: str | None) -> dict[str, Any]:
    found = staff.node.timebank.requests.list(staff.principal, state=state, after=after,
                                              limit=PAGE_SIZE + 1)
    catalogue = staff.node.timebank.catalogue(staff.principal)
    return {
        "requests": found[:PAGE_SIZE],
        "next_after": found[PAGE_SIZE - 1]["id"] if len(found) > PAGE_SIZE else None,
        "catalogue": catalogue,
        "names": service_names(catalogue),
        "people": display_names(staff.node, [r[key] for r in found[:PAGE_SIZE]
                                             for key in ("recipient", "volunteer")]),
    }


def _request_view(staff: Desk, request_id: str) -> dict[str, Any]:
    """A request with its people named and its history in words (people_names.py)."""
    record = staff.node.timebank.requests.get(staff.principal, request_id)
    actors = [h["actor"] for h in record.get("history", [])]
    people = display_names(staff.node, [record["recipient"], record.get("volunteer"),
                                        *member_ids_of_actors(actors)])
    history = [{"at_ms": h["at_ms"], "action": h["action"],
                "who": who(staff.lang, h["actor"], people),
                "reason": typed_reason(h["action"], h["detail"])}
               for h in record.get("history", [])]
    return {"r": record, "people": people, "history": history,
            "names": service_names(staff.node.timebank.catalogue(staff.principal))}


@router.get("/requests")
async def requests(
    request: Request,
    staff: Staff,
    state: Annotated[str | None, Query(pattern=STATE_PATTERN)] = None,
    after: Annotated[str | None, Query(pattern=CLIENT_ID_PATTERN)] = None,
    recipient: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    view = await run_in_threadpool(_list_view, staff, state, after)
    return render(request, "requests.html", lang=staff.lang, staff=staff, **view,
                  state=state or "", states=STATES, request_id=new_id("request"),
                  recipient=recipient or "", notice=done_notice(staff.lang, request))


@router.post("/requests")
async def post_request(signed_in: StaffForm) -> Response:
    staff, form = signed_in
    body = validated(ServiceRequestCreate, id=form.get("id", ""),
                     recipient=form.get("recipient", ""),
                     category=form.get("category") or None, item=form.get("item") or None,
                     description=form.get("description", ""))
    record, _ = await run_in_threadpool(
        staff.node.timebank.requests.post, staff.principal, request_id=body.id,
        recipient=body.recipient, category=body.category, item=body.item,
        description=body.description)
    return redirect(f"{PREFIX}/requests/{record['id']}?done=request_posted")


@router.get("/requests/{request_id}")
async def one_request(request: Request, request_id: RequestId, staff: Staff) -> Response:
    view = await run_in_threadpool(_request_view, staff, request_id)
    return render(request, "request.html", lang=staff.lang, staff=staff, **view,
                  outcomes=[str(o) for o in Outcome], notice=done_notice(staff.lang, request))


def _step(staff: Desk, request_id: str, step: str, form: dict[str, str]) -> dict[str, Any]:
    """One step of the cycle, by the service the API calls for it."""
    requests, disputes, who = (staff.node.timebank.requests, staff.node.timebank.disputes,
                               staff.principal)
    if step == "accept":
        body = validated(Accept, volunteer=form.get("volunteer", ""))
        return requests.accept(who, request_id, volunteer=body.volunteer)
    if step == "check-in":
        return requests.check_in(who, request_id)
    if step == "check-out":
        return requests.check_out(who, request_id)
    if step == "slip":
        return record_slip(staff, request_id, form)
    if step == "confirm":
        rating = form.get("rating", "")
        body = validated(Confirm, rating=int(rating) if rating in ("1", "2", "3", "4", "5")
                         else rating, comment=form.get("comment", ""))
        return requests.confirm(who, request_id, rating=body.rating, comment=body.comment)
    if step == "resolution":
        outcome = form.get("outcome", "")
        released = minutes_from(form) if outcome == Outcome.PARTIAL else None
        body = validated(Resolve, outcome=outcome, released_minutes=released,
                         reason=form.get("reason", ""))
        return disputes.resolve(who, request_id, outcome=body.outcome,
                                released_minutes=body.released_minutes, reason=body.reason)
    reason = validated(ReasonBody, reason=form.get("reason", "")).reason
    if step == "cancel":
        return requests.cancel(who, request_id, reason=reason)
    return disputes.complain(who, request_id, reason=reason)


STEPS = ("accept", "check-in", "check-out", "slip", "confirm", "resolution", "cancel",
         "complaint")
Step = Annotated[str, PathParam(pattern="^(" + "|".join(STEPS) + ")$")]


@router.post("/requests/{request_id}/{step}")
async def request_step(request_id: RequestId, step: Step, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    done = await run_in_threadpool(_step, staff, request_id, step, form)
    # A confirmation that pays the volunteer nothing says "0 分", not "the volunteer is paid".
    zero = "_zero" if step == "confirm" and not done["credited_minutes"] else ""
    return redirect(f"{PREFIX}/requests/{request_id}?done=step_{step.replace('-', '_')}{zero}")


@router.get("/disputes")
async def disputes(
    request: Request,
    staff: Staff,
    state: Annotated[str, Query(pattern="^(open|resolved|all)$")] = "open",
) -> Response:
    found = await run_in_threadpool(staff.node.timebank.disputes.list, staff.principal,
                                    state=None if state == "all" else state, limit=PAGE_SIZE)
    labels = await run_in_threadpool(request_labels, staff.node,
                                     [d["request_id"] for d in found])
    names = service_names(staff.node.timebank.catalogue(staff.principal))
    return render(request, "disputes.html", lang=staff.lang, staff=staff, disputes=found,
                  state=state, labels=labels, names=names)
