"""The station registry and staff accounts: thin handlers over node/stations/registry.py and
node/staff/accounts.py (docs/records.md, "Stations and staff accounts"). Admins change them;
staff and regulators may read the stations. Passwords are only ever received, never sent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam

from node.access import Role
from node.api.deps import NodeDep, PrincipalDep
from node.forms.stations import (
    StaffAccountBody,
    StaffAccountDisabled,
    StaffAccountList,
    StaffAccountOut,
    StationActive,
    StationBody,
    StationList,
    StationOut,
    StationPatch,
)
from node.staff.accounts import USERNAME
from protocol.addresses import LOCAL_ID_PATTERN

router = APIRouter(prefix="/api/v1", tags=["stations"])
StationId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
Username = Annotated[str, PathParam(pattern=f"^{USERNAME.pattern}$", max_length=32)]


@router.post("/stations", status_code=201, response_model=StationOut,
             summary="Register a station (admins)")
def create_station(body: StationBody, node: NodeDep, principal: PrincipalDep) -> StationOut:
    station = node.stations.create(principal, station_id=body.id, name=body.name,
                                   address=body.address, district_code=body.district_code)
    return StationOut(**station.public())


@router.get("/stations", response_model=StationList, summary="Every station, active first")
def list_stations(node: NodeDep, principal: PrincipalDep) -> StationList:
    return StationList(items=[StationOut(**s.public()) for s in node.stations.list(principal)])


@router.put("/stations/{station_id}", response_model=StationOut,
            summary="Correct a station's name, address and district (admins)")
def edit_station(station_id: StationId, body: StationPatch, node: NodeDep,
                 principal: PrincipalDep) -> StationOut:
    station = node.stations.edit(principal, station_id, name=body.name, address=body.address,
                                 district_code=body.district_code)
    return StationOut(**station.public())


@router.post("/stations/{station_id}/active", response_model=StationOut,
             summary="Deactivate a station (no new member or account may name it) or "
                     "reactivate it (admins)")
def set_station_active(station_id: StationId, body: StationActive, node: NodeDep,
                       principal: PrincipalDep) -> StationOut:
    station = node.stations.set_active(principal, station_id, active=body.active)
    return StationOut(**station.public())


@router.post("/staff-accounts", status_code=201, response_model=StaffAccountOut,
             summary="Create a console login for staff or an admin (admins)")
def create_account(body: StaffAccountBody, node: NodeDep,
                   principal: PrincipalDep) -> StaffAccountOut:
    account = node.staff.create(principal, username=body.username, role=Role(body.role),
                                station=body.station, password=body.password)
    return StaffAccountOut(**account.public())


@router.get("/staff-accounts", response_model=StaffAccountList,
            summary="Every console login (admins)")
def list_accounts(node: NodeDep, principal: PrincipalDep) -> StaffAccountList:
    return StaffAccountList(items=[StaffAccountOut(**a.public())
                                   for a in node.staff.list(principal)])


@router.post("/staff-accounts/{username}/disabled", response_model=StaffAccountOut,
             summary="Disable a console login (its sessions end at once) or re-enable it "
                     "(admins)")
def set_account_disabled(username: Username, body: StaffAccountDisabled, node: NodeDep,
                         principal: PrincipalDep) -> StaffAccountOut:
    account = node.staff.set_disabled(principal, username, disabled=body.disabled)
    return StaffAccountOut(**account.public())
