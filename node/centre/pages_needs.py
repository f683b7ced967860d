"""Needs (我的需求) for elders and their families: post one, follow it, confirm and rate it, or
complain about it (举报与交易纠纷).

    /me/needs                      her service requests, newest first, with their state in
                                   words and the volunteer's name (a delegate: `for=` the elder)
    /me/needs/new                  a need for herself or the elder: a kind of help from this
                                   node's catalogue and a few words; the form carries a client
                                   id, so sending it twice posts once
    /me/needs/{id}                 one request; when the visit is done, confirm and rate it (the
                                   held hours go to the volunteer) or complain (they stay held
                                   until the station decides)

Every step is node.timebank's, called as the JSON API calls it (node/api/routes/
timebank_requests.py) with the member's Principal: who may post, read, confirm or complain is
decided there.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any, TypeVar

from fastapi import Path as PathParam
from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ValidationError

from node.centre.lines import service_name
from node.centre.pages_home import words_for
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
from node.forms.models import CLIENT_ID_PATTERN
from node.forms.timebank import Confirm, ReasonBody, ServiceRequestCreate
from node.people.centre import ServiceFact
from node.states import ServiceRequestState
from node.timebank.policy import Pricing
from node.timebank.requests import LIST_MAX

router = page_router()
RequestId = Annotated[str, PathParam(pattern=CLIENT_ID_PATTERN)]
RATINGS = (5, 4, 3, 2, 1)
# Shown with the page's button to look again: the visit is still on its way.
MOVING = (ServiceRequestState.OPEN, ServiceRequestState.ACCEPTED,
          ServiceRequestState.IN_PROGRESS)
M = TypeVar("M", bound=BaseModel)


def new_id() -> str:
    """A client id for one form, in the API's CLIENT_ID_PATTERN."""
    return f"centre-need-{secrets.token_hex(8)}"


def one_line(text: str) -> str:
    """A textarea's words on one line (the services take no control characters)."""
    return " ".join(text.split())


def _model(model: type[M], values: dict[str, Any]) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        fields = sorted({str(err["loc"][0]) for err in exc.errors() if err.get("loc")})
        raise FormInvalid(fields or ["form"]) from exc


def _need(visit: Visit, record: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    words = words_for(visit, [])
    volunteer = record["volunteer"]
    return {**record,
            "kind": service_name(words, ServiceFact(record["category"], record["item"],
                                                    record["recipient"], volunteer)),
            "state_words": visit.t(f"need.state.{record['state']}"),
            "volunteer_name": names.get(volunteer, volunteer) if volunteer else ""}


def _needs_view(visit: Visit) -> dict[str, Any]:
    name = acting_name(visit)  # refuses anyone who may not act for the elder
    node = visit.node
    names = node.people.centre.volunteer_names(visit.principal, visit.member)
    records = node.timebank.requests.list(visit.principal, state=None, after=None,
                                          limit=LIST_MAX)
    mine = [r for r in records if r["recipient"] == visit.member]
    mine.sort(key=lambda r: (r["created_at_ms"], r["id"]), reverse=True)
    return {"acting_name": name, "needs": [_need(visit, r, names) for r in mine]}


@router.get("/needs")
async def needs(request: Request, signed: Signed) -> Response:
    view = await run_in_threadpool(_needs_view, signed)
    return render(request, "needs.html", prefs=signed.prefs, visit=signed, **view)


def _new_view(visit: Visit) -> dict[str, Any]:
    """The kinds of help to choose from: the catalogue's items with their prices and, where a
    visit is paid by the time it takes, the categories too (a node that prices per item needs
    the item named: node.timebank.requests refuses a category alone)."""
    words = words_for(visit, [])
    policy = visit.node.timebank.policy
    choices = [{"value": f"item:{i.code}", "name": service_name(
                    words, ServiceFact(i.category, i.code, "", None)),
                "price_minutes": i.price_minutes} for i in policy.items]
    if policy.pricing is not Pricing.PER_ITEM:
        choices += [{"value": f"category:{c.code}", "name": service_name(
                         words, ServiceFact(c.code, None, "", None)), "price_minutes": None}
                    for c in policy.categories]
    return {"acting_name": acting_name(visit), "choices": choices, "form_id": new_id()}


def chosen_service(form: dict[str, str]) -> tuple[str | None, str | None]:
    """(category, item) from the form's choice "item:<code>" or "category:<code>" (or a bare
    `category` field, as the API names it); the service checks that they exist."""
    kind, _, code = form.get("service", "").partition(":")
    if kind == "item" and code:
        return None, code
    if kind == "category" and code:
        return code, None
    return form.get("category") or None, None


@router.get("/needs/new")
async def new_form(request: Request, signed: Signed) -> Response:
    view = await run_in_threadpool(_new_view, signed)
    return render(request, "need_new.html", prefs=signed.prefs, visit=signed, **view)


@router.post("/needs/new")
async def post_need(signed_in: SignedForm) -> Response:
    signed, form = signed_in
    category, item = chosen_service(form)
    body = _model(ServiceRequestCreate, {
        "id": form.get("id", ""), "recipient": signed.member, "category": category,
        "item": item,
        "description": one_line(form.get("description", ""))})
    await run_in_threadpool(
        signed.node.timebank.requests.post, signed.principal, request_id=body.id,
        recipient=body.recipient, category=body.category, item=body.item,
        description=body.description)
    return redirect(signed.url(f"{PREFIX}/needs/{body.id}"))


def _need_view(visit: Visit, request_id: str) -> dict[str, Any]:
    node = visit.node
    record = node.timebank.requests.get(visit.principal, request_id)
    names = node.people.centre.volunteer_names(visit.principal, record["recipient"])
    return {"acting_name": acting_name(visit), "need": _need(visit, record, names),
            "ratings": RATINGS, "moving": record["state"] in MOVING}


@router.get("/needs/{request_id}")
async def need(request: Request, request_id: RequestId, signed: Signed) -> Response:
    view = await run_in_threadpool(_need_view, signed, request_id)
    return render(request, "need.html", prefs=signed.prefs, visit=signed, **view)


@router.post("/needs/{request_id}/confirm")
async def confirm(request_id: RequestId, signed_in: SignedForm) -> Response:
    signed, form = signed_in
    rating = form.get("rating", "")
    body = _model(Confirm, {"rating": int(rating) if rating in {"1", "2", "3", "4", "5"} else 0,
                            "comment": one_line(form.get("comment", ""))})
    await run_in_threadpool(signed.node.timebank.requests.confirm, signed.principal,
                            request_id, rating=body.rating, comment=body.comment)
    return redirect(signed.url(f"{PREFIX}/needs/{request_id}"))


@router.post("/needs/{request_id}/complaint")
async def complain(request_id: RequestId, signed_in: SignedForm) -> Response:
    signed, form = signed_in
    body = _model(ReasonBody, {"reason": one_line(form.get("reason", ""))})
    await run_in_threadpool(signed.node.timebank.disputes.complain, signed.principal,
                            request_id, reason=body.reason)
    return redirect(signed.url(f"{PREFIX}/needs/{request_id}"))

