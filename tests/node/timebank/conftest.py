"""Nodes running a given time-bank policy, and a small cast: staff at station `east`, elders and
volunteers with birth years that put them on either side of the example policies' ages."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from node.access import Principal, Role
from node.clock import FakeClock
from node.runtime import Node
from tests.factories import ADMIN
from tests.support import START_MS, build_node, make_config

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "policies"
STAFF = Principal(Role.STAFF, "staff-east", station="east")
# Another staff member of the same station: approves payments for visits STAFF served, since
# whoever acts for the volunteer never approves the payment (separation of duties).
SECOND_STAFF = Principal(Role.STAFF, "staff-east-2", station="east")
YEAR = 2026  # START_MS is in 2026 (China Standard Time)
assert 1_767_196_800_000 <= START_MS < 1_798_732_800_000

PolicyNode = Callable[..., Node]


def member(local_id: str) -> Principal:
    return Principal(Role.MEMBER, f"tok-{local_id}", member_local_id=local_id)


@pytest.fixture
def policy_node(tmp_path: Path, clock: FakeClock) -> Iterator[PolicyNode]:
    """policy_node("ruian") runs examples/policies/ruian.toml; policy_node(policy={...}) runs
    that document (as JSON); policy_node() the built-in default."""
    opened: list[Node] = []

    def factory(example: str | None = None, *, policy: dict[str, Any] | None = None,
                node_id: str = "sh-pudong") -> Node:
        data = tmp_path / node_id
        config = make_config(data, node_id)
        if example is not None:
            config = config.model_copy(update={"policy_file": str(EXAMPLES / f"{example}.toml")})
        elif policy is not None:
            path = data / "policy.json"
            path.write_text(json.dumps(policy), encoding="utf-8")
            config = config.model_copy(update={"policy_file": "policy.json"})
        node = build_node(config, clock, bootstrap=True)
        opened.append(node)
        return node

    yield factory
    for node in opened:
        node.close()


def people(node: Node, *cast: tuple[str, int | None], station: str | None = "east") -> None:
    for local_id, birth_year in cast:
        node.members.create(ADMIN, local_id=local_id, display_name=local_id.title(),
                            station=station, birth_year=birth_year)


def visit_code(node: Node, local_id: str) -> str:
    """The member's visit code, which a volunteer checking in on his phone gives; an admin
    makes her first one when she has none."""
    codes = node.timebank.visit_codes
    code = codes.show(ADMIN, local_id)["code"] or codes.rotate(ADMIN, local_id)["code"]
    return str(code)


def serve(node: Node, request_id: str, *, recipient: str, volunteer: str, minutes: int,
          clock: FakeClock, category: str | None = "daily_living", item: str | None = None,
          actor: Principal = STAFF, poster: Principal | None = None) -> dict[str, Any]:
    """Post (by `poster`, else `actor`), accept, check in, wait `minutes`, check out (by
    `actor`): the request is completed and held."""
    requests = node.timebank.requests
    requests.post(poster or actor, request_id=request_id, recipient=recipient, category=category,
                  item=item, description="help at home")
    requests.accept(actor, request_id, volunteer=volunteer)
    code = visit_code(node, recipient) if actor.role == Role.MEMBER else None
    requests.check_in(actor, request_id, code=code)
    clock.advance(minutes * 60_000)
    return requests.check_out(actor, request_id)
