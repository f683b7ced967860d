"""Setting a PIN with the activation code, signing in and out, and the two display switches
(language, text size). Signing in calls node.people exactly as the JSON API does; the session
cookie it sets is the API's own (`hb_member`, HttpOnly, SameSite=Lax, path /)."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from node.centre import i18n
from node.centre.web import (
    LANG_COOKIE,
    LOGIN_COOKIE,
    PREFIX,
    SESSION_COOKIE_PATH,
    SIZE_COOKIE,
    FormRefused,
    Visit,
    page_router,
    prefs_of,
    redirect,
    render,
    safe_next,
    visit_form,
)
from node.forms.pages import read_form
from node.people.codes import TYPED_CHARS_MAX
from node.people.errors import (
    ActivationRefused,
    PinTooWeak,
    SignInLocked,
    SignInRefused,
    TooManyAttempts,
)
from node.people.pins import SECRET_CHARS_MAX
from node.people.sessions import MEMBER_COOKIE, same_secret
from node.runtime import Node
from protocol.addresses import LOCAL_ID_PATTERN

router = page_router()
STYLESHEET = (Path(__file__).parent / "static" / "centre.css").read_text(encoding="utf-8")
MEMBER_CHARS_MAX = 64
_LOCAL_ID = re.compile(LOCAL_ID_PATTERN)
Next = Annotated[str | None, Query(max_length=300)]


def client_of(request: Request) -> str:
    """The caller's network address, the key of the per-client limiter (as the API's)."""
    return request.client.host if request.client is not None else "unknown"


def is_https(request: Request) -> bool:
    node: Node = request.app.state.node
    return request.url.scheme == "https" or node.config.url.startswith("https://")


def _secret_form(request: Request, template: str, context: dict[str, Any], *,
                 status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """A form used before there is a session, with a fresh double-submit secret."""
    secret = secrets.token_urlsafe(32)
    response = render(request, template, prefs=prefs_of(request), status=status,
                      login_csrf=secret, **context)
    response.set_cookie(LOGIN_COOKIE, secret, path=PREFIX, httponly=True, samesite="strict",
                        secure=is_https(request))
    response.headers.update(headers or {})
    return response


async def _checked_form(request: Request) -> dict[str, str]:
    form = await read_form(request)
    if not same_secret(form.pop("csrf", ""), request.cookies.get(LOGIN_COOKIE, "")):
        raise FormRefused("the form did not come from this site's page")
    return form


@router.get("/activate")
async def activate_form(request: Request,
                        code: Annotated[str, Query(max_length=TYPED_CHARS_MAX)] = "") -> Response:
    return _secret_form(request, "activate.html", {"code": code, "error": ""})


@router.post("/activate")
async def activate(request: Request) -> Response:
    form = await _checked_form(request)
    lang = prefs_of(request).lang
    code, pin = form.get("code", "")[:TYPED_CHARS_MAX], form.get("pin", "")
    if pin != form.get("pin_again", ""):
        return _secret_form(request, "activate.html", {
            "code": code, "error": i18n.translate(lang, "activate.mismatch")}, status=422)
    node: Node = request.app.state.node
    try:
        member = await run_in_threadpool(node.people.activate, code=code,
                                         secret=pin[:SECRET_CHARS_MAX + 1],
                                         client=client_of(request))
    except PinTooWeak:
        return _secret_form(request, "activate.html", {
            "code": code, "error": i18n.translate(lang, "activate.weak")}, status=422)
    except ActivationRefused:
        return _secret_form(request, "activate.html", {
            "code": code, "error": i18n.translate(lang, "activate.refused")}, status=422)
    except TooManyAttempts as exc:
        minutes = i18n.minutes_until(exc.retry_after_s * 1000)
        return _secret_form(request, "activate.html", {
            "code": code, "error": i18n.translate(lang, "login.too_many", minutes=minutes)},
            status=429, headers={"Retry-After": str(exc.retry_after_s)})
    return render(request, "activated.html", prefs=prefs_of(request), member=member)


def _notice(request: Request) -> str:
    lang = prefs_of(request).lang
    if request.query_params.get("out"):
        return i18n.translate(lang, "login.out")
    if request.query_params.get("expired"):
        return i18n.translate(lang, "login.expired")
    return ""


@router.get("/login")
async def login_form(request: Request, next: Next = None,
                     member: Annotated[str, Query(max_length=MEMBER_CHARS_MAX)] = "") -> Response:
    return _secret_form(request, "login.html", {"next": safe_next(next), "member": member,
                                                "error": "", "notice": _notice(request)})


@router.post("/login")
async def login(request: Request) -> Response:
    form = await _checked_form(request)
    member = form.get("member", "").strip().lower()[:MEMBER_CHARS_MAX]
    node: Node = request.app.state.node
    lang = prefs_of(request).lang
    pin = form.get("pin", "")
    again = {"next": safe_next(form.get("next")), "member": member, "notice": ""}
    try:
        if not (_LOCAL_ID.fullmatch(member) and 0 < len(pin) <= SECRET_CHARS_MAX):
            raise SignInRefused("not a member number and PIN")  # as the API's 422: no count
        session_id, _ = await run_in_threadpool(
            node.people.sign_in, member=member, secret=pin, client=client_of(request))
    except SignInRefused:
        return _secret_form(request, "login.html", {
            **again, "error": i18n.translate(lang, "login.wrong")}, status=401)
    except (SignInLocked, TooManyAttempts) as exc:
        key = "login.locked" if isinstance(exc, SignInLocked) else "login.too_many"
        minutes = i18n.minutes_until(exc.retry_after_s * 1000)
        return _secret_form(request, "login.html", {
            **again, "error": i18n.translate(lang, key, minutes=minutes)},
            status=429, headers={"Retry-After": str(exc.retry_after_s)})
    # A new session id at every sign-in: the browser's earlier session (another elder on a
    # station's shared tablet) ends.
    node.people.sessions.close(request.cookies.get(MEMBER_COOKIE, ""))
    response = redirect(again["next"])
    response.set_cookie(MEMBER_COOKIE, session_id, path=SESSION_COOKIE_PATH, httponly=True,
                        samesite="lax", secure=is_https(request))
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
async def logout(request: Request,
                 signed_in: Annotated[tuple[Visit, dict[str, str]], Depends(visit_form)]
                 ) -> Response:
    visit, _ = signed_in
    node: Node = request.app.state.node
    await run_in_threadpool(node.people.sign_out, request.cookies.get(MEMBER_COOKIE, ""),
                            member=visit.me)
    response = redirect(f"{PREFIX}/login?out=1")
    response.delete_cookie(MEMBER_COOKIE, path=SESSION_COOKIE_PATH)
    return response


def _preference(request: Request, name: str, value: str, next_path: str | None) -> Response:
    # Only how pages look changes; nothing on the node does, so a link is enough.
    response = redirect(safe_next(next_path))
    response.set_cookie(name, value, path=PREFIX, httponly=True, samesite="lax",
                        secure=is_https(request), max_age=365 * 24 * 3600)
    return response


@router.get("/lang")
async def switch_language(request: Request, to: Annotated[str, Query(pattern="^(zh|en)$")],
                          next: Next = None) -> Response:
    return _preference(request, LANG_COOKIE, to, next)


@router.get("/size")
async def switch_size(request: Request, to: Annotated[str, Query(pattern="^(normal|big)$")],
                      next: Next = None) -> Response:
    return _preference(request, SIZE_COOKIE, to, next)


@router.get("/static/centre.css")
async def stylesheet() -> Response:
    return Response(STYLESHEET, media_type="text/css",
                    headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"})
