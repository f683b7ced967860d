"""Grants and transfers: the two ways hours move on a node for now."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi import Path as PathParam
from sqlalchemy.engine import Connection

from node.access import Principal
from node.api.deps import NodeDep, PrincipalDep
from node.api.replay import mark_replay, replayed
from node.forms.models import (
    CLIENT_ID_PATTERN,
    TRANSFER_BATCH_MAX,
    GrantCreate,
    GrantOut,
    TransferBatch,
    TransferBatchOut,
    TransferCreate,
    TransferOut,
)
from node.runtime import Node
from node.services.transfers import TransferResult, with_item
from node.services.units import LocalAmount

router = APIRouter(prefix="/api/v1", tags=["money"])
ClientId = Annotated[str, PathParam(pattern=CLIENT_ID_PATTERN)]


@router.post(
    "/grants",
    status_code=201,
    response_model=GrantOut,
    responses=replayed(GrantOut),
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
    mark_replay(response, created=created)
    return GrantOut(**record)


@router.get("/grants/{grant_id}", response_model=GrantOut, summary="One grant")
def get_grant(grant_id: ClientId, node: NodeDep, principal: PrincipalDep) -> GrantOut:
    return GrantOut(**node.grants.get(principal, grant_id))


@router.post(
    "/transfers",
    status_code=201,
    response_model=TransferOut,
    responses=replayed(TransferOut),
    response_model_by_alias=True,
    summary="Transfer hours (201 created, 200 identical retry, 409 id reused)",
)
async def create_transfer(
    body: TransferCreate, node: NodeDep, principal: PrincipalDep, response: Response
) -> TransferOut:
    units, command = _command(node, principal, body)
    result = await node.writer.submit(command)
    mark_replay(response, created=result.created)
    return _out(result.record, units)


@router.post(
    "/transfers/batch",
    status_code=201,
    response_model=TransferBatchOut,
    responses=replayed(TransferBatchOut),
    response_model_by_alias=True,
    summary=f"Up to {TRANSFER_BATCH_MAX} transfers in one database transaction: all or none "
    "(201 any created, 200 all replayed)",
)
async def create_transfers(
    body: TransferBatch, node: NodeDep, principal: PrincipalDep, response: Response
) -> TransferBatchOut:
    # A station recording a day's services, a sponsor's monthly distribution: one request,
    # one commit. The first refused item refuses the batch, naming its index.
    prepared = [with_item(i, item.id, partial(_command, node, principal, item))
                for i, item in enumerate(body.items)]
    results = await node.writer.submit(node.transfers.batch(
        [(item.id, command) for item, (_, command) in zip(body.items, prepared, strict=True)]
    ))
    mark_replay(response, created=any(result.created for result in results))
    return TransferBatchOut(items=[_out(result.record, units) for (units, _), result
                                   in zip(prepared, results, strict=True)])


def _command(node: Node, principal: Principal, body: TransferCreate
             ) -> tuple[LocalAmount | None, Callable[[Connection], TransferResult]]:
    """Local units become minutes here; the ledger and the exchange only ever see minutes."""
    units = None
    amount_minutes = body.amount_minutes
    if body.amount_units is not None:
        units = node.members.unit().convert(body.amount_units)
        amount_minutes = units.amount_minutes
    assert amount_minutes is not None  # TransferCreate requires exactly one amount
    return units, node.transfers.command(
        principal, transfer_id=body.id, debtor=body.from_, creditor=body.to,
        amount_minutes=amount_minutes, memo=body.memo, units=units,
    )


def _out(record: dict[str, Any], units: LocalAmount | None) -> TransferOut:
    return TransferOut(**{**record, **(units.view() if units else {})})


@router.get(
    "/transfers/{transfer_id}",
    response_model=TransferOut,
    response_model_by_alias=True,
    summary="One transfer",
)
def get_transfer(transfer_id: ClientId, node: NodeDep, principal: PrincipalDep) -> TransferOut:
    return TransferOut(**node.transfers.get(principal, transfer_id))
