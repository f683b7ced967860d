"""The API's interactive docs at /docs (Swagger UI), served entirely by the node.

FastAPI's own /docs page loads Swagger UI's script and stylesheet from a CDN, so on a machine
without internet (a district office's intranet, a care home's closed network) the page stays
blank. Here the assets come from the `swagger-ui-bundle-v2` distribution, a Python dependency
(pyproject.toml) installed with the node, and are served under /docs/assets: nothing is fetched
at run time, and the page names no other host. ReDoc is off (no packaged copy of it is
installed, and one set of docs is enough).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

DOCS_PATH = "/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"
OAUTH2_REDIRECT_PATH = f"{DOCS_PATH}/oauth2-redirect"


def install(app: FastAPI) -> None:
    """Serve Swagger UI at /docs from the packaged assets. Create `app` with docs_url=None and
    redoc_url=None, so FastAPI does not add its CDN pages."""
    assert app.docs_url is None and app.redoc_url is None and app.openapi_url
    openapi_url = app.openapi_url
    app.mount(ASSETS_PATH, StaticFiles(directory=Path(str(swagger_ui_path))), name="docs-assets")

    async def docs(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{app.title} - API docs",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
            oauth2_redirect_url=OAUTH2_REDIRECT_PATH,
            # Never ask swagger.io's online validator about the spec (it would leave the node).
            swagger_ui_parameters={"validatorUrl": None},
        )

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    # Plain routes, as FastAPI adds its own docs pages: pages, not operations of the API.
    app.add_route(DOCS_PATH, docs, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT_PATH, oauth2_redirect, include_in_schema=False)
