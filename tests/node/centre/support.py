"""A member's phone on the personal centre, in a TestClient: sign in through the page, read a
form's secrets, send forms as the browser would."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_ID = re.compile(r'name="id" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF field"
    return found.group(1)


def id_of(html: str) -> str:
    found = _ID.search(html)
    assert found, "the page has no form with a client id"
    return found.group(1)


class Phone:
    """One person's browser: its own cookie jar, redirects not followed."""

    def __init__(self, app: FastAPI, client: tuple[str, int] = ("198.51.100.9", 50000)) -> None:
        self.client = TestClient(app, raise_server_exceptions=False, follow_redirects=False,
                                 client=client)

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def sign_in(self, member: str, pin: str, *, next_path: str = "") -> httpx.Response:
        page = self.get("/me/login" + (f"?next={next_path}" if next_path else ""))
        assert page.status_code == 200, page.text
        form = {"csrf": csrf_of(page.text), "member": member, "pin": pin}
        if next_path:
            form["next"] = next_path
        return self.client.post("/me/login", data=form)

    def post_form(self, path: str, page_path: str, **fields: str) -> httpx.Response:
        """A form sent with the CSRF secret of the page it was drawn on."""
        page = self.get(page_path)
        assert page.status_code == 200, page.text
        return self.client.post(path, data={"csrf": csrf_of(page.text), **fields})

    def post(self, path: str, **fields: str) -> httpx.Response:
        return self.client.post(path, data=fields)
