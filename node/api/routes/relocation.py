"""Relocation: a member moves the whole account to another node (standard §10)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from node.api.deps import NodeDep, PrincipalDep
from node.api.replay import mark_replay, replayed
from node.forms.models import CLIENT_ID_PATTERN, Closed
from protocol.addresses import LOCAL_ID_PATTERN, NODE_ID_PATTERN

router = APIRouter(prefix="/api/v1", tags=["relocation"])
ClientId = Annotated[str, PathParam(pattern=CLIENT_ID_PATTERN)]
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]


class RelocationCreate(Closed):
    id: str = Field(pattern=CLIENT_ID_PATTERN, description="client-chosen idempotency key")
    to_node: str = Field(pattern=NODE_ID_PATTERN, description="the member's new home node")
    new_local_id: str = Field(pattern=LOCAL_ID_PATTERN, max_length=64,
                              description="the member's local id at the new node")
    share_profile: bool = Field(
        default=False, description="the member agreed to share her profile (name, birth year, "
        "kin where this node's policy makes gifts kin-only, the station below) with the new "
        "node; without it the new node's staff ask her (standard §10.1)")
    station: str | None = Field(
        default=None, pattern=LOCAL_ID_PATTERN, max_length=64,
        description="the station she asked for at the new node; only with share_profile")


class ClassBalanceOut(BaseModel):
    credit_class: str
    amount_minutes: int


class HistorySummaryOut(BaseModel):
    entries_count: int
    earned_minutes_total: int
    spent_minutes_total: int
    first_entry_at_ms: int | None
    last_entry_at_ms: int | None
    journal_head_hash: str


class RelocationOut(BaseModel):
    id: str
    member: str = Field(description="the old address")
    to_node: str
    new_local_id: str
    state: str = Field(description="pending, then committed or rejected")
    reason_code: str | None = Field(description="why the new node refused (standard code)")
    detail: str | None
    new_address: str | None = Field(description="set once committed")
    balances: list[ClassBalanceOut] = Field(description="what moves, per credit class")
    history: HistorySummaryOut = Field(description="the history summary sent to the new node")
    entry_height: int | None
    created_at_ms: int
    expires_at_ms: int
    committed_at_ms: int | None
    updated_at_ms: int
    dispute: str | None = Field(description="a receipt that did not match: an operator looks")
    profile_shared: bool = Field(description="the member agreed to share her profile")
    profile_consent_at_ms: int | None = Field(description="when she agreed (null: she did not)")
    arrival_station: str | None = Field(description="the station she asked for at the new node")


@router.post(
    "/members/{local_id}/relocation",
    status_code=201,
    response_model=RelocationOut,
    responses=replayed(RelocationOut),
    summary="Move a member's account to another node (201 created, 200 identical retry)",
)
async def relocate(local_id: LocalId, body: RelocationCreate, node: NodeDep,
                   principal: PrincipalDep, response: Response) -> RelocationOut:
    command = node.relocations.command(principal, relocation_id=body.id, local_id=local_id,
                                       to_node=body.to_node, new_local_id=body.new_local_id,
                                       share_profile=body.share_profile, station=body.station)
    result = await node.writer.submit(command)
    mark_replay(response, created=result.created)
    return RelocationOut(**result.record)


@router.get("/relocations/{relocation_id}", response_model=RelocationOut,
            summary="One relocation, with the balances and history summary sent")
def get_relocation(relocation_id: ClientId, node: NodeDep,
                   principal: PrincipalDep) -> RelocationOut:
    return RelocationOut(**node.relocations.get(principal, relocation_id))
