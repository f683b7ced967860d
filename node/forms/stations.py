"""Request and response bodies of the station registry and staff accounts (node/stations/,
node/staff/): the API's routes and the console's forms check input with these."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, StrictBool

from node.forms.models import TEXT, Closed
from node.people.pins import SECRET_CHARS_MAX
from node.staff.accounts import USERNAME
from node.stations.registry import ADDRESS_CHARS_MAX, DISTRICT_CODE, NAME_CHARS_MAX
from protocol.addresses import LOCAL_ID_PATTERN

DISTRICT = f"^{DISTRICT_CODE.pattern}$"


class StationPatch(Closed):
    """A station's name, address and district: all three, as they should now read."""

    name: str = Field(min_length=1, max_length=NAME_CHARS_MAX, pattern=TEXT)
    address: str = Field(default="", max_length=ADDRESS_CHARS_MAX, pattern=TEXT)
    district_code: str = Field(pattern=DISTRICT, description="6-digit administrative division "
                               "code (GB/T 2260), e.g. 310115")


class StationBody(StationPatch):
    id: str = Field(pattern=LOCAL_ID_PATTERN, max_length=64,
                    description="what members' records name: lowercase, e.g. lujiazui")


class StationActive(Closed):
    active: StrictBool


class StationOut(BaseModel):
    id: str
    name: str
    address: str
    district_code: str
    active: bool
    created_at_ms: int


class StationList(BaseModel):
    items: list[StationOut]


class StaffAccountBody(Closed):
    username: str = Field(pattern=f"^{USERNAME.pattern}$", max_length=32)
    role: Literal["staff", "admin"]
    station: str | None = Field(default=None, pattern=LOCAL_ID_PATTERN, max_length=64,
                                description="a registered, active station; staff only")
    password: str = Field(min_length=1, max_length=SECRET_CHARS_MAX,
                          description="checked by node/staff/passwords.py; never stored")


class StaffAccountDisabled(Closed):
    disabled: StrictBool


class StaffAccountOut(BaseModel):
    username: str
    role: str
    station: str | None
    disabled: bool
    created_at_ms: int
    last_sign_in_at_ms: int | None


class StaffAccountList(BaseModel):
    items: list[StaffAccountOut]
