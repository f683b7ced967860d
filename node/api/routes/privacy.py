"""Members' personal data and their rights under the PIPL: thin handlers over
node/privacy/service.py (docs/records.md, "Personal data and members' rights"). Every call
that names a member is a row of the access log, refusals included."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi import Path as PathParam

from node.api.deps import NodeDep, PrincipalDep
from node.forms.privacy import (
    ConsentBody,
    ConsentsOut,
    ErasureBody,
    ErasureOut,
    MemberExport,
    PersonalDataCorrected,
    PersonalDataOut,
    PersonalDataPatch,
    VisitContactOut,
)
from node.privacy.consents import Purpose
from protocol.addresses import LOCAL_ID_PATTERN

router = APIRouter(prefix="/api/v1/members", tags=["personal data"])
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]


@router.get("/{local_id}/personal-data", response_model=PersonalDataOut,
            summary="A member's phone, emergency contact, address, masked ID number, care "
                    "notes (logged)")
def get_personal_data(local_id: LocalId, node: NodeDep,
                      principal: PrincipalDep) -> dict[str, Any]:
    return node.privacy.get(principal, local_id)


@router.patch("/{local_id}/personal-data", response_model=PersonalDataCorrected,
              summary="Correct a member's personal data; warns of the same ID number (logged)")
def correct_personal_data(local_id: LocalId, body: PersonalDataPatch, node: NodeDep,
                          principal: PrincipalDep) -> dict[str, Any]:
    return node.privacy.correct(principal, local_id, body.changes())


@router.get("/{local_id}/consents", response_model=ConsentsOut,
            summary="A member's consent per purpose, with its history (logged)")
def get_consents(local_id: LocalId, node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.privacy.consents(principal, local_id)


@router.put("/{local_id}/consents/{purpose}", response_model=ConsentsOut,
            summary="Give or withdraw consent for one purpose; a guardian for a member "
                    "under 14 (logged)")
def set_consent(local_id: LocalId, purpose: Purpose, body: ConsentBody, node: NodeDep,
                principal: PrincipalDep) -> dict[str, Any]:
    return node.privacy.set_consent(principal, local_id, purpose, given=body.given,
                                    guardian_name=body.guardian_name)


@router.get("/{local_id}/visit-contact", response_model=VisitContactOut,
            summary="Her phone, emergency contact and home address for a home visit: her "
                    "station's staff, an admin or the volunteer of her accepted request, with "
                    "her home_visit_contact consent (422 consent_required otherwise; logged)")
def get_visit_contact(local_id: LocalId, node: NodeDep,
                      principal: PrincipalDep) -> dict[str, Any]:
    return node.privacy.visit_contact(principal, local_id)


@router.get("/{local_id}/export", response_model=MemberExport,
            summary="Everything the node holds about a member, as JSON to download (logged)")
def export_member(local_id: LocalId, node: NodeDep, principal: PrincipalDep,
                  response: Response) -> dict[str, Any]:
    document = node.privacy.export(principal, local_id)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="hourbridge-{local_id}.json"')
    return document


@router.post("/{local_id}/erase", response_model=ErasureOut,
             summary="Erase a member's personal data at her request; the ledger stays "
                     "(her station's staff, admins; logged)")
def erase_member(local_id: LocalId, body: ErasureBody, node: NodeDep,
                 principal: PrincipalDep) -> dict[str, Any]:
    return node.privacy.erase(principal, local_id, reason=body.reason)
