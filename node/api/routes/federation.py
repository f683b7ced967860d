"""The federation API: signed transactions from peers, and what a node publishes to anyone
verifying its documents (its keys and the directory it holds). Everything here is signed, so
nothing needs a token: a transaction is authenticated by its signature (standard §5.4)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi import Response as HttpResponse

from node.api.deps import NodeDep
from node.exchange.window import WINDOW_HEADER
from node.forms.models import (
    DirectoryDocument,
    NodeInfoDocument,
    NodeKeysDocument,
    SignedResponseDocument,
)

router = APIRouter(prefix="/federation/v1", tags=["federation"])


@router.get(
    "/keys", response_model=NodeKeysDocument,
    summary="This node's verify keys, current and old, signed with its current key",
)
async def keys(node: NodeDep) -> dict[str, Any]:
    return node.signer.keys_document()


@router.get(
    "/info", response_model=NodeInfoDocument,
    summary="This node's release, the standard revision it follows and its capabilities",
    description="Standard §16.2, schemas/node_info.schema.json. A feature beyond the revision's "
    "baseline is used on a link only when both nodes list it here; a node that answers 404 "
    "(older than this document) lists nothing.",
)
async def info(node: NodeDep) -> dict[str, Any]:
    return node.signer.info_document()


@router.get(
    "/directory", response_model=DirectoryDocument,
    summary="The federation directory this node holds, as the authority signed it",
)
async def directory(node: NodeDep) -> dict[str, Any]:
    held = node.federation.require_current()
    return held.to_json()


@router.post(
    "/transactions",
    summary="A peer's signed transaction; answered with this node's signed response",
    description="Standard §6. A repeated transaction gets the stored response byte for byte. "
    "A transaction refused before its chain check gets problem+json whose `reason` is the "
    "standard's reason code.",
    response_model=SignedResponseDocument,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"type": "object", "description": "schemas/transaction.schema.json"}}}}},
)
async def transactions(request: Request, node: NodeDep) -> HttpResponse:
    delivered = await node.exchange.inbox.receive(await request.body())
    # The window of transactions in flight this node accepts per link (standard §6.5).
    return HttpResponse(delivered.body, media_type="application/json",
                        headers={WINDOW_HEADER: str(node.exchange.inbox.window)})
