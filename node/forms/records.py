"""Request and response bodies of a volunteer's records: corrections of paid visits and
qualifications (docs/timebank.md, docs/records.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from node.forms.models import CLIENT_ID_PATTERN, TEXT, Closed
from node.forms.timebank import Reason, SlipRecord

DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
CODE = r"^[a-z][a-z0-9_]{0,39}$"
Label = Annotated[str, Field(min_length=1, max_length=200, pattern=TEXT)]
Day = Annotated[str, Field(pattern=DAY_PATTERN, description="a day, YYYY-MM-DD (China time)")]


class CorrectionRecord(SlipRecord):
    """A paid visit's correction: a client id, then the slip as for a slip."""

    id: str = Field(pattern=CLIENT_ID_PATTERN, description="client-chosen idempotency key")


class CorrectionWithdraw(Closed):
    """Why a pending correction is withdrawn (its recorder or an admin)."""

    reason: Reason


class QualificationCreate(Closed):
    id: str = Field(pattern=CLIENT_ID_PATTERN, description="client-chosen idempotency key")
    kind: str = Field(pattern=CODE, description="the kind the policy names, e.g. health_care")
    title: Label
    issuer: Label
    valid_from: Day
    valid_until: Day | None = Field(default=None, description="last valid day; none: no end")
    evidence_ref: Label = Field(description="the certificate's number or the register's entry")


class QualificationOut(BaseModel):
    id: str
    member: str
    kind: str
    title: str
    issuer: str
    valid_from: str
    valid_until: str | None
    evidence_ref: str
    recorded_by: str
    recorded_at_ms: int
    valid_today: bool | None = None


class QualificationPage(BaseModel):
    items: list[QualificationOut]
