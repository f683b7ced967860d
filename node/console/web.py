"""What every console page shares: templates, the signed-in person, forms, CSRF, errors.

A page handler gets a `Desk` (the node, the principal, the session, the language) from the
`desk` or `desk_form` dependency, calls the same services the HTTP API calls, and returns
`render(...)`. Errors from the services (NodeError with a stable code) become a readable page
in the person's language through ConsoleRoute; they never show a stack trace.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from node.access import Principal, Role, require_role
from node.console import i18n
from node.console.sessions import Session, SessionStore, same_secret
from node.errors import AuthError, ErrorCode, FixedCodeError, NodeError
from node.forms.pages import here, invalid_fields, page_route, read_form, signin_redirect
from node.http_status import status_for
from node.runtime import Node

log = logging.getLogger("hourbridge.console")

PREFIX = "/console"
SESSION_COOKIE = "hb_console"
LOGIN_COOKIE = "hb_console_login"  # the login form's CSRF secret, before there is a session
LANG_COOKIE = "hb_console_lang"
CONSOLE_ROLES = (Role.ADMIN, Role.STAFF)
# China has one time zone and no daylight saving: times are shown as China Standard Time.
CHINA_TIME = timezone(timedelta(hours=8))
# A console page is never cached, framed, or allowed to load or post anywhere else.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,  # a misspelt variable fails the page (and its test)
    trim_blocks=True,
    lstrip_blocks=True,
)


class LoginRequired(FixedCodeError):
    """No live session: the person is sent to the login page."""

    CODE = ErrorCode.LOGIN_REQUIRED


@dataclass(frozen=True)
class Desk:
    """One signed-in request: who, on which node, in which language."""

    node: Node
    principal: Principal
    session: Session
    lang: str

    def t(self, key: str, **values: Any) -> str:
        return i18n.translate(self.lang, key, **values)


def lang_of(request: Request) -> str:
    return i18n.language(request.cookies.get(LANG_COOKIE))


def sessions_of(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.console_sessions
    return store


def is_https(request: Request) -> bool:
    node: Node = request.app.state.node
    return request.url.scheme == "https" or node.config.url.startswith("https://")


def set_cookie(request: Request, response: Response, name: str, value: str, *,
               http_only: bool = True) -> None:
    response.set_cookie(name, value, path=PREFIX, httponly=http_only, samesite="strict",
                        secure=is_https(request))


async def principal_for(node: Node, token: str) -> Principal:
    """The token's principal, checked by the same TokenService the API uses; console roles only."""
    principal = node.tokens.cached(token)
    if principal is None:
        principal = await run_in_threadpool(node.tokens.authenticate, token)
    require_role(principal, *CONSOLE_ROLES, what="use the staff console")
    return principal


async def account_principal(node: Node, username: str, version: int) -> Principal:
    """A staff account's principal while it is enabled (a disabled one's sessions end here)."""
    principal = await run_in_threadpool(node.staff_sign_in.principal, username, version)
    require_role(principal, *CONSOLE_ROLES, what="use the staff console")
    return principal


async def desk(request: Request) -> Desk:
    sid = request.cookies.get(SESSION_COOKIE, "")
    session = sessions_of(request).get(sid)
    if session is None:
        raise LoginRequired
    node: Node = request.app.state.node
    try:
        principal = await principal_for(node, session.token) if not session.account else \
            await account_principal(node, session.account, session.version)
    except AuthError as exc:
        sessions_of(request).close(sid)
        if exc.code == ErrorCode.UNAUTHENTICATED:  # revoked since login
            raise LoginRequired from exc
        raise
    return Desk(node=node, principal=principal, session=session, lang=lang_of(request))


class CsrfRefused(FixedCodeError):
    """A form without this session's CSRF secret: refused before anything runs."""

    CODE = ErrorCode.CSRF_REFUSED


async def desk_form(request: Request) -> tuple[Desk, dict[str, str]]:
    """A signed-in POST: the desk and its form, refused unless it carries the session's secret."""
    staff = await desk(request)
    form = await read_form(request)
    if not same_secret(form.pop("csrf", ""), staff.session.csrf):
        raise CsrfRefused
    return staff, form


class FormInvalid(NodeError):
    """Fields of a console form that do not pass; shown as "please check: <fields>"."""

    def __init__(self, fields: list[str], *, hint: str = "") -> None:
        super().__init__(ErrorCode.VALIDATION_FAILED, f"invalid fields: {', '.join(fields)}")
        self.fields = fields
        self.hint = hint  # a catalogue key that says how to fill the field in, if there is one


