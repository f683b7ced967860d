"""The browser's list of console pages (tests/integration/console_pages.py) names every page the
console serves, so that each is measured for 60 px targets and a 390 px phone."""

from __future__ import annotations

import importlib
import pkgutil
import re

from fastapi import APIRouter
from fastapi.routing import APIRoute

import node.console
from tests.integration.console_pages import (
    ADMIN_PAGES,
    ADMIN_PAGES_AFTER,
    NOT_MEASURED,
    STAFF_PAGES,
)


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def console_pages() -> set[str]:
    """Every GET path of every router in node/console/, its parameters written `{}`."""
    found: set[str] = set()
    for module in pkgutil.iter_modules(node.console.__path__):
        router = getattr(importlib.import_module(f"node.console.{module.name}"), "router", None)
        if isinstance(router, APIRouter):
            found |= {_shape(route.path) for route in router.routes
                      if isinstance(route, APIRoute) and "GET" in route.methods}
    return found


def test_every_console_page_is_measured_in_the_browser() -> None:
    served = console_pages()
    assert "/console/members/{}" in served  # the walk reached the pages
    listed = {_shape(path) for path in (*STAFF_PAGES, *ADMIN_PAGES, *ADMIN_PAGES_AFTER,
                                        *NOT_MEASURED)}
    assert served - listed == set(), "add the page to tests/integration/console_pages.py"
    assert listed - served == set(), "a listed page the console no longer serves"
