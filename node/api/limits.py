"""The request body guard, run before any handler (pure ASGI, so nothing is parsed first).

* a body over `body_bytes_max` → 413 body_too_large (declared or streamed)
* a body that has not arrived whole within `body_read_timeout_s` → 408 body_timeout, and the
  connection closes: a client that declares more than it sends (or trickles it) cannot hold a
  connection and a task open for as long as it likes
* a Content-Length that is not a number → 400 malformed_json
* a non-empty body that is not JSON by its Content-Type → 415 unsupported_media_type
* JSON with a repeated key → 400 malformed_json: on the money path "last one wins" is an
  ambiguity, not a convenience ({"amount_minutes": 1, "amount_minutes": 600})

Signed federation transactions (`own_limits`) have their own size limit, the standard's
ceiling; their handler applies the federation policy's limit and the standard's strict parse
(which refuses repeated keys too), so the guard only bounds what it reads.

Paths under `form_prefix` (the web console's and the personal centre's HTML forms) may also
send application/x-www-form-urlencoded, under the same size limit; the pages parse them
themselves.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node.api.problems import PROBLEM_MEDIA_TYPE, problem_body, raw_path
from node.errors import ErrorCode, FixedCodeError

METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
FORM_MEDIA_TYPE = b"application/x-www-form-urlencoded"
BODY_READ_TIMEOUT_S = 15.0


class _DuplicateKey(FixedCodeError):
    """A JSON object naming one key twice; raised out of the parser's hook."""

    CODE = ErrorCode.MALFORMED_JSON


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _media(content_type: bytes) -> bytes:
    return content_type.split(b";", 1)[0].strip().lower()


def _is_json(content_type: bytes) -> bool:
    media = _media(content_type)
    return media == b"application/json" or media.endswith(b"+json")


class BodyGuardMiddleware:
    def __init__(self, app: ASGIApp, *, body_bytes_max: int,
                 own_limits: dict[str, int] | None = None,
                 form_prefix: str | tuple[str, ...] | None = None,
                 body_read_timeout_s: float = BODY_READ_TIMEOUT_S) -> None:
        self.app = app
        self.body_bytes_max = body_bytes_max
        self.body_read_timeout_s = body_read_timeout_s
        self.own_limits = own_limits or {}
        self.form_prefix = form_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS_WITH_BODY:
            await self.app(scope, receive, send)
            return
        own = self.own_limits.get(scope["path"])
        if own is not None:
            await self._bounded(own, scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and not declared.isdigit():
            await self._refuse(
                scope, send, 400, ErrorCode.MALFORMED_JSON, "Content-Length is not a number"
            )
            return
        if declared is not None and int(declared) > self.body_bytes_max:
            await self._too_large(scope, send)
            return
        try:
            body = await self._read(receive)
        except TimeoutError:
            await self._timed_out(scope, send)
            return
        if body is None:
            await self._too_large(scope, send)
            return
        content_type = headers.get(b"content-type", b"")
        if (body and self.form_prefix is not None and _media(content_type) == FORM_MEDIA_TYPE
                and scope["path"].startswith(self.form_prefix)):
            await self.app(scope, _replay(body, receive), send)
            return
        if body and not _is_json(content_type):
            await self._refuse(
                scope,
                send,
                415,
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                "send the body as application/json",
            )
            return
        if body and _has_duplicate_key(body):
            await self._refuse(
                scope, send, 400, ErrorCode.MALFORMED_JSON, "a JSON object repeats a key"
            )
            return
        await self.app(scope, _replay(body, receive), send)

    async def _bounded(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await self._read(receive, limit)
        except TimeoutError:
            await self._timed_out(scope, send)
            return
        if body is None:
            await self._refuse(scope, send, 413, ErrorCode.BODY_TOO_LARGE,
                               f"request body exceeds {limit} bytes")
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive, limit: int | None = None) -> bytes | None:
        """The whole body, or None as soon as it passes the limit (the rest is not read).
        TimeoutError if it has not all arrived within body_read_timeout_s."""
        limit = self.body_bytes_max if limit is None else limit
        chunks: list[bytes] = []
        size = 0
        more = True
        async with asyncio.timeout(self.body_read_timeout_s):
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return b""
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    return None
                chunks.append(chunk)
                more = message.get("more_body", False)
        return b"".join(chunks)

    async def _timed_out(self, scope: Scope, send: Send) -> None:
        await self._refuse(scope, send, 408, ErrorCode.BODY_TIMEOUT,
                           f"the request body did not arrive within {self.body_read_timeout_s:g} s")

    async def _too_large(self, scope: Scope, send: Send) -> None:
        await self._refuse(
            scope,
            send,
            413,
            ErrorCode.BODY_TOO_LARGE,
            f"request body exceeds {self.body_bytes_max} bytes",
        )

    async def _refuse(
        self, scope: Scope, send: Send, status: int, code: ErrorCode, detail: str
    ) -> None:
        data = json.dumps(problem_body(status, code, detail, raw_path(scope))).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(data)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the application the body already read, then the rest as usual."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _has_duplicate_key(body: bytes) -> bool:
    try:
        json.loads(body, object_pairs_hook=_no_duplicates)
    except _DuplicateKey:
        return True
    except (ValueError, RecursionError):
        return False  # not JSON at all: the application answers malformed_json itself
    return False
