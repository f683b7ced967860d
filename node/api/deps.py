"""Request dependencies: the node's services and the authenticated principal: an API token
(`Authorization: Bearer`), or else a member signed in by session cookie (node/people)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from node.access import Principal
from node.errors import AuthError, ErrorCode
from node.people.sessions import CSRF_HEADER, MEMBER_COOKIE, same_secret
from node.people.signin import SignedIn
from node.runtime import Node

_bearer = HTTPBearer(auto_error=False, description="API token from `hourbridge token create`")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` dependency in its thread
# pool, and each hop costs more than the work here. Only a token cache miss needs the database.


async def get_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    session_id = request.cookies.get(MEMBER_COOKIE)
    if session_id and "authorization" not in request.headers:
        return await _session_principal(request, session_id)
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError(ErrorCode.UNAUTHENTICATED, "send `Authorization: Bearer <API token>`")
    tokens = (await get_node(request)).tokens
    principal = tokens.cached(credentials.credentials)
    if principal is None:
        principal = await run_in_threadpool(tokens.authenticate, credentials.credentials)
    return principal


async def _session_principal(request: Request, session_id: str) -> Principal:
    """A member signed in by cookie (node/people). A request that may change anything must
    carry the session's CSRF secret in a header, which another site's page cannot set."""
    node = await get_node(request)
    signed_in = await run_in_threadpool(node.people.principal_for_session, session_id)
    if request.method not in SAFE_METHODS and not same_secret(
            request.headers.get(CSRF_HEADER, ""), signed_in.session.csrf):
        raise AuthError(ErrorCode.CSRF_REFUSED, f"a request signed in by cookie that changes "
                        f"anything carries the session's csrf_token in {CSRF_HEADER}")
    request.state.member_session = signed_in
    return signed_in.principal


def session_of(request: Request) -> SignedIn | None:
    """The member session this request was authenticated by, if it was not a token."""
    signed_in: SignedIn | None = getattr(request.state, "member_session", None)
    return signed_in


NodeDep = Annotated[Node, Depends(get_node)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
