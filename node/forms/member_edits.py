"""Request and response bodies of correcting members' records, their history, duplicates and
merges (node/services/member_edits.py, member_merge.py)."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictBool, model_validator

from node.forms.models import TEXT, Closed, MemberOut, StrictInt
from node.services.member_edits import (
    BIRTH_YEAR_MAX,
    BIRTH_YEAR_MIN,
    EDITABLE_FIELDS,
    NAME_CHARS_MAX,
    REASON_CHARS_MAX,
)
from protocol.addresses import LOCAL_ID_PATTERN


class MemberPatch(Closed):
    """The fields to correct, and why. A field left out stays as it is; `birth_year: null`
    records that it is not known. At least one field besides the reason."""

    display_name: str | None = Field(default=None, min_length=1, max_length=NAME_CHARS_MAX,
                                     pattern=TEXT)
    birth_year: StrictInt | None = Field(default=None, ge=BIRTH_YEAR_MIN, le=BIRTH_YEAR_MAX)
    station: str | None = Field(default=None, pattern=LOCAL_ID_PATTERN, max_length=64,
                                description="moves her to this station's staff")
    hardship: StrictBool | None = Field(default=None, description="vetted as in hardship")
    subsidised: StrictBool | None = Field(default=None,
                                          description="her services paid from issuance")
    reason: str = Field(min_length=1, max_length=REASON_CHARS_MAX, pattern=TEXT)

    @model_validator(mode="after")
    def _some_field(self) -> MemberPatch:
        given = self.changes()
        if not given:
            raise ValueError(f"name at least one of {', '.join(EDITABLE_FIELDS)}")
        nulls = sorted(name for name, value in given.items()
                       if value is None and name != "birth_year")
        if nulls:
            raise ValueError(f"{nulls[0]} cannot be null")
        return self

    def changes(self) -> dict[str, object]:
        """The fields the body names, with their values."""
        return {name: getattr(self, name) for name in EDITABLE_FIELDS
                if name in self.model_fields_set}


class MemberEdited(MemberOut):
    hardship: bool
    subsidised: bool
    changed: list[str] = Field(description="the fields this request changed (none: all were "
                                           "already so)")


class MemberCreated(MemberOut):
    possible_duplicates: list[MemberOut] = Field(
        description="members of the same station with the same name and birth year: a "
                    "warning, the member is registered all the same")


class MemberChange(BaseModel):
    id: int
    field: str = Field(description="display_name, birth_year, station, hardship, subsidised, "
                                   "status, merged_into or merged_from")
    before: str | None
    after: str | None
    reason: str
    actor: str
    actor_label: str | None = Field(description="the label of the token that made it")
    other_name: str | None = Field(description="for a merge: the other member's name")
    at_ms: int


class MemberChangePage(BaseModel):
    items: list[MemberChange]
    next_before_id: int | None


class MemberMergeBody(Closed):
    into: str = Field(pattern=LOCAL_ID_PATTERN, max_length=64,
                      description="the member kept; the one in the path is the duplicate")
    reason: str = Field(min_length=1, max_length=REASON_CHARS_MAX, pattern=TEXT)


class MemberMerged(BaseModel):
    duplicate: MemberOut
    kept: MemberOut
    moved_by_class_minutes: dict[str, int]
    entry_height: int | None
