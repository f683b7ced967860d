"""What every portal page shares: the portal's parts, templates, sessions, CSRF and errors.

Built like node/console/web.py: server-rendered Jinja2 with autoescape and StrictUndefined, a
random session id in an HttpOnly SameSite=Strict cookie (node/session_store.py), a CSRF secret
on every form, and coded errors shown as a sentence on a page, never a stack trace. The pages
load the console's own stylesheet (served from node/console/static, the same file) and a small
one of the portal's for what the 适老化 rules add: 60 px targets, the status banner, the chart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse

from node.clock import Clock
from node.errors import AuthError, ErrorCode, NodeError
from node.forms.pages import page_route, read_form, signin_redirect
from node.http_status import status_for
from node.portal.accounts import Accounts
from node.portal.folder import PortalFolder
from node.portal.history import History
from node.portal.schedule import ReportMaker
from node.reports.words import hours_text
from node.session_store import SessionStore, new_secret, same_secret

log = logging.getLogger("hourbridge.portal")
PREFIX = "/portal"
SESSION_COOKIE = "hb_portal"
LOGIN_COOKIE = "hb_portal_login"
IDLE_MS = 30 * 60 * 1000
LIFETIME_MS = 12 * 60 * 60 * 1000
SESSIONS_MAX = 200
CONSOLE_CSS = Path(__file__).resolve().parent.parent / "console" / "static" / "console.css"
PORTAL_CSS = Path(__file__).resolve().parent / "static" / "portal.css"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}
ERROR_WORDS = {
    ErrorCode.OVERLOADED: "正在生成一份报告，请稍候再试。",
    ErrorCode.ROUTE_NOT_FOUND: "没有这份报告或这个页面。",
    ErrorCode.CSRF_REFUSED: "页面已过期，请返回后重新操作。",
    ErrorCode.CONFIG_INVALID: "门户的设置或联盟名录有问题，请联系管理员（详情见日志）。",
}

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class Session:
    username: str
    version: int
    csrf: str
    created_at_ms: int
    seen_at_ms: int


@dataclass
class Portal:
    """The portal's parts, composed once by `hourbridge portal serve` (or a test)."""

    folder: PortalFolder
    accounts: Accounts
    history: History
    maker: ReportMaker
    clock: Clock

    def __post_init__(self) -> None:
        self.sessions: SessionStore[Session] = SessionStore(
            self.clock, idle_ms=IDLE_MS, lifetime_ms=LIFETIME_MS, sessions_max=SESSIONS_MAX)

    def open_session(self, username: str, version: int) -> str:
        now_ms = self.clock.now_ms()
        return self.sessions.admit(Session(username, version, new_secret(), now_ms, now_ms))


class LoginRequired(NodeError):
    """No live portal session: the person is sent to the sign-in page. (The console's code, on
    a class of the portal's own: the portal does not import the node's console.)"""

    def __init__(self) -> None:
        super().__init__(ErrorCode.LOGIN_REQUIRED, "no live portal session")


class CsrfRefused(NodeError):
    """A portal form without its session's secret."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.CSRF_REFUSED, "the form lacks this session's secret")


def portal_of(request: Request) -> Portal:
    found: Portal = request.app.state.portal
    return found


async def signed_in(request: Request) -> Session:
    """The request's live session, its account re-checked (a changed account signs out)."""
    portal = portal_of(request)
    sid = request.cookies.get(SESSION_COOKIE, "")
    session = portal.sessions.get(sid)
    if session is None:
        raise LoginRequired
    try:
        portal.accounts.check(session.username, session.version)
    except AuthError as exc:
        portal.sessions.close(sid)
        raise LoginRequired from exc
    return session


async def signed_in_form(request: Request) -> tuple[Session, dict[str, str]]:
    session = await signed_in(request)
    form = await read_form(request)
    if not same_secret(form.pop("csrf", ""), session.csrf):
        raise CsrfRefused
    return session, form


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, path=PREFIX, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def render(template: str, *, status: int = 200, session: Session | None = None,
           **context: Any) -> HTMLResponse:
    html = _templates.get_template(template).render(
        hours=hours_text, session=session, csrf=session.csrf if session else "", **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


def safe_next(target: str | None) -> str:
    """Only a path inside the portal: never a redirect to another site."""
    if (target and target.startswith(PREFIX) and "//" not in target and "\\" not in target
            and all(0x20 < ord(c) < 0x7f for c in target)):
        return target
    return PREFIX


def error_page(request: Request, error: NodeError) -> HTMLResponse:
    log.info("portal refusal %s on %s: %s", error.code, request.url.path, error.detail)
    message = ERROR_WORDS.get(error.code, "无法完成这个操作。")
    return render("error.html", status=status_for(error), message=message,
                  code=str(error.code))


PortalRoute = page_route(
    # A portal route: sign-in, CSRF and coded errors become pages, not problem+json.
    (LoginRequired, lambda request, _: redirect(signin_redirect(request, f"{PREFIX}/login"))),
    (RequestValidationError,
     lambda request, _: error_page(request, NodeError(ErrorCode.ROUTE_NOT_FOUND, "bad path"))),
    (NodeError, error_page),
)
