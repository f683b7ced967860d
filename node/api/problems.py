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

from node.db.faults import DATABASE_ERRORS, DatabaseUnavailable, StorageFull, storage_fault
from node.errors import ErrorCode, FederationRefusal, NodeError
from node.exchange.capabilities import RouteNotSupported
from node.exchange.transport import TRANSACTIONS_PATH
from node.http_status import status_for
from node.people.errors import RETRY_LATER
from node.reconcile.peer import RECONCILE_PATH
from protocol.reasons import ReasonCode

log = logging.getLogger("hourbridge.api")
# A bad day refuses every request alike: one line each, and the driver's traceback only with the
# first of each code and then every FAULT_TRACE_EVERY-th, so an outage does not flood the log.
FAULT_TRACE_EVERY = 1_000


def _log_fault(seen_by_code: dict[str, int], fault: NodeError, request: Request,
               exc: Exception) -> None:
    seen = seen_by_code[fault.code] = seen_by_code.get(fault.code, 0) + 1
    log.warning("%s on %s %s (%d so far): %s", fault.code, request.method, request.url.path,
                seen, str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__,
                exc_info=exc if seen % FAULT_TRACE_EVERY == 1 else None)

PROBLEM_MEDIA_TYPE = "application/problem+json"


# The federation binding (standard §21): every refusal of a signed document names a reason code
# of §12, whose class (final or temporary) tells the sender what to do; the HTTP status alone
# never does. A refusal made before the document was read (the body guard, a node that cannot
# serve, a bug) names the reason its status means.
FEDERATION_DOCUMENT_PATHS = frozenset({TRANSACTIONS_PATH, RECONCILE_PATH})
_REASON_BY_STATUS: dict[int, ReasonCode] = {
    400: ReasonCode.MALFORMED,
    405: ReasonCode.MALFORMED,
    413: ReasonCode.TOO_LARGE,
    415: ReasonCode.MALFORMED,
    429: ReasonCode.RATE_LIMITED,
}


def federation_reason(status: int, instance: str) -> dict[str, str]:
    """`{"reason": ...}` for a refusal on a federation document path without one, else {}."""
    if instance not in FEDERATION_DOCUMENT_PATHS:
        return {}
    return {"reason": _REASON_BY_STATUS.get(status, ReasonCode.RECEIVER_UNAVAILABLE).value}


def problem_body(
    status: int, code: ErrorCode | str, detail: str, instance: str, **extra: Any
) -> dict[str, Any]:
    if "reason" not in extra:
        extra = {**extra, **federation_reason(status, instance)}
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
    faults_seen: dict[str, int] = {}  # this app's bad-day refusals so far, by code

    @app.exception_handler(NodeError)
    async def _node_error(request: Request, exc: NodeError) -> JSONResponse:
        extra: dict[str, Any] = {}
        headers: dict[str, str] | None = None
        if isinstance(exc, FederationRefusal):
            extra["reason"] = exc.reason
            if exc.retry_after_ms is not None:  # "come back" (standard §20.6, §21.2)
                extra["retry_after_ms"] = exc.retry_after_ms
                headers = {"Retry-After": str(-(-exc.retry_after_ms // 1000))}
        # A refusal that ends by itself says when to try again (RFC 9110 Retry-After).
        if isinstance(exc, (*RETRY_LATER, DatabaseUnavailable, StorageFull, RouteNotSupported)):
            headers = {"Retry-After": str(exc.retry_after_s)}
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

    async def _database(request: Request, exc: Exception) -> JSONResponse:
        """A database's error, answered where the other coded errors are. Not left to the
        catch-all below: Starlette answers that one from its outermost middleware and then
        raises the error again to the server, which logs it as a crash and drops the client's
        kept-alive connection (a full disk showed it: every 507 was followed by a reset)."""
        fault = storage_fault(exc)
        if fault is None:
            raise exc  # a bug: the catch-all answers 500 with the traceback in the log
        _log_fault(faults_seen, fault, request, exc)
        return await _node_error(request, fault)

    for database_error in DATABASE_ERRORS:
        app.add_exception_handler(database_error, _database)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        fault = storage_fault(exc)
        if fault is not None:  # a bad day raised as another type: the client comes back later
            _log_fault(faults_seen, fault, request, exc)
            return await _node_error(request, fault)
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, ErrorCode.INTERNAL_ERROR, "internal error; see the node log", request)
