"""The one place that turns errors into HTTP responses: RFC 9457 problem+json with a stable
`code`, at the status node/http_status.py assigns."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from node.errors import ErrorCode, FederationRefusal, NodeError
from node.http_status import status_for
from node.people.errors import RETRY_LATER

log = logging.getLogger("hourbridge.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_body(
    status: int, code: ErrorCode | str, detail: str, instance: str, **extra: Any
) -> dict[str, Any]:
    return {
        "type": f"urn:hourbridge:problem:{code}",
        "title": str(code).replace("_", " "),
        "status": status,
        "detail": detail,
        "code": str(code),
        "instance": instance,
        **extra,
    }


def raw_path(scope: Mapping[str, Any]) -> str:
    """The request path as sent (still percent-encoded), so `instance` is a URI reference."""
    raw = scope.get("raw_path")
    return raw.decode("latin-1") if raw else str(scope.get("path", ""))


def problem(
    status: int,
    code: ErrorCode | str,
    detail: str,
    request: Request,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = problem_body(status, code, detail, raw_path(request.scope), **extra)
    out = dict(headers or {})
    if status == 401:
        out["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=out)


# Errors raised by the framework itself (routing, body parsing) rather than by our code.
_CODE_BY_HTTP_STATUS: dict[int, ErrorCode] = {
    400: ErrorCode.MALFORMED_JSON,
    404: ErrorCode.ROUTE_NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.BODY_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(part) for part in err.get("loc", ())], "msg": err.get("msg", "")}
        for err in exc.errors()
    ]


def install(app: FastAPI) -> None:
    @app.exception_handler(NodeError)
    async def _node_error(request: Request, exc: NodeError) -> JSONResponse:
        extra = {"reason": exc.reason} if isinstance(exc, FederationRefusal) else {}
        # A refusal that ends by itself says when to try again (RFC 9110 Retry-After).
        headers = ({"Retry-After": str(exc.retry_after_s)} if isinstance(exc, RETRY_LATER)
                   else None)
        return problem(status_for(exc), exc.code, exc.detail, request, headers, **extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return problem(
                400,
                ErrorCode.MALFORMED_JSON,
                "request body is not valid JSON",
                request,
                errors=errors,
            )
        return problem(
            422,
            ErrorCode.VALIDATION_FAILED,
            "request does not match the schema",
            request,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODE_BY_HTTP_STATUS.get(exc.status_code, ErrorCode.BAD_REQUEST)
        # Keep the framework's headers: a 405 must say which methods are allowed (Allow).
        return problem(exc.status_code, code, str(exc.detail), request, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, ErrorCode.INTERNAL_ERROR, "internal error; see the node log", request)
