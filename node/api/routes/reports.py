"""Reports for regulators (docs/reports.md): this node's signed report with its CSV and HTML."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from node.api.deps import NodeDep, PrincipalDep
from node.reports import node_report

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.get("/node", summary="This node's signed report, its CSV and its HTML (admin, regulator)",
            description="Write `report` as report.json in its canonical (RFC 8785) bytes, `csv` "
            "as report.csv and `html` as report.html, then `hourbridge verify-report` checks "
            "them. Each call signs a ledger checkpoint and reads every figure at its height.")
def node_report_route(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node_report.rendered(node, principal)
