"""Every form of the personal centre, found from the app's routes (so a new one is covered the
day it is added), refuses a request without the secret of the page it was drawn on or with a
wrong one, and writes nothing: a page on another site cannot make a member act."""

from __future__ import annotations

import re

from fastapi.routing import iter_route_contexts

from tests.node.api.support import writes_nothing
from tests.node.centre.conftest import Home
from tests.node.people.support import ALICE_PIN

# Path parameters filled with a value of the right shape; the refusal comes before any lookup.
_PARAM = re.compile(r"\{[^}]+\}")


def centre_forms(home: Home) -> list[str]:
    # FastAPI keeps included routers lazily; iter_route_contexts flattens them (as the API's
    # authorization matrix does).
    paths = {str(context.path) for context in iter_route_contexts(home.family.app.routes)
             if str(context.path).split("/")[1] == "me" and "POST" in (context.methods or ())}
    return sorted(_PARAM.sub("centre-x-0001", path) for path in paths)


def test_every_centre_form_needs_its_secret(home: Home) -> None:
    forms = centre_forms(home)
    assert {"/me/login", "/me/activate", "/me/logout", "/me/send", "/me/needs/new",
            "/me/certificate"} <= set(forms)
    phone = home.signed_in("alice", ALICE_PIN)
    refused: dict[str, tuple[int, str]] = {}
    for path in forms:
        for secret in ({}, {"csrf": "0" * 43}):
            with writes_nothing(home.api.node):
                answer = phone.client.post(path, data={"for": "alice", "id": "centre-x-0002",
                                                       **secret})
            code = re.search(r'data-code="([a-z_]+)"', answer.text)
            refused[f"{path} {'wrong' if secret else 'none'}"] = (
                answer.status_code, code.group(1) if code else "")
    assert {key: got for key, got in refused.items() if got != (403, "csrf_refused")} == {}
    assert len(refused) == 2 * len(forms)
    assert len(forms) >= 15, forms  # the routes were found (19 forms when this was written)
