"""GET /api/v1/federation/link-map and /route (standard §22, draft): what the node holds and the
route it would take, for the administrator and the regulator (roles: the authorization
matrix)."""

from __future__ import annotations

from node.access import Role
from tests.conftest import Api
from tests.node.api.support import assert_problem
from tests.node.test_linkmap import NODES, link_map
from tests.support import directory_document

MAP = "/api/v1/federation/link-map"
ROUTE = "/api/v1/federation/route"


def test_without_a_map_404_and_the_route_is_direct(api: Api) -> None:
    api.node.federation.accept(directory_document(NODES))
    assert_problem(api.client.get(MAP, headers=api.admin), 404, "no_link_map")
    reply = api.client.get(ROUTE, params={"to": "zj-jiaxing"}, headers=api.admin)
    assert reply.json() == {"route": ["sh-pudong", "zj-jiaxing"], "links": 1,
                            "link_map_serial": None}


def test_the_held_map_and_the_route_through_the_hub(api: Api) -> None:
    directory = directory_document(NODES)
    api.node.federation.accept(directory)
    document = link_map(directory)
    api.node.link_maps.accept(document)
    regulator = api.headers(api.token("regulator", Role.REGULATOR))
    assert api.client.get(MAP, headers=regulator).json() == document
    reply = api.client.get(ROUTE, params={"to": "zj-jiaxing"}, headers=regulator)
    assert reply.json() == {"route": ["sh-pudong", "js-hub", "zj-jiaxing"], "links": 2,
                            "link_map_serial": 1}


def test_route_refusals_are_coded_problems(api: Api) -> None:
    assert_problem(api.client.get(ROUTE, params={"to": "js-hub"}, headers=api.admin),
                   503, "no_directory")
    api.node.federation.accept(directory_document(NODES, status={"zj-hub": "suspended"}))
    cases = {"bj-nowhere": "unknown_node", "zj-hub": "peer_not_active",
             "sh-pudong": "no_route", "Not An Id": "validation_failed"}
    for target, code in cases.items():
        assert_problem(api.client.get(ROUTE, params={"to": target}, headers=api.admin),
                       422, code)
