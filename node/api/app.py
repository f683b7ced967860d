"""The FastAPI application: thin handlers over the node's services."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI

from node import centre, console
from node.api import docs, problems
from node.api.limits import BodyGuardMiddleware
from node.api.problems import PROBLEM_MEDIA_TYPE
from node.api.routes import (
    certificates,
    exchange,
    federation,
    health,
    ledger,
    lifecycle,
    link_map,
    member_edits,
    members,
    money,
    notifications,
    payments,
    people,
    people_access,
    privacy,
    reconciliation,
    records,
    relocation,
    reports,
    stations,
    timebank_bank,
    timebank_requests,
    visit_codes,
)
from node.api.version_header import VersionHeaderMiddleware
from node.console.pages_import import IMPORTS_PATH, UPLOAD_BODY_BYTES_MAX
from node.exchange.transport import TRANSACTIONS_PATH
from node.forms.models import Problem
from node.reconcile.peer import RECONCILE_PATH
from node.runtime import Node
from protocol.reconciliation import SIZE_FACTOR

# The standard's ceiling for policy.transaction_bytes_max; the handler applies the policy's own.
TRANSACTION_BYTES_CEILING = 4 * 1024 * 1024

# Error answers are documented by reference to one Problem schema (added to the document by
# `_problem_media_type`), not with `"model": Problem`: FastAPI builds a pydantic field per
# response model per route of each app, nine per route here, which was most of the cost of
# building an app's routes (a test federation builds hundreds of apps).
PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"description": description,
             "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}}}
    for status, description in (
        (400, "Malformed request"),
        (401, "No or unknown API token"),
        (403, "Not allowed for this role"),
        (404, "Not found"),
        (409, "Conflict"),
        (413, "Body too large"),
        (415, "Body is not JSON"),
        (422, "Invalid request or refused by the ledger's rules"),
        (503, "Not ready or overloaded"),
    )
}


def _problem_media_type(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """Document error bodies under application/problem+json, the type they are sent with."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas.setdefault("Problem", Problem.model_json_schema(
                ref_template="#/components/schemas/{model}"))
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    for status, response in operation.get("responses", {}).items():
                        content = response.get("content", {})
                        if (
                            status.isdigit()
                            and int(status) >= 400
                            and "application/json" in content
                        ):
                            content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


# Recent FastAPI looks for OpenTelemetry providers on every request. A node configures none, so
# the check is switched off (it cost ~5% of a transfer's CPU); older FastAPI has no such option.
_TELEMETRY_OFF: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


# Read handlers are plain functions run in a thread pool. Forty threads (the default) fighting
# over the GIL cost more than they overlap: a small pool serves reads several times cheaper.
READ_THREADS = 4


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = READ_THREADS
    node: Node = app.state.node
    node.reconciler.attach(asyncio.get_running_loop())
    # The exchange's sender loops run on the server's event loop, beside the handlers.
    await node.exchange.runner.start()
    try:
        yield
    finally:
        await node.exchange.runner.stop()
        await node.exchange.transport.aclose()
        # uvicorn re-raises SIGTERM once it has shut down, so code after `uvicorn.run` never
        # runs then: whatever must close with the server closes here.
        if app.state.on_shutdown is not None:
            app.state.on_shutdown()


def create_app(node: Node, *, on_shutdown: Callable[[], None] | None = None) -> FastAPI:
    """The node's ASGI app. `on_shutdown` runs when the server stops (after the exchange)."""
    app = FastAPI(
        lifespan=_lifespan,
        **_TELEMETRY_OFF,
        title=f"HourBridge node {node.config.node_id}",
        version="1",
        description="Member, staff, admin and regulator API of one HourBridge time bank node.",
        responses=ERROR_RESPONSES,
        docs_url=None,  # node/api/docs.py serves /docs from packaged assets, not a CDN
        redoc_url=None,
    )
    app.state.node = node
    app.state.on_shutdown = on_shutdown
    problems.install(app)
    docs.install(app)
    # Routes are matched in order: the busiest (money) first.
    for router in (money.router, members.router, ledger.router, federation.router,
                   exchange.router, link_map.router, relocation.router, payments.router,
                   health.router,
                   reconciliation.federation_router, reconciliation.router,
                   reconciliation.metrics_router, timebank_requests.router,
                   timebank_bank.router, lifecycle.router, reports.router, notifications.router,
                   people.router, people_access.router, visit_codes.router,
                   member_edits.router, certificates.router, privacy.router, stations.router,
                   records.router):
        app.include_router(router)
    console.install(app, node)
    centre.install(app, node)
    app.add_middleware(
        BodyGuardMiddleware, body_bytes_max=node.config.body_bytes_max,
        own_limits={TRANSACTIONS_PATH: TRANSACTION_BYTES_CEILING,
                    RECONCILE_PATH: SIZE_FACTOR * TRANSACTION_BYTES_CEILING,
                    IMPORTS_PATH: UPLOAD_BODY_BYTES_MAX},  # a file upload (multipart)
        form_prefix=(f"{console.PREFIX}/", f"{centre.PREFIX}/"),
        body_read_timeout_s=node.config.body_read_timeout_s,
    )
    app.add_middleware(VersionHeaderMiddleware)  # outermost: refusals by the guard carry it too
    app.openapi = _problem_media_type(app)  # type: ignore[method-assign]
    return app
