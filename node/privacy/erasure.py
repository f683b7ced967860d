"""Erasure (PIPL art. 47): a member's personal data anonymised, her accounts kept.

What goes: her `personal_data` row and `member_contacts`; her sign-in (PIN hash and open
activation codes); the names of guardians in her consents; her name and birth year on her
record (the name becomes ERASED_NAME) and in the before/after of its corrections; and every
value of hers (names, phones, address, e-mail) where staff may have typed it into free text
about her: reasons of corrections and vetting, the audit trail's details, her service requests'
descriptions, comments and disputes, a death record's note; relatives that arrived with her
relocation and wait for staff (`tb_kin_pending`: unvetted claims that count for nothing).

What stays: her local id, her accounts, balances and every journal entry, checkpoint, report,
statement and signature, none of which ever held personal data; her confirmed kin registry
(`tb_kin`: member addresses and relations, which the policy's inheritance reads for the hours
she still holds); the consent records (that she
consented, when, recorded by whom), the access log, and the corrections' dates and actors,
which show the node acted lawfully. A member who is relocating is refused (her data is on its
way to another node); an active member is deactivated (reason "erased").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, delete, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from node import states
from node.db.schema import (
    member_changes,
    member_contacts,
    member_credentials,
    member_invitations,
    members,
    personal_data,
    privacy_consents,
    tb_audit,
    tb_deaths,
    tb_disputes,
    tb_kin_pending,
    tb_profiles,
    tb_service_requests,
)
from node.errors import ErrorCode, RuleViolation
from node.states import MEMBER_ACTIVE, MEMBER_DEACTIVATED, MEMBER_RELOCATING

ERASED_NAME = "已注销成员"  # "a member whose data was erased"
ERASED_REASON = states.ERASED_REASON
REDACTED = "[已删除]"
ERASED_FIELD = "erased"  # the member_changes row that records an erasure and its reason
VALUE_CHARS_MIN = 2  # a shorter value would cut through unrelated text
PERSONAL_FIELDS = ("display_name", "birth_year")  # corrections whose values go


def is_erased(row: Any) -> bool:
    return bool(row.display_name == ERASED_NAME and row.deactivation_reason == ERASED_REASON)


def _values(conn: Connection, row: Any) -> list[str]:
    """Every value of hers the node knows, longest first (a name inside an address goes with
    the address)."""
    found = {row.display_name}
    found |= {value for field, before, after in conn.execute(
        select(member_changes.c.field, member_changes.c.before, member_changes.c.after)
        .where(member_changes.c.member_local_id == row.local_id))
        if field == "display_name" for value in (before, after) if value}
    data = conn.execute(select(personal_data).where(
        personal_data.c.member_local_id == row.local_id)).one_or_none()
    if data is not None:
        found |= {data.phone, data.emergency_name, data.emergency_phone, data.home_address}
    contact = conn.execute(select(member_contacts).where(
        member_contacts.c.member_local_id == row.local_id)).one_or_none()
    if contact is not None:
        found |= {contact.email, contact.gateway_recipient}
    return sorted((v for v in found if v and len(v) >= VALUE_CHARS_MIN), key=len, reverse=True)


def _scrub(conn: Connection, table: Table, column: str, where: ColumnElement[bool],
           values: Iterable[str]) -> None:
    keys = list(table.primary_key.columns)
    values = list(values)
    for row in conn.execute(select(*keys, table.c[column]).where(where)).all():
        text = row[-1]
        if text is None:
            continue
        cleaned = text
        for value in values:
            cleaned = cleaned.replace(value, REDACTED)
        if cleaned != text:
            match = [key == row[i] for i, key in enumerate(keys)]
            conn.execute(update(table).where(*match).values({column: cleaned}))


def erase(conn: Connection, row: Any, *, reason: str, actor: str, now_ms: int) -> list[str]:
    """Anonymise member `row` in the caller's transaction, recording the erasure and its reason
    in her history (scrubbed like the rest); what was held, by name."""
    if row.status == MEMBER_RELOCATING:
        raise RuleViolation(ErrorCode.MEMBER_INACTIVE, f"{row.local_id} is relocating: her "
                            "data is on its way to the other node; erase once it is settled")
    local_id, values = row.local_id, _values(conn, row)
    held = [name for name, table in (("personal_data", personal_data),
                                     ("contacts", member_contacts),
                                     ("sign_in", member_credentials),
                                     ("pending_kin", tb_kin_pending))
            if conn.execute(select(table).where(
                table.c.member_local_id == local_id)).first() is not None]
    conn.execute(insert(member_changes).values(
        member_local_id=local_id, field=ERASED_FIELD, before=None, after=None, reason=reason,
        actor=actor, at_ms=now_ms))
    _scrub_free_text(conn, local_id, values)
    for table in (personal_data, member_contacts, member_credentials, member_invitations,
                  tb_kin_pending):
        conn.execute(delete(table).where(table.c.member_local_id == local_id))
    conn.execute(update(privacy_consents).where(
        privacy_consents.c.member_local_id == local_id).values(guardian_name=None))
    conn.execute(update(member_changes).where(
        member_changes.c.member_local_id == local_id,
        member_changes.c.field.in_(PERSONAL_FIELDS)).values(before=None, after=None))
    status = MEMBER_DEACTIVATED if row.status == MEMBER_ACTIVE else row.status
    conn.execute(update(members).where(members.c.local_id == local_id).values(
        display_name=ERASED_NAME, birth_year=None, status=status,
        deactivated_at_ms=row.deactivated_at_ms or now_ms,
        deactivation_reason=ERASED_REASON))
    return [*held, "record"]


def _scrub_free_text(conn: Connection, local_id: str, values: list[str]) -> None:
    if not values:
        return
    hers = or_(tb_service_requests.c.recipient_local_id == local_id,
               tb_service_requests.c.volunteer_local_id == local_id)
    requests = select(tb_service_requests.c.id).where(hers)
    for table, column, where in (
            (member_changes, "reason", member_changes.c.member_local_id == local_id),
            (tb_profiles, "reason", tb_profiles.c.member_local_id == local_id),
            (tb_deaths, "note", tb_deaths.c.member_local_id == local_id),
            (tb_audit, "detail", tb_audit.c.subject.endswith(f":{local_id}", autoescape=True)),
            (tb_service_requests, "description", hers),
            (tb_service_requests, "comment", hers),
            (tb_disputes, "reason", tb_disputes.c.request_id.in_(requests)),
            (tb_disputes, "resolution", tb_disputes.c.request_id.in_(requests))):
        _scrub(conn, table, column, where, values)
