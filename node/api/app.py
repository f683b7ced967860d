"""The FastAPI application: thin handlers over the node's services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from node.api import problems
from node.api.limits import BodyGuardMiddleware
from node.api.models import Problem
from node.api.problems import PROBLEM_MEDIA_TYPE
from node.api.routes import health, ledger, members, money
from node.runtime import Node

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": Problem, "description": description}
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


def create_app(node: Node) -> FastAPI:
    app = FastAPI(
        title=f"HourBridge node {node.config.node_id}",
        version="1",
        description="Member, staff, admin and regulator API of one HourBridge time bank node.",
        responses=ERROR_RESPONSES,
    )
    app.state.node = node
    problems.install(app)
    for router in (health.router, members.router, money.router, ledger.router):
        app.include_router(router)
    app.add_middleware(BodyGuardMiddleware, body_bytes_max=node.config.body_bytes_max)
    app.openapi = _problem_media_type(app)  # type: ignore[method-assign]
    return app
