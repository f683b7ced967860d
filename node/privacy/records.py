"""A member's personal data as stored (`personal_data`): what each field may hold, and the view
shown to those allowed to see it (the ID number masked; its hash never leaves the node)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from node.db.schema import personal_data
from node.errors import ErrorCode, RuleViolation
from node.privacy import ids

PHONE_PATTERN = r"^\+?[0-9][0-9 -]{4,30}$"  # a mobile, a landline with area code, E.164
PHONE_CHARS_MAX = 32
NAME_CHARS_MAX = 200
ADDRESS_CHARS_MAX = 500
CARE_NOTES_CHARS_MAX = 2_000
# Stored as given (phones and text); the ID number arrives as `id_number` and is stored as
# `id_hash` and `id_masked`.
TEXT_FIELDS = ("phone", "emergency_name", "emergency_phone", "home_address", "care_notes")
FIELDS = (*TEXT_FIELDS, "id_number")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_LIMITS = {"emergency_name": NAME_CHARS_MAX, "home_address": ADDRESS_CHARS_MAX,
           "care_notes": CARE_NOTES_CHARS_MAX}


def _invalid(field: str, why: str) -> RuleViolation:
    return RuleViolation(ErrorCode.VALIDATION_FAILED, f"{field} {why}")


def check(fields: Mapping[str, Any]) -> None:
    """VALIDATION_FAILED naming the first field that does not pass; None clears a field."""
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise _invalid(unknown[0], "is not a field of a member's personal data")
    for name, value in fields.items():
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise _invalid(name, "must be text (or null to clear it)")
        if name in ("phone", "emergency_phone"):
            if len(value) > PHONE_CHARS_MAX or not re.fullmatch(PHONE_PATTERN, value):
                raise _invalid(name, "must be a phone number: digits, spaces, dashes, a "
                               "leading +")
        elif name == "id_number":
            ids.normalised(value)
        else:
            control = _CONTROL_BUT_NEWLINE if name == "care_notes" else _CONTROL
            if len(value) > _LIMITS[name] or control.search(value):
                raise _invalid(name, f"must be at most {_LIMITS[name]} characters of text")


def stored(conn: Connection, local_id: str) -> Any:
    return conn.execute(select(personal_data).where(
        personal_data.c.member_local_id == local_id)).one_or_none()


def view(row: Any) -> dict[str, Any]:
    """What a reader sees: every field, the ID number masked, who changed it last."""
    if row is None:
        return {**dict.fromkeys(TEXT_FIELDS), "id_number_masked": None, "updated_by": None,
                "updated_at_ms": None}
    return {**{name: getattr(row, name) for name in TEXT_FIELDS},
            "id_number_masked": row.id_masked, "updated_by": row.updated_by,
            "updated_at_ms": row.updated_at_ms}


def present(row: Any) -> list[str]:
    if row is None:
        return []
    names = [name for name in TEXT_FIELDS if getattr(row, name) is not None]
    return names + (["id_number"] if row.id_hash is not None else [])


def write(conn: Connection, local_id: str, values: Mapping[str, Any], *, actor: str,
          now_ms: int) -> None:
    """Store `values` (column names of `personal_data`) over what is there; the row goes when
    no field is left."""
    row = stored(conn, local_id)
    if row is None:
        conn.execute(insert(personal_data).values(
            member_local_id=local_id, updated_by=actor, updated_at_ms=now_ms, **values))
    else:
        conn.execute(update(personal_data).where(
            personal_data.c.member_local_id == local_id).values(
            updated_by=actor, updated_at_ms=now_ms, **values))
    if not present(stored(conn, local_id)):
        conn.execute(delete(personal_data).where(personal_data.c.member_local_id == local_id))


def same_id_members(conn: Connection, local_id: str, id_hash: str) -> list[str]:
    """Other members stored with the same ID-number hash: possible duplicates."""
    return list(conn.execute(select(personal_data.c.member_local_id).where(
        personal_data.c.id_hash == id_hash, personal_data.c.member_local_id != local_id)
        .order_by(personal_data.c.member_local_id)).scalars())
