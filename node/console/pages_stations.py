"""Operators' pages for the station registry and staff accounts:

    /console/stations                 the stations, register one, deactivate or reactivate
    /console/stations/<id>            correct a station's name, address and district
    /console/staff                    console logins: create, disable, re-enable

Like every console page they call the services the API calls (node.stations, node.staff) with
the signed-in principal (admins only: the services refuse anyone else), check forms with the
API's own models (node/forms/stations.py), and show refusals as coded errors in words.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool

from node.access import Role, require_role
from node.console.pages_members import done_notice
from node.console.web import (
    PREFIX,
    ConsoleRoute,
    Desk,
    FormInvalid,
    desk,
    desk_form,
    redirect,
    render,
    validated,
)
from node.forms.stations import StaffAccountBody, StationBody, StationPatch
from node.staff.accounts import USERNAME
from protocol.addresses import LOCAL_ID_PATTERN

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
StationId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
Username = Annotated[str, PathParam(pattern=f"^{USERNAME.pattern}$", max_length=32)]
Staff = Annotated[Desk, Depends(desk)]
StaffForm = Annotated[tuple[Desk, dict[str, str]], Depends(desk_form)]


def _admin(staff: Desk) -> None:
    require_role(staff.principal, Role.ADMIN, what="manage stations and staff accounts")


def _station_fields(form: dict[str, str]) -> dict[str, Any]:
    return {"name": form.get("name", "").strip(), "address": form.get("address", "").strip(),
            "district_code": form.get("district_code", "").strip()}


@router.get("/stations")
async def stations_page(request: Request, staff: Staff) -> Response:
    _admin(staff)
    found = await run_in_threadpool(staff.node.stations.list, staff.principal)
    return render(request, "stations.html", lang=staff.lang, staff=staff,
                       stations=found, notice=done_notice(staff.lang, request))


@router.post("/stations")
async def create_station(signed_in: StaffForm) -> Response:
    staff, form = signed_in
    _admin(staff)
    try:
        body = validated(StationBody, id=form.get("station_id", "").strip(),
                         **_station_fields(form))
    except FormInvalid as exc:  # the form names the id `station_id` (`id` is the form's own)
        raise FormInvalid(["station_id" if name == "id" else name
                           for name in exc.fields]) from exc
    await run_in_threadpool(staff.node.stations.create, staff.principal, station_id=body.id,
                            name=body.name, address=body.address,
                            district_code=body.district_code)
    return redirect(f"{PREFIX}/stations?done=station_created")


@router.get("/stations/{station_id}")
async def station_page(request: Request, station_id: StationId, staff: Staff) -> Response:
    _admin(staff)
    station = await run_in_threadpool(staff.node.stations.get, staff.principal, station_id)
    return render(request, "station.html", lang=staff.lang, staff=staff, station=station,
                       notice=done_notice(staff.lang, request))


@router.post("/stations/{station_id}")
async def edit_station(station_id: StationId, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    _admin(staff)
    body = validated(StationPatch, **_station_fields(form))
    await run_in_threadpool(staff.node.stations.edit, staff.principal, station_id,
                            name=body.name, address=body.address,
                            district_code=body.district_code)
    return redirect(f"{PREFIX}/stations/{station_id}?done=station_saved")


@router.post("/stations/{station_id}/active")
async def set_station_active(station_id: StationId, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    _admin(staff)
    if form.get("active") not in ("0", "1"):
        raise FormInvalid(["active"])
    active = form["active"] == "1"
    await run_in_threadpool(staff.node.stations.set_active, staff.principal, station_id,
                            active=active)
    done = "station_reactivated" if active else "station_deactivated"
    return redirect(f"{PREFIX}/stations?done={done}")


@router.get("/staff")
async def accounts_page(request: Request, staff: Staff) -> Response:
    _admin(staff)
    accounts = await run_in_threadpool(staff.node.staff.list, staff.principal)
    now_ms = staff.node.clock.now_ms()
    return render(request, "staff_accounts.html", lang=staff.lang, staff=staff,
                       accounts=accounts, now_ms=now_ms, notice=done_notice(staff.lang, request))


@router.post("/staff")
async def create_account(signed_in: StaffForm) -> Response:
    staff, form = signed_in
    _admin(staff)
    role = form.get("role", "")
    body = validated(StaffAccountBody, username=form.get("username", "").strip(), role=role,
                     station=(form.get("station", "").strip() or None) if role == "staff"
                     else None, password=form.get("password", ""))
    await run_in_threadpool(staff.node.staff.create, staff.principal, username=body.username,
                            role=Role(body.role), station=body.station, password=body.password)
    return redirect(f"{PREFIX}/staff?done=account_created")


@router.post("/staff/{username}/disabled")
async def set_account_disabled(username: Username, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    _admin(staff)
    if form.get("disabled") not in ("0", "1"):
        raise FormInvalid(["disabled"])
    disabled = form["disabled"] == "1"
    await run_in_threadpool(staff.node.staff.set_disabled, staff.principal, username,
                            disabled=disabled)
    return redirect(f"{PREFIX}/staff?done={'account_disabled' if disabled else 'account_enabled'}")
