"""A console session in a TestClient: log in through the login page, read forms' secrets."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from tests.conftest import Api

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_ID = re.compile(r'name="id" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF field"
    return found.group(1)


def ids_of(html: str) -> list[str]:
    return _ID.findall(html)


def fresh_client(api: Api) -> TestClient:
    """A second browser on the same node: its own cookie jar."""
    return TestClient(api.client.app, raise_server_exceptions=False, follow_redirects=False)


def log_in(client: TestClient, token: str, *, next_path: str = "") -> httpx.Response:
    page = client.get("/console/login")
    assert page.status_code == 200, page.text
    form = {"csrf": csrf_of(page.text), "token": token}
    if next_path:
        form["next"] = next_path
    return client.post("/console/login", data=form, follow_redirects=False)


def post_form(client: TestClient, path: str, page_path: str, **fields: str) -> httpx.Response:
    """Send a form as a browser would: with the CSRF secret of the page it was drawn on."""
    page = client.get(page_path)
    assert page.status_code == 200, page.text
    return client.post(path, data={"csrf": csrf_of(page.text), **fields},
                       follow_redirects=False)
