from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from node.api.deps import NodeDep, PrincipalDep
from node.forms.member_edits import MemberCreated
from node.forms.models import (
    BalanceOut,
    Deactivation,
    MemberCreate,
    MemberOut,
    MemberPage,
    StatementPage,
)
from protocol.addresses import LOCAL_ID_PATTERN
from protocol.canonical import INT_ABS_MAX

router = APIRouter(prefix="/api/v1/members", tags=["members"])
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
PAGE_DEFAULT = 50


@router.post("", status_code=201, response_model=MemberCreated,
             summary="Register a member (warns of possible duplicates)")
def create_member(body: MemberCreate, node: NodeDep, principal: PrincipalDep) -> MemberCreated:
    record = node.members.create(
        principal,
        local_id=body.local_id,
        display_name=body.display_name,
        station=body.station,
        birth_year=body.birth_year,
    )
    # Same name, birth year and station as others: registered all the same, with a warning.
    duplicates = node.member_edits.duplicates(principal, record)
    return MemberCreated(**record.__dict__,
                         possible_duplicates=[MemberOut(**d.__dict__) for d in duplicates])


@router.get("", response_model=MemberPage, summary="List members (staff: their station)")
def list_members(
    node: NodeDep,
    principal: PrincipalDep,
    after: Annotated[str | None, Query(pattern=LOCAL_ID_PATTERN, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = PAGE_DEFAULT,
) -> MemberPage:
    limit = min(limit, node.config.page_size_max)
    records = node.members.list(principal, after=after, limit=limit + 1)
    items = [MemberOut(**r.__dict__) for r in records[:limit]]
    return MemberPage(items=items, next_after=items[-1].local_id if len(records) > limit else None)


@router.get("/{local_id}", response_model=MemberOut, summary="One member")
def get_member(local_id: LocalId, node: NodeDep, principal: PrincipalDep) -> MemberOut:
    return MemberOut(**node.members.get(principal, local_id).__dict__)


@router.post("/{local_id}/deactivate", response_model=MemberOut, summary="Deactivate a member")
def deactivate_member(
    local_id: LocalId, body: Deactivation, node: NodeDep, principal: PrincipalDep
) -> MemberOut:
    return MemberOut(**node.members.deactivate(principal, local_id, reason=body.reason).__dict__)


@router.get("/{local_id}/balance", response_model=BalanceOut, summary="Balance by credit class")
def balance(local_id: LocalId, node: NodeDep, principal: PrincipalDep) -> BalanceOut:
    return BalanceOut(**node.members.balance(principal, local_id))


@router.get(
    "/{local_id}/statement", response_model=StatementPage, summary="Statement, newest first"
)
def statement(
    local_id: LocalId,
    node: NodeDep,
    principal: PrincipalDep,
    before_height: Annotated[int | None, Query(gt=0, le=INT_ABS_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = PAGE_DEFAULT,
) -> StatementPage:
    page = node.members.statement(
        principal,
        local_id,
        before_height=before_height,
        limit=min(limit, node.config.page_size_max),
    )
    return StatementPage(**page)
