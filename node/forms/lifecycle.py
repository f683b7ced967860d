"""Request and response bodies of a member's death and the node's closure (docs/timebank.md,
"A member's death" and "Closing the node")."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from node.forms.models import TEXT, Closed, Minutes
from node.timebank.deaths import HEIRS_MAX
from protocol.addresses import NODE_ID_PATTERN

Note = Annotated[str, Field(min_length=1, max_length=200, pattern=TEXT)]
Reason = Annotated[str, Field(min_length=1, max_length=500, pattern=TEXT)]


class HeirShare(Closed):
    relative: str = Field(pattern=r"^[a-z0-9][a-z0-9._@-]{0,99}$",
                          description="a member of this node in the deceased's kin registry")
    minutes: Minutes | None = Field(default=None, description="her share; omit for a sole heir "
                                    "taking everything")


class DeathCreate(Closed):
    heirs: list[HeirShare] = Field(default_factory=list, max_length=HEIRS_MAX)
    note: Note = Field(description="the papers staff saw (a death certificate, the household "
                       "register); never an ID-card number")


class HeirLine(BaseModel):
    relative: str
    minutes: int


class DeathOut(BaseModel):
    member: str
    disposition: str = Field(description="the lifecycle.on_death value applied")
    heirs: list[HeirLine]
    pool_minutes: int
    debt_minutes: int = Field(description="negative classes left on her account")
    note: str
    entry_height: int | None = Field(description="the estate entry; null if she held nothing")
    recorded_by: str
    recorded_at_ms: int


class ClosureCreate(Closed):
    successor: str | None = Field(default=None, pattern=NODE_ID_PATTERN)
    reason: Reason


class ClosingMember(BaseModel):
    member: str
    station: str | None
    status: str
    balance_minutes: int
    destination: str | None = Field(description="the successor node; null: she chooses")


class ClosureOut(BaseModel):
    closing: bool
    on_closure: str
    successor: str | None
    reason: str | None
    decided_by: str | None
    decided_at_ms: int | None
    members: list[ClosingMember]
    more: bool
