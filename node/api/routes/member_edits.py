"""Correcting a member's record, its history, and merging a duplicate: thin handlers over
node/services/member_edits.py and member_merge.py (docs/members.md, "Correcting a member")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam

from node.api.deps import NodeDep, PrincipalDep
from node.api.replay import mark_replay
from node.forms.member_edits import (
    MemberChangePage,
    MemberEdited,
    MemberMergeBody,
    MemberMerged,
    MemberPatch,
)
from node.forms.models import MemberOut
from node.services.member_edits import CHANGES_PAGE_MAX
from protocol.addresses import LOCAL_ID_PATTERN
from protocol.canonical import INT_ABS_MAX

router = APIRouter(prefix="/api/v1/members", tags=["members"])
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
CHANGES_PAGE_DEFAULT = 50


@router.patch("/{local_id}", response_model=MemberEdited,
              summary="Correct a member's record (staff of her station, admins), with a reason")
def edit_member(local_id: LocalId, body: MemberPatch, node: NodeDep,
                principal: PrincipalDep) -> MemberEdited:
    result = node.member_edits.edit(principal, local_id, fields=body.changes(),
                                    reason=body.reason)
    return MemberEdited(**result.member.__dict__, hardship=result.hardship,
                        subsidised=result.subsidised, changed=list(result.changed))


@router.get("/{local_id}/changes", response_model=MemberChangePage,
            summary="The corrections of a member's record, newest first (audited)")
def member_changes(
    local_id: LocalId,
    node: NodeDep,
    principal: PrincipalDep,
    before_id: Annotated[int | None, Query(gt=0, le=INT_ABS_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=CHANGES_PAGE_MAX)] = CHANGES_PAGE_DEFAULT,
) -> MemberChangePage:
    page = node.member_edits.changes(principal, local_id, before_id=before_id, limit=limit)
    return MemberChangePage(**page)


@router.post("/{local_id}/merge", status_code=201, response_model=MemberMerged,
             responses={200: {"model": MemberMerged, "description": "merged before: the merge"}},
             summary="Merge this duplicate into another member (admins; 201, 200 retry)")
async def merge_member(local_id: LocalId, body: MemberMergeBody, node: NodeDep,
                       principal: PrincipalDep, response: Response) -> MemberMerged:
    command = node.member_merge.command(principal, duplicate=local_id, kept=body.into,
                                        reason=body.reason)
    result = await node.writer.submit(command)
    mark_replay(response, created=result.created)
    return MemberMerged(duplicate=MemberOut(**result.duplicate.__dict__),
                        kept=MemberOut(**result.kept.__dict__),
                        moved_by_class_minutes=result.moved_by_class_minutes,
                        entry_height=result.entry_height)
