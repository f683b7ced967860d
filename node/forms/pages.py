"""Reading a server-rendered page's form: what the staff console and the personal centre share.

Pages post `application/x-www-form-urlencoded` bodies (the API's body guard bounds their size);
each field may appear once, in UTF-8, and at most FORM_FIELDS_MAX fields are read.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from node.errors import ErrorCode, NodeError

FORM_FIELDS_MAX = 20


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form: each field once, UTF-8 only, values stripped."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise NodeError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the page's form")
    try:
        pairs = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True,
                          max_num_fields=FORM_FIELDS_MAX, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise NodeError(ErrorCode.BAD_REQUEST, f"the form cannot be read: {exc}") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise NodeError(ErrorCode.BAD_REQUEST, f"the form repeats {name}")
        form[name] = value.strip()
    return form


Answer = Callable[[Request, Any], Response]
"""What a page shows for an exception a handler raised: a redirect, or a page in words."""


def page_route(*answers: tuple[type[BaseException], Answer]) -> type[APIRoute]:
    """A route class for server-rendered pages: an exception of a listed kind (tried in order)
    becomes the page its answer makes instead of problem+json; anything else propagates to the
    app's one error mapping. The console, the personal centre and the portal each list theirs."""

    class PageRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handle = super().get_route_handler()

            async def route(request: Request) -> Response:
                try:
                    return await handle(request)
                except Exception as exc:
                    for kind, answer in answers:
                        if isinstance(exc, kind):
                            return answer(request, exc)
                    raise

            return route

    return PageRoute


def invalid_fields(exc: RequestValidationError) -> list[str]:
    """The names of the fields a page's form got wrong, for its error page."""
    return sorted({str(err["loc"][-1]) for err in exc.errors() if err.get("loc")}) or ["form"]


def here(request: Request) -> str:
    """This page's path and query, for the language switch and the sign-in page to come back
    to."""
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query


def signin_redirect(request: Request, login_path: str, *, expired: str = "") -> str:
    """Where a page sends a visitor with no session: the sign-in page, coming back here after a
    GET; after a POST (a form whose session ran out) to `login_path` + `expired`."""
    if request.method == "GET":
        return f"{login_path}?next={quote(here(request), safe='')}"
    return login_path + expired
