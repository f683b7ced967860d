"""Request and response bodies of members' personal data, consents, export and erasure
(node/privacy/), shared by the API and the pages."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, StrictBool, model_validator

from node.forms.models import TEXT, Closed
from node.privacy.consents import GUARDIAN_NAME_CHARS_MAX, Purpose
from node.privacy.records import (
    ADDRESS_CHARS_MAX,
    CARE_NOTES_CHARS_MAX,
    FIELDS,
    NAME_CHARS_MAX,
    PHONE_CHARS_MAX,
    PHONE_PATTERN,
)
from node.privacy.service import REASON_CHARS_MAX

ID_NUMBER_CHARS_MAX = 24  # 18 characters, perhaps with spaces between groups


class PersonalDataPatch(Closed):
    """The fields to set; a field left out stays, `null` clears it. The ID number is never
    stored or answered: only its keyed hash and a masked form are kept."""

    phone: str | None = Field(default=None, max_length=PHONE_CHARS_MAX, pattern=PHONE_PATTERN)
    emergency_name: str | None = Field(default=None, min_length=1, max_length=NAME_CHARS_MAX,
                                       pattern=TEXT)
    emergency_phone: str | None = Field(default=None, max_length=PHONE_CHARS_MAX,
                                        pattern=PHONE_PATTERN)
    home_address: str | None = Field(default=None, min_length=1,
                                     max_length=ADDRESS_CHARS_MAX, pattern=TEXT)
    id_number: str | None = Field(default=None, min_length=1, max_length=ID_NUMBER_CHARS_MAX,
                                  description="居民身份证号码 (18 characters)")
    care_notes: str | None = Field(default=None, min_length=1, max_length=CARE_NOTES_CHARS_MAX)

    @model_validator(mode="after")
    def _some_field(self) -> PersonalDataPatch:
        if not self.changes():
            raise ValueError(f"name at least one of {', '.join(FIELDS)}")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS if name in self.model_fields_set}


class PersonalDataOut(BaseModel):
    phone: str | None
    emergency_name: str | None
    emergency_phone: str | None
    home_address: str | None
    id_number_masked: str | None = Field(description="e.g. 3201**********1234")
    care_notes: str | None
    updated_by: str | None
    updated_at_ms: int | None


class VisitContactOut(BaseModel):
    """What a home visit needs, given only with her `home_visit_contact` consent."""

    local_id: str
    phone: str | None
    home_address: str | None
    emergency_name: str | None
    emergency_phone: str | None
    consented_at_ms: int | None = Field(description="when her consent in force was recorded")


class PersonalDataCorrected(PersonalDataOut):
    possible_duplicates: list[str] = Field(
        description="local ids of other members stored with the same ID number: a warning")


class ConsentBody(Closed):
    given: StrictBool = Field(description="true gives consent, false withdraws it")
    guardian_name: str | None = Field(
        default=None, min_length=1, max_length=GUARDIAN_NAME_CHARS_MAX, pattern=TEXT,
        description="required for a member under 14: the guardian who consents")


class ConsentRecord(BaseModel):
    id: int
    purpose: Purpose
    guardian_name: str | None
    given_by: str
    given_at_ms: int
    withdrawn_by: str | None
    withdrawn_at_ms: int | None


class ConsentsOut(BaseModel):
    current: dict[str, bool] = Field(description="each purpose: consented now or not")
    history: list[ConsentRecord]


class ErasureBody(Closed):
    reason: str = Field(min_length=1, max_length=REASON_CHARS_MAX, pattern=TEXT,
                        description="her request, as staff saw it")


class ErasureOut(BaseModel):
    local_id: str
    erased: list[str] = Field(description="what was held and is gone")
    already: bool = Field(description="erased before: nothing more to do")


class MemberExport(BaseModel):
    """Everything the node holds about her (node/privacy/export.py)."""

    kind: str
    version: int
    node: str
    made_at_ms: int
    member: dict[str, Any]
    personal_data: dict[str, Any]
    contacts: dict[str, Any]
    consents: dict[str, Any]
    changes: list[dict[str, Any]]
    kin: list[dict[str, Any]]
    balances: dict[str, int]
    ledger_lines: list[dict[str, Any]]
    access_log: list[dict[str, Any]]
