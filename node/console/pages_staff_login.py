"""Signing in to the console with a username and password (node/staff/signin.py).

The login page offers this form first and keeps the API-token form beneath it for programs and
operators (pages_auth.py). Both carry the same login-CSRF secret. A wrong username or password
answers 401; a locked account or a client past its limit answers 429 with Retry-After. The
session opened remembers the account and its version, not a token: node/console/web.py's
`desk` re-checks the account at every request, so disabling it ends the session at once.
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from node.console import i18n
from node.console.pages_auth import _login_page as login_page
from node.console.sessions import same_secret
from node.console.web import (
    LOGIN_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    ConsoleRoute,
    CsrfRefused,
    lang_of,
    redirect,
    safe_next,
    sessions_of,
    set_cookie,
)
from node.forms.pages import read_form
from node.people.errors import SignInLocked, SignInRefused, TooManyAttempts
from node.runtime import Node

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
MS_PER_MINUTE = 60_000


def client_of(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await read_form(request)
    if not same_secret(form.get("csrf", ""), request.cookies.get(LOGIN_COOKIE, "")):
        raise CsrfRefused
    node: Node = request.app.state.node
    lang = lang_of(request)
    try:
        signed_in = await run_in_threadpool(
            node.staff_sign_in.sign_in, username=form.get("username", ""),
            password=form.get("password", ""), client=client_of(request))
    except SignInRefused:
        return login_page(request, status=401, error=i18n.translate(lang, "login.wrong"))
    except (SignInLocked, TooManyAttempts) as exc:
        key = "login.locked" if isinstance(exc, SignInLocked) else "login.too_many"
        minutes = max(1, math.ceil(exc.retry_after_s * 1000 / MS_PER_MINUTE))
        page = login_page(request, status=429, error=i18n.translate(lang, key, minutes=minutes))
        page.headers["Retry-After"] = str(exc.retry_after_s)
        return page
    if signed_in.principal.role not in ("admin", "staff"):
        return login_page(request, status=403, error=i18n.translate(lang, "login.only_staff"))
    store = sessions_of(request)
    store.close(request.cookies.get(SESSION_COOKIE, ""))  # a new id at every login
    session_id, _ = store.open("", account=signed_in.username, version=signed_in.version)
    response = redirect(safe_next(form.get("next")))
    set_cookie(request, response, SESSION_COOKIE, session_id)
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response
