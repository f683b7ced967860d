"""Members signing in: activation, sessions. Thin handlers over node/people (docs/members.md).

Signing in sets the member session cookie; with it (and no Authorization header) the member may
use the rest of the API, sending the session's `csrf_token` in `X-CSRF-Token` with every request
that changes anything (node/api/deps.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from node.access import deny
from node.api.deps import NodeDep, PrincipalDep, session_of
from node.forms.models import Problem
from node.forms.people import (
    Activation,
    ActivationOut,
    SessionOut,
    SignInBody,
    SignOutOut,
    WhoAmIOut,
)
from node.people.sessions import MEMBER_COOKIE

router = APIRouter(prefix="/api/v1/people", tags=["signing in"])
COOKIE_PATH = "/"  # the member pages and the JSON API both read it
TOO_MANY: dict[int | str, dict[str, object]] = {
    429: {"model": Problem, "description": "Too many failed tries: wait for Retry-After"},
}


def client_of(request: Request) -> str:
    """The caller's network address, the key of the per-client limiter. Behind a reverse proxy
    every caller shares the proxy's: the limit then holds for all together (docs/members.md)."""
    return request.client.host if request.client is not None else "unknown"


def _is_https(request: Request, node: NodeDep) -> bool:
    return request.url.scheme == "https" or node.config.url.startswith("https://")


@router.post("/activate", response_model=ActivationOut, responses=TOO_MANY,
             summary="Use a one-time activation code to set a PIN")
def activate(body: Activation, request: Request, node: NodeDep) -> ActivationOut:
    member = node.people.activate(code=body.code, secret=body.pin, client=client_of(request))
    return ActivationOut(member=member)


@router.post("/sessions", status_code=201, response_model=SessionOut, responses=TOO_MANY,
             summary="Sign in with a member number and PIN (sets the session cookie)")
def sign_in(body: SignInBody, request: Request, response: Response,
            node: NodeDep) -> SessionOut:
    session_id, signed_in = node.people.sign_in(member=body.member, secret=body.pin,
                                                client=client_of(request))
    # A new id at every sign-in; the browser's earlier session (another elder at a station's
    # shared tablet) ends.
    node.people.sessions.close(request.cookies.get(MEMBER_COOKIE, ""))
    response.set_cookie(MEMBER_COOKIE, session_id, path=COOKIE_PATH, httponly=True,
                        samesite="lax", secure=_is_https(request, node))
    response.headers["Cache-Control"] = "no-store"
    return SessionOut(member=body.member, acts_for=sorted(signed_in.principal.acts_for),
                      csrf_token=signed_in.session.csrf,
                      expires_at_ms=node.people.session_expires_at_ms(signed_in))


@router.get("/sessions/current", response_model=WhoAmIOut,
            summary="Who is calling: a token's role, or the signed-in member and her session")
def who_am_i(request: Request, response: Response, node: NodeDep,
             principal: PrincipalDep) -> WhoAmIOut:
    signed_in = session_of(request)
    response.headers["Cache-Control"] = "no-store"
    return WhoAmIOut(role=str(principal.role), member=principal.member_local_id,
                     station=principal.station, acts_for=sorted(principal.acts_for),
                     session=signed_in is not None,
                     csrf_token=signed_in.session.csrf if signed_in else None,
                     expires_at_ms=(node.people.session_expires_at_ms(signed_in)
                                    if signed_in else None))


@router.delete("/sessions/current", response_model=SignOutOut,
               summary="Sign out: end this member session and clear its cookie")
def sign_out(request: Request, response: Response, node: NodeDep,
             principal: PrincipalDep) -> SignOutOut:
    signed_in = session_of(request)
    if signed_in is None:
        raise deny(principal, "sign out: an API token is revoked with `hourbridge token revoke`")
    node.people.sign_out(request.cookies.get(MEMBER_COOKIE, ""),
                         member=signed_in.session.local_id)
    response.delete_cookie(MEMBER_COOKIE, path=COOKIE_PATH)
    return SignOutOut(signed_out=True)
