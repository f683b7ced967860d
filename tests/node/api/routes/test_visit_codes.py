"""Visit codes over HTTP: the elder's code shown and replaced, the check-in body's `code`,
each refusal as its coded problem, and no route that shows a volunteer the code."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from node.access import Role
from node.timebank.visit_codes import CHECK_IN_TRIES_MAX
from tests.conftest import Api
from tests.node.api.support import assert_problem, writes_nothing

API = "/api/v1"
CODE_PATH = f"{API}/members/gran/visit-code"
R1 = f"{API}/service-requests/r1"


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


class Visit:
    """gran at station east, served by vol, who took request r1."""

    def __init__(self, api: Api) -> None:
        self.api, self.c = api, api.client
        for local_id, year in (("gran", 1940), ("vol", 1990)):
            ok(self.c.post(f"{API}/members", headers=api.admin, json={
                "local_id": local_id, "display_name": local_id.title(), "station": "east",
                "birth_year": year}), 201)
        self.staff = api.headers(api.token("staff", Role.STAFF, station="east"))
        self.gran = api.headers(api.token("gran", Role.MEMBER, member_local_id="gran"))
        self.vol = api.headers(api.token("vol", Role.MEMBER, member_local_id="vol"))
        ok(self.c.post(f"{API}/service-requests", headers=self.staff, json={
            "id": "r1", "recipient": "gran", "category": "daily_living"}), 201)
        ok(self.c.post(f"{R1}/accept", headers=self.vol, json={"volunteer": "vol"}))

    def check_in(self, headers: dict[str, str], body: dict[str, Any] | None) -> httpx.Response:
        response: httpx.Response = self.c.post(f"{R1}/check-in", headers=headers, json=body)
        return response


@pytest.fixture
def visit(api: Api) -> Visit:
    return Visit(api)


def test_the_elder_shows_and_replaces_her_code(visit: Visit) -> None:
    assert ok(visit.c.get(CODE_PATH, headers=visit.gran))["code"] is None
    made = visit.c.post(CODE_PATH, headers=visit.gran)
    assert made.headers["cache-control"] == "no-store"
    first = ok(made)
    assert re.fullmatch(r"[0-9]{6}", first["code"]) and first["card"] == 1
    shown = visit.c.get(CODE_PATH, headers=visit.staff)
    assert shown.headers["cache-control"] == "no-store"
    assert ok(shown) == first
    assert ok(visit.c.post(CODE_PATH, headers=visit.staff))["card"] == 2


def test_the_volunteer_checks_in_with_it(visit: Visit) -> None:
    code = ok(visit.c.post(CODE_PATH, headers=visit.gran))["code"]
    arrived = ok(visit.check_in(visit.vol, {"code": code}))
    assert arrived["state"] == "in_progress"
    assert arrived["history"][-1]["detail"] == "with the visit code (card 1)"


def test_each_refusal_is_its_coded_problem(visit: Visit) -> None:
    with writes_nothing(visit.api.node):
        assert_problem(visit.check_in(visit.vol, {"code": "123456"}), 409, "visit_code_unset")
    code = ok(visit.c.post(CODE_PATH, headers=visit.gran))["code"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with writes_nothing(visit.api.node):
        assert_problem(visit.check_in(visit.vol, None), 422, "visit_code_wrong")
        assert_problem(visit.check_in(visit.vol, {}), 422, "visit_code_wrong")
        for bad in ({"code": "12345"}, {"code": 123456}, {"code": "１２３４５６"},
                    {"code": code, "pin": "1"}):
            assert_problem(visit.check_in(visit.vol, bad), 422, "validation_failed")
    for _ in range(CHECK_IN_TRIES_MAX):
        assert_problem(visit.check_in(visit.vol, {"code": wrong}), 422, "visit_code_wrong")
    with writes_nothing(visit.api.node):
        assert_problem(visit.check_in(visit.vol, {"code": code}), 403, "visit_code_locked")
    # The station's desk checks the volunteer in, with no body, as before visit codes.
    arrived = ok(visit.check_in(visit.staff, None))
    assert arrived["history"][-1]["actor"].startswith("staff:east:")


def _get_paths(api: Api) -> list[str]:
    """Every GET route of the API, its path parameters filled for gran and r1."""
    names = {"local_id": "gran", "request_id": "r1"}
    app = api.client.app
    assert isinstance(app, FastAPI)
    paths = [path for path, operations in app.openapi()["paths"].items() if "get" in operations]
    return [re.sub(r"\{(\w+)\}", lambda m: names.get(m.group(1), "x"), path) for path in paths]


def test_no_route_shows_the_volunteer_the_code(visit: Visit) -> None:
    code = ok(visit.c.post(CODE_PATH, headers=visit.gran))["code"]
    standalone = re.compile(rf"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])")
    assert standalone.search(visit.c.get(CODE_PATH, headers=visit.gran).text)  # the check sees
    paths = _get_paths(visit.api)
    assert CODE_PATH in paths and R1 in paths and len(paths) >= 30
    shown = []
    for path in paths:
        response = visit.c.get(path, headers=visit.vol)
        assert response.status_code != 500, (path, response.text)
        if standalone.search(response.text):
            shown.append(path)
    assert shown == []
    assert_problem(visit.c.get(CODE_PATH, headers=visit.vol), 403, "forbidden")
    with writes_nothing(visit.api.node):
        assert_problem(visit.c.post(CODE_PATH, headers=visit.vol), 403, "forbidden")
    # and the request he took does not carry it either, before or after his visit
    ok(visit.check_in(visit.vol, {"code": code}))
    assert not standalone.search(visit.c.get(R1, headers=visit.vol).text)
