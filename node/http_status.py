"""Which HTTP status each error of the one tree answers with: the API's problem+json
(node/api/problems.py) and the console's error page use this one table.

It sits below both faces (docs/decisions.md, "Structure (issue 20)"), so the console does not
import the API to show the same status.
"""

from __future__ import annotations

from node.errors import AuthError, Conflict, ErrorCode, NodeError, NotFound, RuleViolation

_STATUS_BY_CODE: dict[ErrorCode, int] = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.SEPARATION_OF_DUTIES: 403,
    ErrorCode.SUBSIDY_CAP_EXCEEDED: 409,
    ErrorCode.CSRF_REFUSED: 403,
    ErrorCode.SIGN_IN_FAILED: 401,
    ErrorCode.SIGN_IN_LOCKED: 429,  # with Retry-After: the lock ends by itself
    ErrorCode.TOO_MANY_ATTEMPTS: 429,
    ErrorCode.MALFORMED_JSON: 400,
    ErrorCode.BODY_TOO_LARGE: 413,
    ErrorCode.IMPORT_TOO_MANY_ROWS: 413,
    ErrorCode.BODY_TIMEOUT: 408,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.NOT_MIGRATED: 503,
    ErrorCode.OVERLOADED: 503,
    ErrorCode.DATABASE_UNAVAILABLE: 503,  # with Retry-After (node/db/faults.py)
    ErrorCode.STORAGE_FULL: 507,  # RFC 4918 Insufficient Storage, with Retry-After
    ErrorCode.NO_DIRECTORY: 503,
    ErrorCode.LINK_MAP_REFUSED: 422,
    ErrorCode.NO_LINK_MAP: 404,
    ErrorCode.NO_ROUTE: 422,
    # with Retry-After: the hop's node_info is read again by then (node/exchange/capabilities.py)
    ErrorCode.ROUTE_NOT_SUPPORTED: 503,
    ErrorCode.INTERNAL_ERROR: 500,
}
_STATUS_BY_CLASS: tuple[tuple[type[NodeError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (RuleViolation, 422),
    (AuthError, 403),
)


def status_for(error: NodeError) -> int:
    if error.code in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[error.code]
    for cls, status in _STATUS_BY_CLASS:
        if isinstance(error, cls):
            return status
    return 422
