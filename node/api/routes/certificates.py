"""Volunteer-service certificates (docs/records.md): thin handlers over node/certificates.

Who may call them: the volunteer himself (or his delegate), staff of his station, an admin; a
regulator reads ledgers, not certificates. Every authenticated call is audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from node.api.deps import NodeDep, PrincipalDep
from node.certificates.service import for_node
from node.forms.models import Closed
from protocol.addresses import LOCAL_ID_PATTERN
from protocol.canonical import INT_ABS_MAX

router = APIRouter(prefix="/api/v1/members", tags=["certificates"])
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
CertificateId = Annotated[str, PathParam(pattern=r"^cert-[0-9a-f]{24}$", max_length=29)]


class CertificateIn(Closed):
    from_ms: int = Field(0, ge=0, le=INT_ABS_MAX, description="start of the period (inclusive)")
    to_ms: int | None = Field(None, ge=1, le=INT_ABS_MAX,
                              description="end of the period (exclusive); default now")


class Period(BaseModel):
    from_ms: int
    to_ms: int


class CategoryTotals(BaseModel):
    visits: int
    minutes: int


class CertificateRecord(BaseModel):
    id: str
    member_local_id: str
    period: Period
    total_minutes: int
    visits: int
    by_category: dict[str, CategoryTotals]
    document_sha256: str = Field(description="SHA-256 of the signed document's canonical bytes")
    key_id: str
    issued_by: str
    issued_at_ms: int


class IssuedOut(BaseModel):
    record: CertificateRecord
    document: dict[str, Any] = Field(
        description="the signed certificate (holds the volunteer's name; not kept by the node)")


@router.post("/{local_id}/certificates", status_code=201, response_model=IssuedOut,
             summary="Issue a signed volunteer-service certificate (志愿服务记录证明)")
def issue_certificate(local_id: LocalId, body: CertificateIn, node: NodeDep,
                      principal: PrincipalDep) -> dict[str, Any]:
    return for_node(node).issue(principal, local_id, from_ms=body.from_ms, to_ms=body.to_ms)


@router.get("/{local_id}/certificates/{certificate_id}", response_model=CertificateRecord,
            summary="What the node kept of a certificate it issued (never the document)")
def get_certificate(local_id: LocalId, certificate_id: CertificateId, node: NodeDep,
                    principal: PrincipalDep) -> dict[str, Any]:
    return for_node(node).get(principal, local_id, certificate_id)
