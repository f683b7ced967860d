"""A volunteer with settled visits on a real SQLite node, and the service that certifies them."""

from __future__ import annotations

from node.access import Principal
from node.certificates.service import Certificates, for_node
from node.clock import FakeClock
from node.runtime import Node
from tests.factories import grant
from tests.node.timebank.conftest import SECOND_STAFF, member, people, serve

VOLUNTEER = "vol"
ELDER = "gran"


def service(node: Node) -> Certificates:
    return for_node(node)


def settled_visits(node: Node, clock: FakeClock, *visits: tuple[str, str, int]) -> None:
    """(request id, category, minutes) each served by vol for gran and paid."""
    people(node, (ELDER, 1940), (VOLUNTEER, 1990))
    grant(node, ELDER, sum(minutes for _, _, minutes in visits))
    for request_id, category, minutes in visits:
        serve(node, request_id, recipient=ELDER, volunteer=VOLUNTEER, minutes=minutes,
              clock=clock, category=category)
        node.timebank.requests.confirm(SECOND_STAFF, request_id, rating=5, comment="")


def volunteer() -> Principal:
    return member(VOLUNTEER)
