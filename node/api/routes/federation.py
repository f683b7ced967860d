"""What a node publishes to peers and to anyone verifying its documents: its keys and the
directory it holds. Both are signed documents, so they need no token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from node.api.deps import NodeDep
from node.api.models import DirectoryDocument, NodeKeysDocument

router = APIRouter(prefix="/federation/v1", tags=["federation"])


@router.get(
    "/keys", response_model=NodeKeysDocument,
    summary="This node's verify keys, current and old, signed with its current key",
)
async def keys(node: NodeDep) -> dict[str, Any]:
    return node.signer.keys_document()


@router.get(
    "/directory", response_model=DirectoryDocument,
    summary="The federation directory this node holds, as the authority signed it",
)
async def directory(node: NodeDep) -> dict[str, Any]:
    held = node.federation.require_current()
    return held.to_json()
