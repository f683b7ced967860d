"""Payment requests (standard §10): payees ask members of other nodes to pay for a service;
payers (or their station's staff) approve or decline what arrived for them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from node.api.deps import NodeDep, PrincipalDep
from node.api.replay import mark_replay, replayed
from node.forms.models import CLIENT_ID_PATTERN, TEXT, Closed, Minutes
from protocol.addresses import LOCAL_ID_PATTERN, NODE_ID_PATTERN
from protocol.fields import ID_PATTERN, MEMO_CHARS_MAX
from protocol.messages.other import ServiceCategory

router = APIRouter(prefix="/api/v1", tags=["payment requests"])
ClientId = Annotated[str, PathParam(pattern=CLIENT_ID_PATTERN)]
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
NodeId = Annotated[str, PathParam(pattern=NODE_ID_PATTERN)]
WireId = Annotated[str, PathParam(pattern=ID_PATTERN)]
PAGE_DEFAULT = 50


class PaymentRequestCreate(Closed):
    id: str = Field(pattern=CLIENT_ID_PATTERN, description="client-chosen idempotency key")
    payee: str = Field(pattern=LOCAL_ID_PATTERN, max_length=64,
                       description="the member here who served")
    payer: str = Field(max_length=97, description="the address of a member of another node")
    amount_minutes: Minutes
    category: ServiceCategory
    description: str = Field(default="", max_length=MEMO_CHARS_MAX, pattern=TEXT)


class PaymentRequestOut(BaseModel):
    id: str
    request_id: str = Field(description="the standard's request id, as the payer's node sees it")
    payee: str
    payer: str
    amount_minutes: int
    category: str
    description: str
    state: str = Field(description="sent, acknowledged, refused, paid or declined")
    reason_code: str | None = Field(description="why the payer's node refused it")
    detail: str | None
    paid_by_transfer: str | None = Field(description="the payer node's transfer id")
    created_at_ms: int
    expires_at_ms: int
    updated_at_ms: int


class IncomingPaymentRequestOut(BaseModel):
    payee_node: str
    request_id: str
    payee: str
    payer: str
    amount_minutes: int
    category: str
    description: str
    state: str = Field(description="awaiting, expired, approved or declined")
    created_at_ms: int
    expires_at_ms: int
    received_at_ms: int
    transfer_id: str | None = Field(description="the transfer paying it, once approved")
    transfer_state: str | None
    decided_by: str | None
    decided_at_ms: int | None


class IncomingPaymentRequestPage(BaseModel):
    items: list[IncomingPaymentRequestOut]


@router.post(
    "/payment-requests",
    status_code=201,
    response_model=PaymentRequestOut,
    responses=replayed(PaymentRequestOut),
    summary="Ask a member of another node to pay for a service (201 created, 200 retry)",
)
async def create_payment_request(body: PaymentRequestCreate, node: NodeDep,
                                 principal: PrincipalDep, response: Response) -> PaymentRequestOut:
    command = node.payments.request_command(
        principal, request_id=body.id, payee=body.payee, payer=body.payer,
        amount_minutes=body.amount_minutes, category=body.category,
        description=body.description,
    )
    result = await node.writer.submit(command)
    mark_replay(response, created=result.created)
    return PaymentRequestOut(**result.record)


@router.get("/payment-requests/{request_id}", response_model=PaymentRequestOut,
            summary="One payment request this node sent")
def get_payment_request(request_id: ClientId, node: NodeDep,
                        principal: PrincipalDep) -> PaymentRequestOut:
    return PaymentRequestOut(**node.payments.get(principal, request_id))


@router.get("/members/{local_id}/payment-requests", response_model=IncomingPaymentRequestPage,
            summary="Payment requests other nodes sent to this member, newest first")
def incoming_payment_requests(
    local_id: LocalId, node: NodeDep, principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = PAGE_DEFAULT,
) -> IncomingPaymentRequestPage:
    items = node.payments.incoming(principal, local_id,
                                   limit=min(limit, node.config.page_size_max))
    return IncomingPaymentRequestPage(items=[IncomingPaymentRequestOut(**i) for i in items])


@router.post(
    "/payment-requests/incoming/{payee_node}/{request_id}/approve",
    status_code=201,
    response_model=IncomingPaymentRequestOut,
    responses=replayed(IncomingPaymentRequestOut),
    summary="Pay a request with a transfer to the payee (201 created, 200 approved before)",
)
async def approve_payment_request(payee_node: NodeId, request_id: WireId, node: NodeDep,
                                  principal: PrincipalDep,
                                  response: Response) -> IncomingPaymentRequestOut:
    command = node.payments.approve_command(principal, payee_node=payee_node,
                                            request_id=request_id)
    result = await node.writer.submit(command)
    mark_replay(response, created=result.created)
    return IncomingPaymentRequestOut(**result.record)


@router.post(
    "/payment-requests/incoming/{payee_node}/{request_id}/decline",
    response_model=IncomingPaymentRequestOut,
    summary="Decline a request; the payee's node is told",
)
async def decline_payment_request(payee_node: NodeId, request_id: WireId, node: NodeDep,
                                  principal: PrincipalDep,
                                  response: Response) -> IncomingPaymentRequestOut:
    command = node.payments.decline_command(principal, payee_node=payee_node,
                                            request_id=request_id)
    result = await node.writer.submit(command)
    mark_replay(response, created=result.created)  # 200 either way: a decline makes nothing
    return IncomingPaymentRequestOut(**result.record)
