"""Station staff let members sign in, and members let their kin act for them: invitations,
resets, a member's sign-in status, and delegates. Thin handlers over node/people."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi import Path as PathParam

from node.api.deps import NodeDep, PrincipalDep
from node.api.replay import mark_replay, replayed
from node.forms.people import (
    CredentialOut,
    DelegateCreate,
    DelegateOut,
    DelegatePage,
    InvitationOut,
)
from node.people.invitations import Invitation
from protocol.addresses import LOCAL_ID_PATTERN

router = APIRouter(prefix="/api/v1/members", tags=["signing in"])
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]


def _invitation(invitation: Invitation, response: Response) -> InvitationOut:
    response.headers["Cache-Control"] = "no-store"  # the code is shown once
    return InvitationOut(**invitation.__dict__)


@router.post("/{local_id}/invitations", status_code=201, response_model=InvitationOut,
             summary="Staff: a one-time activation code (and its QR code) for a member")
def invite(local_id: LocalId, response: Response, node: NodeDep,
           principal: PrincipalDep) -> InvitationOut:
    return _invitation(node.people.invite(principal, local_id), response)


@router.post("/{local_id}/credential/reset", status_code=201, response_model=InvitationOut,
             summary="Staff: unlock, void the PIN (ending sessions) and invite anew")
def reset(local_id: LocalId, response: Response, node: NodeDep,
          principal: PrincipalDep) -> InvitationOut:
    return _invitation(node.people.reset(principal, local_id), response)


@router.get("/{local_id}/credential", response_model=CredentialOut,
            summary="Whether a member has a PIN, is locked, was invited; recent sign-in events")
def credential(local_id: LocalId, node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.people.credential(principal, local_id)


@router.get("/{local_id}/delegates", response_model=DelegatePage,
            summary="Who may act for this member, and who did before, newest first")
def list_delegates(local_id: LocalId, node: NodeDep, principal: PrincipalDep
                   ) -> dict[str, Any]:
    return node.people.list_delegates(principal, local_id)


@router.post("/{local_id}/delegates", status_code=201, response_model=DelegateOut,
             responses=replayed(DelegateOut),
             summary="Let a member of this node (registered kin) act for this member")
def grant_delegate(local_id: LocalId, body: DelegateCreate, response: Response,
                   node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    grant, created = node.people.grant_delegate(principal, local_id, delegate=body.delegate)
    mark_replay(response, created=created)
    return grant


@router.delete("/{local_id}/delegates/{delegate}", response_model=DelegateOut,
               summary="End a delegate's right to act for this member")
def revoke_delegate(local_id: LocalId, delegate: LocalId, node: NodeDep,
                    principal: PrincipalDep) -> dict[str, Any]:
    return node.people.revoke_delegate(principal, local_id, delegate=delegate)
