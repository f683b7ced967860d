"""Property-based fuzzing of the HTTP API against its own OpenAPI document (schemathesis).

Every operation gets generated requests, valid and invalid, with the token of every role the
node knows (admin, regulator, staff of a station, a member), with a token nobody issued and with
no token. Whatever it sends, the node must never answer 5xx, and every answer must be documented:
its status code, its content type and its body's schema.

The signed federation endpoint is left out of the schema-driven part (a generated body is never
a signed transaction; tests/node/exchange/test_bad_input.py covers the real ones). It gets junk of
its own instead, and mutations of a genuinely signed transaction: always a 4xx problem with the
standard's `reason`, never a 5xx.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_dict
from schemathesis.python.asgi import get_client
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from node.exchange.requests import new_id
from node.exchange.transport import TRANSACTIONS_PATH
from protocol.canonical import canonical_bytes
from protocol.fields import GENESIS_HASH
from protocol.messages.transfer import PrepareBody, PrepareMessage, Purpose
from protocol.transaction import build_transaction
from tests.node.api.conftest import NODE_ID
from tests.node.api.support import PROBLEM_MEDIA_TYPE, World
from tests.support import node_key

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Bounded and reproducible: the same examples on every run, the whole file well under a minute.
# The world fixture is rebuilt per test, not per example, hence the health checks.
FUZZ = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
ROLES = ("admin", "regulator", "staff_own", "member_self", "bad_token", "anonymous")
# The admin may call every operation, so its examples reach furthest: it gets the most. A token
# nobody issued is refused at the door of every operation that needs one, and is no token at
# all on the public ones (which every role's token reaches as well): a few examples each show
# it, as for no token at all. The other roles are refused at the door of most operations and
# fuzz the bodies of their own few.
EXAMPLES_FOR_ROLE = {"bad_token": 5, "anonymous": 8, "regulator": 15, "staff_own": 15,
                     "member_self": 15}
# Path parameters that name something in the world, so the fuzzer also gets past the 404s.
KNOWN_IDS = {"local_id": "alice", "grant_id": "g-alice", "transfer_id": "t-ab", "peer": "nj-gulou"}
PEER = "nj-gulou"


def _operations(world: World) -> list[APIOperation]:
    schema = from_dict(copy.deepcopy(world.app.openapi()))
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if (op.method.upper(), op.path) != ("POST", TRANSACTIONS_PATH)]


def _cases(operation: APIOperation) -> st.SearchStrategy[Any]:
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    names = {param.name for param in operation.path_parameters}
    if names and names <= KNOWN_IDS.keys():
        known = {name: KNOWN_IDS[name] for name in names}
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))
    return st.one_of(strategies)


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented(world: World, role: str) -> None:
    """All operations in one test per role: they share one world, which the fuzzing mutates."""
    # Never entered as a context manager, so the app's lifespan (the exchange's senders) stays
    # off, as with the other API tests' TestClient.
    client = get_client(world.app)
    headers = world.headers[role]
    operations = _operations(world)
    assert len(operations) >= 15
    failures: list[str] = []

    for operation in operations:

        @settings(FUZZ, max_examples=EXAMPLES_FOR_ROLE.get(role, FUZZ.max_examples))
        @given(case=_cases(operation))
        def fuzz(case: Any) -> None:
            if case.headers is not None:
                case.headers.pop("Authorization", None)  # the role's token, or none at all
            case.call_and_validate(session=client, headers=headers, checks=CHECKS)

        try:
            fuzz()
        # schemathesis reports check failures as an exception group; collect every operation's.
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label}: {exc}")

    assert not failures, "\n\n".join(failures)


def _assert_refused(response: Any) -> None:
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_MEDIA_TYPE
    problem = response.json()
    assert problem["status"] == response.status_code
    assert problem["reason"], problem


def _post_transaction(world: World, body: bytes) -> Any:
    return world.api.client.post(
        TRANSACTIONS_PATH, content=body, headers={"Content-Type": "application/json"}
    )


JUNK = st.one_of(
    st.binary(max_size=256),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    ).map(lambda value: json.dumps(value).encode()),
)


def test_junk_transactions_get_a_problem_with_a_reason(world: World) -> None:
    @FUZZ
    @given(body=JUNK)
    def post(body: bytes) -> None:
        _assert_refused(_post_transaction(world, body))

    post()


def _signed_transaction(world: World) -> bytes:
    """A transaction the peer really signed, whose memo is the JSON string "MEMO"."""
    now_ms = world.clock.now_ms()
    prepare = PrepareMessage(message_id=new_id(), body=PrepareBody(
        transfer_id=new_id(), debtor=f"m0@{PEER}", creditor=f"alice@{NODE_ID}", amount_minutes=30,
        credit_class="granted", purpose=Purpose.GIFT, payment_request_id=None,
        created_at_ms=now_ms, expires_at_ms=now_ms + 600_000, memo="MEMO",
    ))
    transaction = build_transaction(
        transaction_id=new_id(), sender=PEER, receiver=NODE_ID, sequence=1,
        prev_hash=GENESIS_HASH, created_at_ms=now_ms, messages=[prepare], key=node_key(PEER),
    )
    return canonical_bytes(transaction.to_json())


# JSON text for the memo's place: any value, lone surrogates (only expressible as \u escapes),
# and integers past 2**53 and past the 4300 digits Python's int() accepts from a string.
MEMO_TEXT = st.one_of(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=6,
    ).map(json.dumps),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3)
    .map(json.dumps),
    st.integers(min_value=16, max_value=6000).map(lambda digits: "9" * digits),
)


# Regressions, both 500s before protocol/wire.py refused them: a lone surrogate broke canonical
# encoding during signature verification; an integer of over 4300 digits made int() raise.
LONE_SURROGATE = '"\\ud800"'
HUGE_INTEGER = "9" * 5000


def test_tampered_signed_transactions_get_a_problem_with_a_reason(world: World) -> None:
    """Past the signature lookup: these reach signature verification and the wire's limits."""
    signed = _signed_transaction(world)
    assert b'"MEMO"' in signed

    @FUZZ
    @example(memo=LONE_SURROGATE)
    @example(memo=HUGE_INTEGER)
    @given(memo=MEMO_TEXT)
    def post(memo: str) -> None:
        response = _post_transaction(world, signed.replace(b'"MEMO"', memo.encode()))
        _assert_refused(response)
        if memo in (LONE_SURROGATE, HUGE_INTEGER):
            assert response.json()["reason"] == "malformed"

    post()
