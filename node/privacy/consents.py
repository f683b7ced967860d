"""Consent per purpose (PIPL art. 14): each purpose is consented to separately, the record keeps
who recorded it and when, and a withdrawal closes it (art. 15) without erasing the record.

A member under 14 (art. 31) consents through a guardian, whom the consent names; without a
name it is refused (`guardian_required`). Her age is known only by birth year, so she counts as
under 14 until the calendar year she turns 15 begins: the careful side of the year she turns 14.
A member whose birth year is unknown likewise needs a guardian named (`age_unknown` is the
policy's refusal for age rules; here the law asks for the safer reading). Withdrawing never
needs a guardian: it only narrows what the node may do.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from node.db.fast import FastStatement
from node.db.schema import privacy_consents
from node.errors import ErrorCode, RuleViolation

GUARDIAN_AGE_BELOW = 14
GUARDIAN_NAME_CHARS_MAX = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Purpose(StrEnum):
    HOME_VISIT_CONTACT = "home_visit_contact"  # phone and address given to visiting volunteers
    NOTICES = "notices"  # notifications by SMS, WeChat or e-mail
    SHARE_ON_RELOCATION = "share_on_relocation"  # her profile sent to the node she moves to
    CROSS_NODE_GIFTS = "cross_node_gifts"  # her name shown to kin at other nodes


def needs_guardian(birth_year: int | None, now_ms: int) -> bool:
    if birth_year is None:
        return True
    year = datetime.fromtimestamp(now_ms / 1000, tz=UTC).year
    return year - birth_year <= GUARDIAN_AGE_BELOW


def check_guardian(guardian_name: str | None, *, birth_year: int | None, now_ms: int) -> None:
    if guardian_name is not None and not (
            guardian_name.strip() and len(guardian_name) <= GUARDIAN_NAME_CHARS_MAX
            and not _CONTROL.search(guardian_name)):
        raise RuleViolation(ErrorCode.VALIDATION_FAILED, "guardian_name must be 1 to "
                            f"{GUARDIAN_NAME_CHARS_MAX} characters of text")
    if guardian_name is None and needs_guardian(birth_year, now_ms):
        raise RuleViolation(ErrorCode.GUARDIAN_REQUIRED,
                            "the member is under 14 (or her birth year is unknown): her "
                            "guardian consents, and the consent names the guardian")


# Asked on every gift made for someone else (node/services/transfers.py): compiled once.
_OPEN = FastStatement(select(privacy_consents).where(
    privacy_consents.c.member_local_id == bindparam("member"),
    privacy_consents.c.purpose == bindparam("purpose"),
    privacy_consents.c.withdrawn_at_ms.is_(None)).order_by(privacy_consents.c.id).limit(1))


def _open(conn: Connection, local_id: str, purpose: Purpose) -> Any:
    found = _OPEN.rows(conn, {"member": local_id, "purpose": str(purpose)})
    return found[0] if found else None


def has_consent(conn: Connection, local_id: str, purpose: Purpose) -> bool:
    """Whether she consents to `purpose` now: what other parts of the node ask before they use
    her data for it."""
    return _open(conn, local_id, purpose) is not None


def consented_at(conn: Connection, local_id: str, purpose: Purpose) -> int | None:
    """When her consent to `purpose` standing now was given, or None."""
    row = _open(conn, local_id, purpose)
    return None if row is None else int(row.given_at_ms)


def give(conn: Connection, local_id: str, purpose: Purpose, *, guardian_name: str | None,
         actor: str, now_ms: int) -> bool:
    """Record consent; False when she consents already (the open record stands)."""
    if _open(conn, local_id, purpose) is not None:
        return False
    conn.execute(insert(privacy_consents).values(
        member_local_id=local_id, purpose=str(purpose), guardian_name=guardian_name,
        given_by=actor, given_at_ms=now_ms))
    return True


def withdraw(conn: Connection, local_id: str, purpose: Purpose, *, actor: str,
             now_ms: int) -> bool:
    """Close the open consent; False when there was none."""
    found = _open(conn, local_id, purpose)
    if found is None:
        return False
    conn.execute(update(privacy_consents).where(privacy_consents.c.id == found.id).values(
        withdrawn_by=actor, withdrawn_at_ms=now_ms))
    return True


def listed(conn: Connection, local_id: str) -> dict[str, Any]:
    """Where each purpose stands now, and every record, oldest first."""
    rows = conn.execute(select(privacy_consents).where(
        privacy_consents.c.member_local_id == local_id).order_by(privacy_consents.c.id)).all()
    history = [{"id": row.id, "purpose": row.purpose, "guardian_name": row.guardian_name,
                "given_by": row.given_by, "given_at_ms": row.given_at_ms,
                "withdrawn_by": row.withdrawn_by, "withdrawn_at_ms": row.withdrawn_at_ms}
               for row in rows]
    current = {str(purpose): False for purpose in Purpose}
    for row in rows:
        current[row.purpose] = row.withdrawn_at_ms is None
    return {"current": current, "history": history}
