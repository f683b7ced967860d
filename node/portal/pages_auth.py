"""Signing in and out of the portal, the stylesheets and the health check.

The sign-in form carries a login-CSRF secret (double submit of a cookie); a wrong username or
password answers 401, a locked account or a client past its limit 429 with Retry-After, each
in words. A new session id at every sign-in.
"""

from __future__ import annotations

import math
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from node.forms.pages import read_form
from node.people.errors import SignInLocked, SignInRefused, TooManyAttempts
from node.people.throttle import LOCK_AFTER_FAILURES
from node.portal.web import (
    CONSOLE_CSS,
    LOGIN_COOKIE,
    PORTAL_CSS,
    PREFIX,
    SESSION_COOKIE,
    CsrfRefused,
    PortalRoute,
    Session,
    portal_of,
    redirect,
    render,
    safe_next,
    set_cookie,
    signed_in_form,
)
from node.session_store import same_secret

router = APIRouter(prefix=PREFIX, route_class=PortalRoute, include_in_schema=False)
MS_PER_MINUTE = 60_000
WRONG = f"用户名或密码不对。连续 {LOCK_AFTER_FAILURES} 次输错后，该账户会暂停登录一段时间。"
LOCKED = "该账户因多次输错密码已暂停登录，请 {minutes} 分钟后再试。"
TOO_MANY = "这台设备输错次数过多，请 {minutes} 分钟后再试。"
STYLES = {"console.css": CONSOLE_CSS, "portal.css": PORTAL_CSS}


def login_page(request: Request, *, status: int = 200, error: str = "",
               notice: str = "") -> HTMLResponse:
    secret = secrets.token_urlsafe(32)
    response = render("login.html", status=status, login_csrf=secret, error=error,
                      notice=notice, next=safe_next(request.query_params.get("next")))
    set_cookie(request, response, LOGIN_COOKIE, secret)
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    notice = "您已退出。" if request.query_params.get("out") else ""
    return login_page(request, notice=notice)


def client_of(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


@router.post("/login")
async def sign_in(request: Request) -> Response:
    form = await read_form(request)
    if not same_secret(form.get("csrf", ""), request.cookies.get(LOGIN_COOKIE, "")):
        raise CsrfRefused
    portal = portal_of(request)
    try:
        done = await run_in_threadpool(
            portal.accounts.sign_in, username=form.get("username", ""),
            password=form.get("password", ""), client=client_of(request))
    except SignInRefused:
        return login_page(request, status=401, error=WRONG)
    except (SignInLocked, TooManyAttempts) as exc:
        words = LOCKED if isinstance(exc, SignInLocked) else TOO_MANY
        minutes = max(1, math.ceil(exc.retry_after_s * 1000 / MS_PER_MINUTE))
        page = login_page(request, status=429, error=words.format(minutes=minutes))
        page.headers["Retry-After"] = str(exc.retry_after_s)
        return page
    portal.sessions.close(request.cookies.get(SESSION_COOKIE, ""))
    response = redirect(safe_next(form.get("next")))
    set_cookie(request, response, SESSION_COOKIE, portal.open_session(done.username,
                                                                      done.version))
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
async def logout(request: Request,
                 _: Annotated[tuple[Session, dict[str, str]], Depends(signed_in_form)]
                 ) -> Response:
    portal_of(request).sessions.close(request.cookies.get(SESSION_COOKIE, ""))
    response = redirect(f"{PREFIX}/login?out=1")
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


@router.get("/static/{name}")
async def stylesheet(name: str) -> Response:
    """The console's stylesheet (the very file the console serves) and the portal's own."""
    if name not in STYLES:
        return Response(status_code=404)
    return Response(STYLES[name].read_text(encoding="utf-8"), media_type="text/css",
                    headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"})
