"""Request dependencies: the node's services and the authenticated principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from node.access import Principal
from node.errors import AuthError, ErrorCode
from node.runtime import Node

_bearer = HTTPBearer(auto_error=False, description="API token from `hourbridge token create`")


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` dependency in its thread
# pool, and each hop costs more than the work here. Only a token cache miss needs the database.


async def get_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError(ErrorCode.UNAUTHENTICATED, "send `Authorization: Bearer <API token>`")
    tokens = (await get_node(request)).tokens
    principal = tokens.cached(credentials.credentials)
    if principal is None:
        principal = await run_in_threadpool(tokens.authenticate, credentials.credentials)
    return principal


NodeDep = Annotated[Node, Depends(get_node)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
