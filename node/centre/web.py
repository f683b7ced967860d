"""What every page of the personal centre shares: the signed-in member, forms and their CSRF
secret, preferences (language, text size), rendering, and errors as pages.

A page handler gets a `Visit` from `visit` (GET) or `visit_form` (POST): the node, the member's
Principal from `node.people.principal_for_session` (re-checked at every request) and whose
centre is shown: her own, or, with `for=<number>`, an elder she acts for. Pages call the very
services the JSON API calls with that Principal; whether she may see or act for that member is
theirs to decide, so the pages add no rule of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse

from node.access import Principal
from node.centre import i18n
from node.errors import AuthError, ErrorCode, NodeError
from node.forms.pages import here, invalid_fields, page_route, read_form, signin_redirect
from node.http_status import status_for
from node.people.sessions import MEMBER_COOKIE, same_secret
from node.people.signin import SignedIn
from node.runtime import Node
from protocol.addresses import LOCAL_ID_PATTERN

PREFIX = "/me"
SESSION_COOKIE_PATH = "/"  # as the JSON API sets it (node/api/routes/people.py): both read it
LOGIN_COOKIE = "hb_me_login"  # the sign-in and activation forms' CSRF secret, before a session
LANG_COOKIE = "hb_me_lang"
SIZE_COOKIE = "hb_me_size"
SIZES = ("normal", "big")
NEXT_CHARS_MAX = 300
# A page is never cached, framed, or allowed to load or post anywhere else; no script runs.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}
ForMember = Annotated[str | None, Query(alias="for", pattern=LOCAL_ID_PATTERN, max_length=64)]

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,  # a misspelt variable fails the page (and its test)
    trim_blocks=True,
    lstrip_blocks=True,
)


# The two refusals below carry the console's codes on purpose: they mean the same thing on
# this face (no live session; a form without its secret). They are plain NodeErrors rather
# than FixedCodeErrors, which own a code each (tests/node/test_error_tree.py).


class SignInNeeded(NodeError):
    """No live member session: the person is sent to the sign-in page."""

    def __init__(self, detail: str) -> None:
        super().__init__(ErrorCode.LOGIN_REQUIRED, detail)


class FormRefused(NodeError):
    """A form without this session's (or this sign-in page's) CSRF secret."""

    def __init__(self, detail: str) -> None:
        super().__init__(ErrorCode.CSRF_REFUSED, detail)


class FormInvalid(NodeError):
    """Fields that do not pass; shown as "please check: <fields>" or a message of its own."""

    def __init__(self, fields: list[str], *, hint: str = "") -> None:
        super().__init__(ErrorCode.VALIDATION_FAILED, f"invalid fields: {', '.join(fields)}")
        self.fields = fields
        self.hint = hint


@dataclass(frozen=True)
class Prefs:
    lang: str
    size: str


@dataclass(frozen=True)
class Visit:
    """One signed-in request: who is signed in, whose centre is shown, in which language."""

    node: Node
    signed_in: SignedIn
    prefs: Prefs
    member: str  # whose centre: her own, or an elder's she acts for

    @property
    def principal(self) -> Principal:
        return self.signed_in.principal

    @property
    def me(self) -> str:
        return self.signed_in.session.local_id

    @property
    def acting(self) -> bool:
        return self.member != self.me

    @property
    def lang(self) -> str:
        return self.prefs.lang

    def t(self, key: str, **values: Any) -> str:
        return i18n.translate(self.prefs.lang, key, **values)

    def url(self, path: str, **query: str) -> str:
        """A link inside the centre that keeps whose centre it is."""
        return link(path, member=self.member if self.acting else None, **query)


def link(path: str, *, member: str | None = None, **query: str) -> str:
    values = {**({"for": member} if member else {}), **{k: v for k, v in query.items() if v}}
    return f"{path}?{urlencode(values)}" if values else path


def prefs_of(request: Request) -> Prefs:
    size = request.cookies.get(SIZE_COOKIE)
    return Prefs(lang=i18n.language(request.cookies.get(LANG_COOKIE)),
                 size=size if size in SIZES else SIZES[0])


async def _signed_in(request: Request) -> SignedIn:
    node: Node = request.app.state.node
    try:
        signed_in: SignedIn = await run_in_threadpool(
            node.people.principal_for_session, request.cookies.get(MEMBER_COOKIE, ""))
    except AuthError as exc:
        raise SignInNeeded(exc.detail) from exc
    return signed_in


async def visit(request: Request, for_member: ForMember = None) -> Visit:
    signed_in = await _signed_in(request)
    return Visit(node=request.app.state.node, signed_in=signed_in, prefs=prefs_of(request),
                 member=for_member or signed_in.session.local_id)


async def visit_form(request: Request) -> tuple[Visit, dict[str, str]]:
    """A signed-in POST: refused before anything runs unless it carries the session's secret.
    Whose centre it acts on comes from the form's `for` field."""
    signed_in = await _signed_in(request)
    form = await read_form(request)
    if not same_secret(form.pop("csrf", ""), signed_in.session.csrf):
        raise FormRefused("the form does not carry this session's secret")
    member = form.pop("for", "") or signed_in.session.local_id
    return Visit(node=request.app.state.node, signed_in=signed_in, prefs=prefs_of(request),
                 member=member), form


