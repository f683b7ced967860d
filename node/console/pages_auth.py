"""Logging in and out, the language switch and the stylesheet."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from node.console import i18n
from node.console.sessions import same_secret
from node.console.web import (
    LANG_COOKIE,
    LOGIN_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    ConsoleRoute,
    CsrfRefused,
    Desk,
    desk_form,
    lang_of,
    principal_for,
    redirect,
    render,
    safe_next,
    sessions_of,
    set_cookie,
)
from node.errors import AuthError, ErrorCode
from node.forms.pages import read_form
from node.runtime import Node

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
STYLESHEET = (Path(__file__).parent / "static" / "console.css").read_text(encoding="utf-8")
TOKEN_LENGTH_MAX = 200


@router.get("")
async def home() -> Response:
    return redirect(f"{PREFIX}/members")


def _login_page(request: Request, *, status: int = 200, error: str = "") -> HTMLResponse:
    """The login form with a fresh login-CSRF secret in a cookie and a hidden field."""
    secret = secrets.token_urlsafe(32)
    lang = lang_of(request)
    notice = i18n.translate(lang, "login.expired") if request.query_params.get("expired") else ""
    if request.query_params.get("out"):
        notice = i18n.translate(lang, "logout.done")
    response = render(request, "login.html", lang=lang, status=status, login_csrf=secret,
                      next=safe_next(request.query_params.get("next")), error=error,
                      notice=notice)
    set_cookie(request, response, LOGIN_COOKIE, secret)
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await read_form(request)
    # Login CSRF: the form must come from our own page (double-submit of a cookie secret).
    if not same_secret(form.get("csrf", ""), request.cookies.get(LOGIN_COOKIE, "")):
        raise CsrfRefused
    token = form.get("token", "")[:TOKEN_LENGTH_MAX]
    node: Node = request.app.state.node
    try:
        await principal_for(node, token)
    except AuthError as exc:
        lang = lang_of(request)
        if exc.code == ErrorCode.UNAUTHENTICATED:
            return _login_page(request, status=401, error=i18n.error_message(lang, exc.code))
        return _login_page(request, status=403, error=i18n.translate(lang, "login.only_staff"))
    store = sessions_of(request)
    store.close(request.cookies.get(SESSION_COOKIE, ""))  # a new id at every login
    session_id, _ = store.open(token)
    response = redirect(safe_next(form.get("next")))
    set_cookie(request, response, SESSION_COOKIE, session_id)
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
async def logout(request: Request,
                 signed_in: Annotated[tuple[Desk, dict[str, str]], Depends(desk_form)]) -> Response:
    sessions_of(request).close(request.cookies.get(SESSION_COOKIE, ""))
    response = redirect(f"{PREFIX}/login?out=1")
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


@router.get("/lang")
async def switch_language(
    request: Request,
    to: Annotated[str, Query(pattern="^(zh|en)$")],
    next: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    # Only a display preference changes; nothing on the node does, so a link is enough.
    response = redirect(safe_next(next))
    set_cookie(request, response, LANG_COOKIE, to, http_only=False)
    return response


@router.get("/static/console.css")
async def stylesheet() -> Response:
    return Response(STYLESHEET, media_type="text/css",
                    headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"})
