"""/openapi.json describes the whole API: summaries, response models, errors as problem+json
and the bearer scheme; /docs renders it."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from tests.conftest import Api

PUBLIC_PATHS = frozenset(
    {"/healthz", "/readyz", "/federation/v1/keys", "/federation/v1/info",
     "/federation/v1/directory",
     "/federation/v1/transactions", "/federation/v1/reconciliation",
     # a member's activation code or PIN is the credential (node/people)
     "/api/v1/people/activate", "/api/v1/people/sessions"}
)
ERROR_STATUSES = ("400", "401", "403", "404", "409", "413", "422")
PROBLEM_REF = "#/components/schemas/Problem"


@pytest.fixture
def spec(api: Api) -> dict[str, Any]:
    response = api.client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
    ]


def test_every_api_route_is_documented(api: Api, spec: dict[str, Any]) -> None:
    app = api.client.app
    assert isinstance(app, FastAPI)
    routes = {
        (method, context.path)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and not context.path.startswith("/console")  # the web console's pages are not the API
        and context.path.split("/")[1] != "me"  # nor are the personal centre's
        for method in context.methods or ()
    }
    documented = {(method, path) for method, path, _ in operations(spec)}
    assert routes == documented
    assert len(routes) >= 15


def test_every_operation_has_a_summary_and_a_response_model(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        assert op.get("summary", "").strip(), (method, path)
        success = [code for code in op["responses"] if code.startswith("2")]
        # One success, or a creation (201) whose repeat answers the stored result (200).
        assert len(success) == 1 or sorted(success) == ["200", "201"], (method, path, success)
        for code in success:
            schema = op["responses"][code]["content"]["application/json"]["schema"]
            assert schema.get("$ref", "").startswith("#/components/schemas/"), (method, path)


def test_errors_are_documented_as_problem_json(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        for status in ERROR_STATUSES:
            content = op["responses"][status]["content"]
            # Errors are served as application/problem+json only, so that is the media type
            # that must carry the Problem schema.
            assert content.get("application/problem+json", {}).get("schema") == {
                "$ref": PROBLEM_REF
            }, (method, path, status, content)
            assert set(content) == {"application/problem+json"}, (method, path, status)


def test_problem_schema_requires_the_rfc_9457_fields(spec: dict[str, Any]) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code", "instance"}


def test_bearer_security_on_every_protected_operation(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes == {
        "HTTPBearer": {
            "type": "http",
            "scheme": "bearer",
            "description": schemes["HTTPBearer"]["description"],
        }
    }
    for method, path, op in operations(spec):
        expected: list[dict[str, list[str]]] = [] if path in PUBLIC_PATHS else [{"HTTPBearer": []}]
        assert op.get("security", []) == expected, (method, path)


def test_request_bodies_are_closed_and_amounts_are_integers(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for name in ("TransferCreate", "GrantCreate", "MemberCreate", "Deactivation", "ReversalCreate"):
        assert schemas[name].get("additionalProperties") is False, name
    for name in ("TransferCreate", "GrantCreate"):
        amount = schemas[name]["properties"]["amount_minutes"]
        assert (amount["type"], amount["exclusiveMinimum"]) == ("integer", 0), name
        assert amount["maximum"] > 0, name


def test_docs_answer_from_the_node_alone(api: Api) -> None:
    """/docs loads Swagger UI from the node, never a CDN (issue 12, finding 7): the page names
    no other host, and every asset it names is served here."""
    response = api.client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text
    assert re.findall(r"https?://", response.text) == []
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", response.text)
    assert set(assets) == {"/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css",
                           "/docs/assets/favicon-32x32.png"}
    for asset in assets:
        served = api.client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 500, asset
    assert api.client.get("/redoc").status_code == 404  # off: no packaged copy of ReDoc


def test_every_create_that_answers_a_retry_documents_its_200(api: Api,
                                                              spec: dict[str, Any]) -> None:
    """An identical retry of a create is answered 200 (node/api/replay.py): documented, or a
    client generated from the document, and the fuzzer, meet an undocumented status."""
    app = api.client.app
    assert isinstance(app, FastAPI)
    replaying = [(method.lower(), context.path)
                 for context in iter_route_contexts(app.routes)
                 if isinstance(context.original_route, APIRoute)
                 and "mark_replay(" in inspect.getsource(context.original_route.endpoint)
                 and context.path in spec["paths"]
                 for method in context.methods or ()]
    assert len(replaying) >= 15
    undocumented = [f"{method.upper()} {path}" for method, path in replaying
                    if "200" not in spec["paths"][path][method]["responses"]]
    assert undocumented == []