def safe_next(target: str | None) -> str:
    """Only a path inside the centre: never a redirect to another site."""
    if (target and (target == PREFIX or target.startswith(f"{PREFIX}/")
                    or target.startswith(f"{PREFIX}?"))
            and len(target) <= NEXT_CHARS_MAX and "//" not in target and "\\" not in target
            and all(0x20 < ord(c) < 0x7f for c in target)):
        return target
    return PREFIX


def redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


def render(request: Request, template: str, *, prefs: Prefs, status: int = 200,
           visit: Visit | None = None, **context: Any) -> HTMLResponse:
    node: Node = request.app.state.node
    lang = prefs.lang

    def t(key: str, **values: Any) -> str:
        return i18n.translate(lang, key, **values)

    html = _templates.get_template(template).render(
        t=t, lang=lang, size=prefs.size, here=here(request), visit=visit,
        csrf=visit.signed_in.session.csrf if visit else "",
        url=visit.url if visit else link, node_name=node_name(node),
        hours=lambda m: i18n.hours_text(lang, m), signed=lambda m: i18n.signed_hours(lang, m),
        when=lambda ms: i18n.date_text(lang, ms), **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def node_name(node: Node) -> str:
    return node.notifications.inbox.names.node_name(node.config.node_id) or node.config.node_id


def error_page(request: Request, error: NodeError) -> HTMLResponse:
    prefs = prefs_of(request)
    lang = prefs.lang
    if isinstance(error, FormInvalid):
        fields = i18n.translate(lang, "list.sep").join(
            i18n.CATALOGUE[lang].get(f"field.{name}", name) for name in error.fields)
        message = i18n.translate(lang, error.hint or "error.form", fields=fields)
    elif isinstance(error, FormRefused):
        message = i18n.translate(lang, "error.csrf")
    else:
        message = i18n.error_message(lang, error.code)
    status = status_for(error)
    # A form refused for now (503: a route not ready, the database away) can be sent again as
    # it is: offer the way back to the form rather than leave her to find the browser's Back.
    again = request.url.path if request.method == "POST" and status == 503 else None
    return render(request, "error.html", prefs=prefs, status=status, message=message,
                  code=str(error.code), again=again)


CentreRoute = page_route(
    # A page's route: no session -> the sign-in page; service errors -> a page in words.
    (SignInNeeded, lambda request, _: redirect(
        signin_redirect(request, f"{PREFIX}/login", expired="?expired=1"))),
    (RequestValidationError,
     lambda request, exc: error_page(request, FormInvalid(invalid_fields(exc)))),
    (NodeError, error_page),
)


def acting_name(visit: Visit) -> str:
    """The name of the elder a delegate acts for (the banner on every page), or "". Read
    through the members service, which refuses anyone who may not act for her."""
    if not visit.acting:
        return ""
    return visit.node.members.get(visit.principal, visit.member).display_name


def page_router() -> APIRouter:
    """The router of one group of pages: under /me, refusals shown as pages (CentreRoute), and
    kept out of the JSON API's OpenAPI document."""
    return APIRouter(prefix=PREFIX, route_class=CentreRoute, include_in_schema=False)


# What a page handler declares to get the signed-in Visit (GET) or the Visit and the checked
# form (POST).
Signed = Annotated[Visit, Depends(visit)]
SignedForm = Annotated[tuple[Visit, dict[str, str]], Depends(visit_form)]
