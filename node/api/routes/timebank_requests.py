"""Service requests and disputes: thin handlers over node/timebank (docs/timebank.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam

from node.api.deps import NodeDep, PrincipalDep
from node.api.replay import mark_replay, replayed
from node.forms.models import CLIENT_ID_PATTERN
from node.forms.timebank import (
    Accept,
    CheckIn,
    Confirm,
    DisputePage,
    ReasonBody,
    Resolve,
    ServiceRequestCreate,
    ServiceRequestOut,
    ServiceRequestPage,
    SlipRecord,
)
from node.timebank.requests import STATES
from node.timebank.slips import Slip

router = APIRouter(prefix="/api/v1", tags=["time bank: services"])
RequestId = Annotated[str, PathParam(pattern=CLIENT_ID_PATTERN)]
STATE_PATTERN = "^(" + "|".join(STATES) + ")$"
PAGE_DEFAULT = 50


@router.post("/service-requests", status_code=201, response_model=ServiceRequestOut,
             responses=replayed(ServiceRequestOut),
             summary="Post a service request for a member (201 created, 200 identical retry)")
def post_request(body: ServiceRequestCreate, node: NodeDep, principal: PrincipalDep,
                 response: Response) -> dict[str, Any]:
    record, created = node.timebank.requests.post(
        principal, request_id=body.id, recipient=body.recipient, category=body.category,
        item=body.item, description=body.description)
    mark_replay(response, created=created)
    return record


@router.get("/service-requests", response_model=ServiceRequestPage,
            summary="Requests: staff their station's, members open ones and their own")
def list_requests(
    node: NodeDep, principal: PrincipalDep,
    state: Annotated[str | None, Query(pattern=STATE_PATTERN)] = None,
    after: Annotated[str | None, Query(pattern=CLIENT_ID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = PAGE_DEFAULT,
) -> dict[str, Any]:
    limit = min(limit, node.config.page_size_max)
    items = node.timebank.requests.list(principal, state=state, after=after, limit=limit + 1)
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_after": items[-1]["id"] if more else None}


@router.get("/service-requests/{request_id}", response_model=ServiceRequestOut,
            summary="One request, with its dispute and audit trail")
def get_request(request_id: RequestId, node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.requests.get(principal, request_id)


@router.post("/service-requests/{request_id}/accept", response_model=ServiceRequestOut,
             summary="An eligible volunteer takes the request")
def accept(request_id: RequestId, body: Accept, node: NodeDep,
           principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.requests.accept(principal, request_id, volunteer=body.volunteer)


@router.post("/service-requests/{request_id}/check-in", response_model=ServiceRequestOut,
             summary="The volunteer arrives, with the recipient's visit code (staff need none)")
def check_in(request_id: RequestId, node: NodeDep, principal: PrincipalDep,
             body: CheckIn | None = None) -> dict[str, Any]:
    code = body.code if body is not None else None
    return node.timebank.requests.check_in(principal, request_id, code=code)


@router.post("/service-requests/{request_id}/check-out", response_model=ServiceRequestOut,
             summary="The volunteer leaves: the visit is priced and its payment held")
def check_out(request_id: RequestId, node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.requests.check_out(principal, request_id)


@router.post("/service-requests/{request_id}/confirm", response_model=ServiceRequestOut,
             summary="The recipient (or staff) confirm and rate 1-5: the volunteer is paid")
def confirm(request_id: RequestId, body: Confirm, node: NodeDep,
            principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.requests.confirm(principal, request_id, rating=body.rating,
                                          comment=body.comment)


@router.post("/service-requests/{request_id}/slip", response_model=ServiceRequestOut,
             summary="Station staff record a completed, unpaid visit's times from its paper "
             "slip; the elder or another staff member then confirms it")
def record_slip(request_id: RequestId, body: SlipRecord, node: NodeDep,
                principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.slips.record(principal, request_id, Slip(**body.model_dump()))


@router.post("/service-requests/{request_id}/cancel", response_model=ServiceRequestOut,
             summary="Withdraw a request before the visit starts")
def cancel(request_id: RequestId, body: ReasonBody, node: NodeDep,
           principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.requests.cancel(principal, request_id, reason=body.reason)


@router.post("/service-requests/{request_id}/complaint", response_model=ServiceRequestOut,
             summary="Complain about a completed visit: its payment stays held")
def complain(request_id: RequestId, body: ReasonBody, node: NodeDep,
             principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.disputes.complain(principal, request_id, reason=body.reason)


@router.post("/service-requests/{request_id}/resolution", response_model=ServiceRequestOut,
             summary="Staff resolve a dispute: release, refund or partial, with a reason")
def resolve(request_id: RequestId, body: Resolve, node: NodeDep,
            principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.disputes.resolve(principal, request_id, outcome=body.outcome,
                                          released_minutes=body.released_minutes,
                                          reason=body.reason)


@router.get("/disputes", response_model=DisputePage,
            summary="Disputes, oldest first (staff: their station's)")
def list_disputes(
    node: NodeDep, principal: PrincipalDep,
    state: Annotated[str | None, Query(pattern="^(open|resolved)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = PAGE_DEFAULT,
) -> dict[str, Any]:
    limit = min(limit, node.config.page_size_max)
    return {"items": node.timebank.disputes.list(principal, state=state, limit=limit)}
