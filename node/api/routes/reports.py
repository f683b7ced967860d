"""Reports for regulators (docs/reconciliation.md, "Reports for regulators"): this node's signed
report with its CSV and HTML."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from node.api.deps import NodeDep, PrincipalDep
from node.reports import node_report

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


class NodeReportOut(BaseModel):
    report: dict[str, Any] = Field(description="the signed report.node document (standard §19)")
    csv: str = Field(description="report.csv, whose SHA-256 the report states")
    html: str = Field(description="report.html, whose SHA-256 the report states")


@router.get("/node", response_model=NodeReportOut,
            summary="This node's signed report, its CSV and its HTML (admin, regulator)",
            description="Figures at the newest ledger checkpoint (404 `checkpoint_not_found` "
            "before the first). Write `report` as report.json in its canonical (RFC 8785) "
            "bytes, `csv` as report.csv and `html` as report.html; `hourbridge verify-report` "
            "then checks them.")
def node_report_route(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node_report.rendered(node, principal)
