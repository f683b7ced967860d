"""Grants and transfers: the two ways hours move on a node for now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from fastapi import Path as PathParam

from node.api.deps import NodeDep, PrincipalDep
from node.api.models import CLIENT_ID_PATTERN, GrantCreate, GrantOut, TransferCreate, TransferOut
from node.services.units import node_unit

router = APIRouter(prefix="/api/v1", tags=["money"])
ClientId = Annotated[str, PathParam(pattern=CLIENT_ID_PATTERN)]
REPLAYED_HEADER = "Idempotent-Replayed"


@router.post(
    "/grants",
    status_code=201,
    response_model=GrantOut,
    summary="Grant hours from issuance (201 created, 200 identical retry)",
)
async def create_grant(
    body: GrantCreate, node: NodeDep, principal: PrincipalDep, response: Response
) -> GrantOut:
    # Money writes are queued for the node's writer thread; the event loop waits, no thread does.
    command = node.grants.command(
        principal,
        grant_id=body.id,
        local_id=body.member,
        amount_minutes=body.amount_minutes,
        credit_class=body.credit_class,
        reason=body.reason,
    )
    record, created = await node.writer.submit(command)
    if not created:
        response.status_code = 200
        response.headers[REPLAYED_HEADER] = "true"
    return GrantOut(**record)


@router.get("/grants/{grant_id}", response_model=GrantOut, summary="One grant")
def get_grant(grant_id: ClientId, node: NodeDep, principal: PrincipalDep) -> GrantOut:
    return GrantOut(**node.grants.get(principal, grant_id))


@router.post(
    "/transfers",
    status_code=201,
    response_model=TransferOut,
    response_model_by_alias=True,
    summary="Transfer hours (201 created, 200 identical retry, 409 id reused)",
)
async def create_transfer(
    body: TransferCreate, node: NodeDep, principal: PrincipalDep, response: Response
) -> TransferOut:
    # Local units become minutes here; the ledger and the exchange only ever see minutes.
    units = None
    amount_minutes = body.amount_minutes
    if body.amount_units is not None:
        units = node_unit(node.federation, node.config.node_id).convert(body.amount_units)
        amount_minutes = units.amount_minutes
    assert amount_minutes is not None  # TransferCreate requires exactly one amount
    command = node.transfers.command(
        principal,
        transfer_id=body.id,
        debtor=body.from_,
        creditor=body.to,
        amount_minutes=amount_minutes,
        memo=body.memo,
        units=units,
    )
    result = await node.writer.submit(command)
    if not result.created:
        response.status_code = 200
        response.headers[REPLAYED_HEADER] = "true"
    return TransferOut(**{**result.record, **(units.view() if units else {})})


@router.get(
    "/transfers/{transfer_id}",
    response_model=TransferOut,
    response_model_by_alias=True,
    summary="One transfer",
)
def get_transfer(transfer_id: ClientId, node: NodeDep, principal: PrincipalDep) -> TransferOut:
    return TransferOut(**node.transfers.get(principal, transfer_id))
