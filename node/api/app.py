"""The FastAPI application: thin handlers over the node's services."""

from __future__ import annotations

from fastapi import FastAPI

from node.api import problems
from node.api.limits import BodyLimitMiddleware
from node.api.models import Problem
from node.api.routes import health, ledger, members, money
from node.runtime import Node

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": Problem, "content": {"application/problem+json": {}}}
    for status in (400, 401, 403, 404, 409, 413, 422)
}


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
    app.add_middleware(BodyLimitMiddleware, body_bytes_max=node.config.body_bytes_max)
    return app
