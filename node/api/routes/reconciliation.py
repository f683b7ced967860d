"""Reconciliation: the signed endpoint peers call, and what operators and regulators use
(docs/reconciliation.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi import Response as HttpResponse
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from node.access import Role, require_role
from node.api.deps import NodeDep, PrincipalDep
from node.errors import ErrorCode, NotFound
from node.reconcile.peer import RECONCILE_PATH
from node.reports import node_data
from protocol.addresses import NODE_ID_PATTERN

federation_router = APIRouter(tags=["federation"])
router = APIRouter(prefix="/api/v1/reconciliation", tags=["reconciliation"])
PAGE_MAX = 500


class ReconciliationReply(BaseModel):
    """A `reconciliation.reply` document, signed by this node (docs/reconciliation.md)."""

    model_config = ConfigDict(extra="allow")
    standard: str
    kind: str
    request_hash: str
    sender: str
    receiver: str
    result: dict[str, Any]
    issued_at_ms: int
    signatures: dict[str, dict[str, str]]


class Window(BaseModel):
    """One settlement window of one link: our statement, the peer's, and the co-signed record
    when they matched."""

    model_config = ConfigDict(extra="allow")
    peer: str
    window_index: int
    state: Literal["open", "matched", "disputed"]
    outgoing_cut: int
    incoming_cut: int
    closing_position_minutes: int
    digests_exchanged: int
    closed_at_ms: int
    reconciled_at_ms: int | None
    statement: dict[str, Any]
    peer_statement: dict[str, Any] | None
    record: dict[str, Any] | None


class WindowPage(BaseModel):
    items: list[Window]


class Statements(BaseModel):
    node: str
    windows: list[Window]


class Discrepancy(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    peer_node_id: str
    window_index: int
    kind: str
    outcome: Literal["repaired", "carried", "disputed"]
    status: Literal["open", "closed"]
    debtor_node: str | None
    transfer_id: str | None
    detail: str
    evidence: Any
    found_at_ms: int
    closed_at_ms: int | None
    closed_by: str | None


class DiscrepancyPage(BaseModel):
    items: list[Discrepancy]


@federation_router.post(
    RECONCILE_PATH,
    summary="A peer's signed reconciliation request; answered with this node's signed reply",
    response_model=ReconciliationReply,
    description="docs/reconciliation.md. Operations: propose, summary, split_key, leaves, "
    "evidence, repair, history. A refused request gets problem+json whose `reason` is the "
    "standard's reason code.",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"type": "object", "description": "a reconciliation.request document"}}}}},
)
async def reconciliation(request: Request, node: NodeDep) -> HttpResponse:
    reply = await node.reconciler.serve(await request.body())
    return HttpResponse(reply, media_type="application/json")


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    peer: str | None = Field(default=None, pattern=NODE_ID_PATTERN,
                             description="one link; all links when absent")


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution: str = Field(min_length=1, max_length=300)


@router.post("/windows", response_model=WindowPage,
             summary="Close a settlement window now and reconcile it (admin)")
async def close_windows(body: CloseIn, node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    require_role(principal, Role.ADMIN, what="close settlement windows")
    reconciler = node.reconciler
    if body.peer is None:
        return {"items": await reconciler.close_all()}
    if body.peer not in reconciler.peers():
        raise NotFound(ErrorCode.LINK_NOT_FOUND, f"no link with {body.peer}")
    return {"items": [await reconciler.close(body.peer)]}


@router.get("/windows", response_model=WindowPage,
            summary="Settlement windows, newest first (admin, regulator)")
def list_windows(
    node: NodeDep, principal: PrincipalDep,
    peer: Annotated[str | None, Query(pattern=NODE_ID_PATTERN)] = None,
    state: Literal["open", "matched", "disputed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 100,
) -> dict[str, Any]:
    return {"items": node.reconciler.windows(principal, peer=peer, state=state, limit=limit)}


@router.get("/statements", response_model=Statements,
            summary="Each link's newest signed statements and co-signed record (regulator)")
def statements(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.reconciler.statements(principal)


@router.get("/discrepancies", response_model=DiscrepancyPage,
            summary="What reconciliation found, newest first (admin, regulator)")
def list_discrepancies(
    node: NodeDep, principal: PrincipalDep,
    peer: Annotated[str | None, Query(pattern=NODE_ID_PATTERN)] = None,
    status: Literal["open", "closed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 100,
) -> dict[str, Any]:
    return {"items": node.reconciler.discrepancies(principal, peer=peer, status=status,
                                                   limit=limit)}


@router.post("/discrepancies/{ident}/close", response_model=Discrepancy,
             summary="Record how an open dispute was resolved (admin)")
def close_discrepancy(ident: Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")],
                      body: ResolveIn, node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.reconciler.close_discrepancy(principal, ident, body.resolution)


def _unreconciled_lines(rows: list[dict[str, Any]]) -> str:
    """One gauge per peer and direction: minutes past the link's last co-signed cut."""
    lines = ["# HELP hourbridge_unreconciled_minutes Committed minutes past the link's last "
             "co-signed window (docs/reconciliation.md).\n"
             "# TYPE hourbridge_unreconciled_minutes gauge\n"]
    for row in rows:
        for direction in ("incoming", "outgoing"):
            lines.append(f'hourbridge_unreconciled_minutes{{peer="{row["peer"]}",direction='
                         f'"{direction}"}} {row[direction]["sum_minutes"]}\n')
    return "".join(lines)


def _per_peer(name: str, help_text: str, values: dict[str, int]) -> str:
    """One gauge `name{peer="..."}` per peer, with its HELP and TYPE lines."""
    lines = [f"# HELP {name} {help_text}\n", f"# TYPE {name} gauge\n"]
    lines += [f'{name}{{peer="{peer}"}} {value}\n' for peer, value in values.items()]
    return "".join(lines)


async def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text: open disputes, frozen links and the minutes past each link's last
    co-signed cut. A plain route, outside the JSON API's OpenAPI document: it serves text/plain
    to scrapers, and counts only."""
    node = request.app.state.node
    # Both read the database, the second every transfer past each link's last co-signed cut
    # (a day's traffic, or a window that is late): in a worker thread, never on the loop.
    counts = await run_in_threadpool(node.reconciler.alerts)
    past = await run_in_threadpool(node_data.unreconciled_now, node.db,
                                   me=node.config.node_id)
    return PlainTextResponse(
        "# HELP hourbridge_open_disputes Reconciliation disputes awaiting an operator.\n"
        "# TYPE hourbridge_open_disputes gauge\n"
        f"hourbridge_open_disputes {counts['open_disputes']}\n"
        "# HELP hourbridge_frozen_links Links on which new transfers are refused.\n"
        "# TYPE hourbridge_frozen_links gauge\n"
        f"hourbridge_frozen_links {counts['frozen_links']}\n" + _unreconciled_lines(past)
        # 1 while the peer is ahead of our chain (node/exchange/ahead.py)
        + _per_peer("hourbridge_link_peer_ahead", "1: the peer holds more of the link's chain "
                    "than this node (restored from a backup without `hourbridge recover`).",
                    {peer: int(flag) for peer, flag in node.exchange.ahead_by_peer().items()})
        # our clock minus the peer's, measured from its signed times (node/exchange/clockwatch.py)
        + _per_peer("hourbridge_clock_offset_ms", "This node's clock minus the peer's, from its "
                    "signed times (positive: ours is ahead).", node.exchange.clock_offsets()),
        media_type="text/plain; version=0.0.4",
    )


metrics_router = APIRouter()
metrics_router.add_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
