"""The station registry: admins register, edit and deactivate stations; once any is
registered, a member's station must be a registered, active one (`station_unknown`)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from node.access import Principal, Role
from node.db.schema import tb_audit
from node.errors import ErrorCode, NodeError
from node.runtime import Node
from node.stations.registry import require_station, station_exists
from tests.conftest import Api

ADMIN = Principal(Role.ADMIN, "t-admin")
STAFF = Principal(Role.STAFF, "t-staff", station="lujiazui")


def _register(node: Node, station_id: str = "lujiazui", name: str = "陆家嘴服务站") -> None:
    node.stations.create(ADMIN, station_id=station_id, name=name, address="浦东大道 1 号",
                         district_code="310115")


def _code(exc: pytest.ExceptionInfo[NodeError]) -> str:
    return str(exc.value.code)


def test_an_empty_registry_keeps_free_labels_then_refuses_unknown_stations(
        sqlite_node: Node) -> None:
    node = sqlite_node
    node.members.create(ADMIN, local_id="old", display_name="旧", station="any-label",
                        birth_year=1950)  # older nodes keep working
    _register(node)
    node.members.create(ADMIN, local_id="wang", display_name="王", station="lujiazui",
                        birth_year=1948)
    with pytest.raises(NodeError) as refused:
        node.members.create(ADMIN, local_id="li", display_name="李", station="lujiazul",
                            birth_year=1948)
    assert _code(refused) == ErrorCode.STATION_UNKNOWN
    node.members.create(ADMIN, local_id="zhao", display_name="赵", station=None,
                        birth_year=1948)  # unplaced is still allowed
    # A correction that moves her must name a registered station; other fields still pass.
    with pytest.raises(NodeError) as moved:
        node.member_edits.edit(ADMIN, "wang", fields={"station": "nowhere"}, reason="搬家")
    assert _code(moved) == ErrorCode.STATION_UNKNOWN
    node.member_edits.edit(ADMIN, "old", fields={"birth_year": 1951}, reason="更正")


def test_a_deactivated_station_takes_no_new_members(sqlite_node: Node) -> None:
    node = sqlite_node
    _register(node)
    _register(node, "huamu", "花木服务站")
    node.stations.set_active(ADMIN, "huamu", active=False)
    with node.db.read() as conn:
        assert station_exists(conn, "lujiazui") and not station_exists(conn, "huamu")
        assert station_exists(conn, "huamu", active_only=False)
        require_station(conn, None)
        with pytest.raises(NodeError):
            require_station(conn, "huamu")
    with pytest.raises(NodeError) as refused:
        node.members.create(ADMIN, local_id="x", display_name="X", station="huamu",
                            birth_year=None)
    assert _code(refused) == ErrorCode.STATION_UNKNOWN
    node.stations.set_active(ADMIN, "huamu", active=True)
    node.members.create(ADMIN, local_id="x", display_name="X", station="huamu", birth_year=None)


def test_only_admins_change_the_registry_and_every_change_is_audited(sqlite_node: Node) -> None:
    node = sqlite_node
    with pytest.raises(NodeError) as denied:
        node.stations.create(STAFF, station_id="s1", name="S", address="", district_code="310115")
    assert _code(denied) == ErrorCode.FORBIDDEN
    _register(node)
    with pytest.raises(NodeError) as twice:
        _register(node)
    assert _code(twice) == ErrorCode.STATION_EXISTS
    for bad in ({"district_code": "31011"}, {"district_code": "abcdef"}, {"name": " "}):
        fields = {"name": "站", "address": "", "district_code": "310115", **bad}
        with pytest.raises(NodeError) as invalid:
            node.stations.edit(ADMIN, "lujiazui", **fields)
        assert _code(invalid) == ErrorCode.VALIDATION_FAILED
    edited = node.stations.edit(ADMIN, "lujiazui", name="陆家嘴街道服务站", address="",
                                district_code="310115")
    assert edited.name == "陆家嘴街道服务站"
    node.stations.set_active(ADMIN, "lujiazui", active=False)
    node.stations.set_active(ADMIN, "lujiazui", active=False)  # no change, not recorded again
    with node.db.read() as conn:
        actions = conn.execute(select(tb_audit.c.action).where(
            tb_audit.c.subject == "station:lujiazui").order_by(tb_audit.c.id)).scalars().all()
    assert actions == ["station_created", "station_edited", "station_deactivated"]
    assert [s.id for s in node.stations.list(STAFF)] == ["lujiazui"]


def test_the_api_registers_stations_and_refuses_an_unknown_one(api: Api) -> None:
    made = api.client.post("/api/v1/stations", headers=api.admin, json={
        "id": "lujiazui", "name": "陆家嘴服务站", "district_code": "310115"})
    assert made.status_code == 201, made.text
    assert made.json()["active"] is True
    refused = api.client.post("/api/v1/members", headers=api.admin, json={
        "local_id": "li", "display_name": "李", "station": "lujiazul", "birth_year": 1948})
    assert refused.status_code == 422
    assert refused.json()["code"] == "station_unknown"
    bad = api.client.post("/api/v1/stations", headers=api.admin, json={
        "id": "Bad Id", "name": "x", "district_code": "310115"})
    assert bad.status_code == 422
