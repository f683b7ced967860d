"""The portal's web application: its pages under /portal and a health check at /healthz.

`compose` builds the portal's parts from its folder (the CLI and the tests call it); `create_app`
serves them. The daily schedule is started by `hourbridge portal serve`, not here, so a test's
app makes a report only when the test asks.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse, RedirectResponse

from node.clock import Clock
from node.people.pins import Hasher
from node.portal import pages, pages_auth
from node.portal.accounts import Accounts
from node.portal.folder import PortalFolder
from node.portal.history import ClientFactory, History
from node.portal.schedule import ReportMaker
from node.portal.web import PREFIX, Portal
from protocol.signing import SigningKey


def compose(path: Path, *, key: SigningKey, clock: Clock, hasher: Hasher | None = None,
            client_factory: ClientFactory | None = None) -> Portal:
    """The portal of the folder at `path`, signing its reports with the authority `key`."""
    folder = PortalFolder(path)
    folder.settings()  # a folder without settings stops the start, saying to run init
    history = History(folder, key=key, clock=clock, client_factory=client_factory)
    return Portal(folder=folder, accounts=Accounts(folder, clock=clock, hasher=hasher or Hasher()),
                  history=history, maker=ReportMaker(history), clock=clock)


def create_app(portal: Portal) -> FastAPI:
    app = FastAPI(title="HourBridge regulator's portal", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.portal = portal
    app.include_router(pages_auth.router)
    app.include_router(pages.router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse(PREFIX, status_code=303)

    return app
