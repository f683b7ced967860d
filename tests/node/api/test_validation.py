"""Schema violations: 422 validation_failed, and nothing written. Integers are strict (no 90.0,
"90" or true on the money path), amounts are bounded, unknown fields are refused."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.ledger.model import AMOUNT_MINUTES_MAX
from tests.node.api.support import World, assert_problem, db_digest, writes_nothing

TRANSFER = {"id": "t-v", "from": "alice", "to": "bob", "amount_minutes": 30}
GRANT = {
    "id": "g-v",
    "member": "alice",
    "amount_minutes": 30,
    "credit_class": "granted",
    "reason": "care plan",
}
MEMBER = {"local_id": "dora", "display_name": "Dora", "station": "east", "birth_year": 1941}
REVERSAL = {"height": 1, "reason": "entered twice"}
DEACTIVATE = {"reason": "moved away"}
BAD_AMOUNTS = [
    90.0,
    "90",
    True,
    False,
    None,
    [90],
    {"v": 90},
    -5,
    0,
    AMOUNT_MINUTES_MAX + 1,
    10**30,
]
BAD_CLIENT_IDS = ["", "has space", "x" * 65, "-leading", "ümlaut", 5]
BAD_ADDRESSES = ["Alice", "", "x" * 101, "bob@", "bob@x", "@sh-pudong", "bob@Sh-Pudong", 7]


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, **changes}


def without(base: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in base.items() if k != key}


def cases(path: str, bodies: list[Any], label: str) -> list[Any]:
    return [pytest.param(path, body, id=f"{label}={body!r}"[:60]) for body in bodies]


BODY_CASES = [
    *cases(
        "/api/v1/transfers",
        [with_(TRANSFER, amount_minutes=a) for a in BAD_AMOUNTS],
        "transfer.amount",
    ),
    *cases("/api/v1/transfers", [with_(TRANSFER, id=i) for i in BAD_CLIENT_IDS], "transfer.id"),
    *cases("/api/v1/transfers", [with_(TRANSFER, to=a) for a in BAD_ADDRESSES], "transfer.to"),
    *cases(
        "/api/v1/transfers",
        [with_(TRANSFER, **{"from": a}) for a in BAD_ADDRESSES],
        "transfer.from",
    ),
    *cases(
        "/api/v1/transfers",
        [
            with_(TRANSFER, memo="m" * 501),
            with_(TRANSFER, memo=5),
            with_(TRANSFER, fee=1),
            with_(TRANSFER, From="alice"),
            without(TRANSFER, "amount_minutes"),
            without(TRANSFER, "id"),
            [TRANSFER],
            "transfer",
            None,
            {},
        ],
        "transfer",
    ),
    *cases("/api/v1/grants", [with_(GRANT, amount_minutes=a) for a in BAD_AMOUNTS], "grant.amount"),
    *cases("/api/v1/grants", [with_(GRANT, id=i) for i in BAD_CLIENT_IDS], "grant.id"),
    *cases(
        "/api/v1/grants",
        [
            with_(GRANT, credit_class="gold"),
            with_(GRANT, credit_class="GRANTED"),
            with_(GRANT, reason=""),
            with_(GRANT, reason="r" * 501),
            with_(GRANT, member="Alice"),
            with_(GRANT, member="alice@sh-pudong"),
            with_(GRANT, approved_by="admin"),
            without(GRANT, "reason"),
        ],
        "grant",
    ),
    *cases(
        "/api/v1/members",
        [
            with_(MEMBER, local_id="Dora"),
            with_(MEMBER, local_id="-dora"),
            with_(MEMBER, local_id="d" * 65),
            with_(MEMBER, local_id=""),
            with_(MEMBER, display_name=""),
            with_(MEMBER, display_name="D" * 201),
            with_(MEMBER, station="East"),
            with_(MEMBER, birth_year="1941"),
            with_(MEMBER, birth_year=1941.0),
            with_(MEMBER, birth_year=True),
            with_(MEMBER, birth_year=1800),
            with_(MEMBER, birth_year=2200),
            with_(MEMBER, status="active"),
            without(MEMBER, "display_name"),
        ],
        "member",
    ),
    *cases(
        "/api/v1/members/alice/deactivate",
        [
            {"reason": ""},
            {"reason": "r" * 501},
            {},
            with_(DEACTIVATE, when=1),
        ],
        "deactivate",
    ),
    *cases(
        "/api/v1/ledger/reversals",
        [with_(REVERSAL, height=h) for h in (0, -1, "1", 1.0, True, None, 2**63, 10**30)],
        "reversal.height",
    ),
    *cases(
        "/api/v1/ledger/reversals", [without(REVERSAL, "reason"), with_(REVERSAL, x=1)], "reversal"
    ),
]


@pytest.mark.parametrize(("path", "body"), BODY_CASES)
def test_body_violates_schema(world: World, path: str, body: Any) -> None:
    with writes_nothing(world.node):
        assert_problem(world.call("POST", path, "admin", body), 422, "validation_failed")


@pytest.mark.parametrize("raw", [b"NaN", b"Infinity", b"1e400", b"-0.0", b"3e1"])
def test_non_integer_json_numbers_are_refused(world: World, raw: bytes) -> None:
    content = b'{"id": "t-v", "from": "alice", "to": "bob", "amount_minutes": ' + raw + b"}"
    headers = {**world.headers["admin"], "content-type": "application/json"}
    with writes_nothing(world.node):
        response = world.api.client.post("/api/v1/transfers", content=content, headers=headers)
    assert_problem(response, 422, "validation_failed")


BAD_URLS = [
    "/api/v1/members/Alice",
    "/api/v1/members/" + "a" * 65,
    "/api/v1/members/alice%20x/balance",
    "/api/v1/transfers/bad%20id",
    "/api/v1/grants/" + "g" * 65,
    "/api/v1/members?limit=0",
    "/api/v1/members?limit=1001",
    "/api/v1/members?limit=ten",
    "/api/v1/members?after=Bad",
    "/api/v1/members/alice/statement?limit=0",
    "/api/v1/members/alice/statement?limit=-1",
    "/api/v1/members/alice/statement?limit=1e3",
    "/api/v1/members/alice/statement?before_height=0",
    "/api/v1/members/alice/statement?before_height=x",
    f"/api/v1/members/alice/statement?before_height={2**63}",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_path_or_query_violates_schema(world: World, url: str) -> None:
    with writes_nothing(world.node):
        assert_problem(world.call("GET", url, "admin"), 422, "validation_failed")


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=120),
    st.lists(st.integers(), max_size=2),
    st.sampled_from(["alice", "bob", "carol", "alice@sh-pudong", "bob@nj-gulou", "t-ab"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.dictionaries(
        st.sampled_from(["id", "from", "to", "amount_minutes", "amount_units", "memo", "extra"]),
        JSON_VALUES,
    )
)
def test_arbitrary_transfer_bodies_never_fail_the_server(
    world: World, body: dict[str, Any]
) -> None:
    before = db_digest(world.node)
    response = world.call("POST", "/api/v1/transfers", "admin", body)
    assert response.status_code in {200, 201, 400, 404, 409, 422}, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert db_digest(world.node) == before