def validated(model: type[Any], **fields: Any) -> Any:
    """Build an API request model from form fields: the console checks input by the very rules
    the HTTP API applies. Problems come back as one FormInvalid naming the fields."""
    try:
        return model(**fields)
    except ValidationError as exc:
        names = sorted({str(err["loc"][0]) for err in exc.errors() if err.get("loc")})
        raise FormInvalid(names or ["form"]) from exc


_WHOLE = re.compile(r"[0-9]{1,7}")


def minutes_from(form: dict[str, str]) -> int:
    """Whole hours and 0-59 minutes from two fields; either may be left empty (zero)."""
    hours_text = form.get("hours", "") or "0"
    minutes_text = form.get("minutes", "") or "0"
    if not (_WHOLE.fullmatch(hours_text) and _WHOLE.fullmatch(minutes_text)
            and int(minutes_text) <= 59):
        raise FormInvalid(["amount"], hint="error.amount")
    return int(hours_text) * 60 + int(minutes_text)


def local_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(CHINA_TIME).strftime(
        "%Y-%m-%d %H:%M")


def who(lang: str, principal: Principal,
        station_name: Callable[[str | None], str] | None = None) -> str:
    if principal.role == Role.STAFF:
        station = station_name(principal.station) if station_name else principal.station
        return i18n.translate(lang, "role.staff", station=station)
    return i18n.translate(lang, f"role.{principal.role}")


def render(request: Request, template: str, *, lang: str, status: int = 200,
           staff: Desk | None = None, **context: Any) -> HTMLResponse:
    node: Node = request.app.state.node

    def t(key: str, **values: Any) -> str:
        return i18n.translate(lang, key, **values)

    def t_or(key: str, fallback: str) -> str:
        return i18n.CATALOGUE[lang].get(key, fallback)

    namer = station_namer(node)

    html = _templates.get_template(template).render(
        t=t, t_or=t_or, lang=lang, hours=lambda m: i18n.hours_text(lang, m), when=local_time,
        node_id=node.config.node_id, staff=staff, csrf=staff.session.csrf if staff else "",
        who=who(lang, staff.principal, namer) if staff else "", here=here(request),
        features=request.app.state.console_features, station_name=namer,
        active_stations=node.stations.active,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def station_namer(node: Node) -> Callable[[str | None], str]:
    """Templates show a station's registered name, not its id (the id if not registered); the
    registry is read once per page, and only if the page names a station."""
    names: dict[str, str] = {}

    def name(station_id: str | None) -> str:
        if not station_id:
            return ""
        if not names:
            names.update(node.stations.names() or {"": ""})
        return names.get(station_id, station_id)

    return name


def safe_next(target: str | None) -> str:
    """Only a path inside the console: never a redirect to another site."""
    if (target and target.startswith(PREFIX) and "//" not in target and "\\" not in target
            and all(0x20 < ord(c) < 0x7f for c in target)):
        return target
    return f"{PREFIX}/members"


def redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


def error_page(request: Request, error: NodeError, *, staff: Desk | None = None) -> HTMLResponse:
    lang = lang_of(request)
    if isinstance(error, FormInvalid):
        fields = i18n.translate(lang, "list.sep").join(
            i18n.CATALOGUE[lang].get(f"field.{name}", name) for name in error.fields)
        message = i18n.translate(lang, error.hint or "error.form", fields=fields)
    else:
        message = i18n.error_message(lang, error.code)
    # The service's detail is English for developers (and may name a config key): staff read
    # the sentence for the code, in their language; the detail goes to the node's log.
    log.info("console refusal %s on %s: %s", error.code, request.url.path, error.detail)
    return render(request, "error.html", lang=lang, status=status_for(error), staff=staff,
                  message=message, code=str(error.code), detail="",
                  back=safe_next(_referer(request)))


def _referer(request: Request) -> str | None:
    referer = request.headers.get("referer", "")
    origin = f"{request.url.scheme}://{request.url.netloc}"
    return referer[len(origin):] if referer.startswith(origin) else None


def _csrf_page(request: Request, _: CsrfRefused) -> Response:
    lang = lang_of(request)
    return render(request, "error.html", lang=lang, status=403, staff=None,
                  message=i18n.translate(lang, "error.csrf"), code="csrf_refused",
                  detail="", back=safe_next(_referer(request)))


ConsoleRoute = page_route(
    # A console route: login, CSRF and service errors become pages, not problem+json.
    (LoginRequired, lambda request, _: redirect(
        signin_redirect(request, f"{PREFIX}/login", expired="?expired=1"))),
    (CsrfRefused, _csrf_page),
    (RequestValidationError,
     lambda request, exc: error_page(request, FormInvalid(invalid_fields(exc)))),
    (NodeError, error_page),
)
