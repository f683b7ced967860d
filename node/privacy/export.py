"""Everything this node holds about a member, as one document (PIPL art. 45): her record, her
personal data (the ID number masked), her contacts, consents, the corrections of her record,
her kin, balances, ledger lines and the access log's rows about her. The ID number's hash and
other members' data stay out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.db.schema import (
    journal_entries,
    member_changes,
    member_contacts,
    members,
    postings,
    tb_kin,
    tb_kin_pending,
)
from node.ledger.journal import Ledger
from node.ledger.model import member_account
from node.privacy import access_log, consents, records

EXPORT_KIND = "hourbridge.member_export"
EXPORT_VERSION = 1
LEDGER_LINES_MAX = 20_000  # lines of her account an export holds at most, newest kept
LOG_ROWS_MAX = 20_000  # access-log rows about her an export holds at most, newest kept
CHANGES_MAX = 5_000


def _member(row: Any, node_id: str) -> dict[str, Any]:
    return {"local_id": row.local_id, "address": f"{row.local_id}@{node_id}",
            "display_name": row.display_name, "station": row.station,
            "birth_year": row.birth_year, "status": row.status,
            "created_at_ms": row.created_at_ms, "deactivated_at_ms": row.deactivated_at_ms,
            "deactivation_reason": row.deactivation_reason, "relocated_to": row.relocated_to}


def _contacts(conn: Connection, local_id: str) -> dict[str, Any]:
    row = conn.execute(select(member_contacts).where(
        member_contacts.c.member_local_id == local_id)).one_or_none()
    return {"email": row.email if row else None,
            "gateway_recipient": row.gateway_recipient if row else None}


def _ledger_lines(conn: Connection, local_id: str) -> list[dict[str, Any]]:
    query = (select(postings.c.entry_height, postings.c.credit_class,
                    postings.c.amount_minutes, journal_entries.c.kind, journal_entries.c.memo,
                    journal_entries.c.created_at_ms)
             .join(journal_entries, journal_entries.c.height == postings.c.entry_height)
             .where(postings.c.account_code == member_account(local_id))
             .order_by(postings.c.entry_height.desc(), postings.c.seq.desc())
             .limit(LEDGER_LINES_MAX))
    lines = [{"entry_height": r.entry_height, "kind": r.kind, "memo": r.memo,
              "credit_class": r.credit_class, "amount_minutes": r.amount_minutes,
              "at_ms": r.created_at_ms} for r in conn.execute(query)]
    return lines[::-1]


def _changes(conn: Connection, local_id: str) -> list[dict[str, Any]]:
    query = (select(member_changes).where(member_changes.c.member_local_id == local_id)
             .order_by(member_changes.c.id).limit(CHANGES_MAX))
    return [{"field": r.field, "before": r.before, "after": r.after, "reason": r.reason,
             "actor": r.actor, "at_ms": r.at_ms} for r in conn.execute(query)]


def _kin(conn: Connection, local_id: str) -> list[dict[str, Any]]:
    """Her kin registry, then the relatives her relocation brought that wait for staff
    (`pending`: node/timebank/kin_pending.py)."""
    query = select(tb_kin).where(tb_kin.c.member_local_id == local_id).order_by(tb_kin.c.relative)
    waiting = (select(tb_kin_pending).where(tb_kin_pending.c.member_local_id == local_id)
               .order_by(tb_kin_pending.c.relative))
    return [{"relative": r.relative, "relation": r.relation, "registered_at_ms":
             r.registered_at_ms, "pending": False} for r in conn.execute(query)] + [
        {"relative": r.relative, "relation": r.relation, "registered_at_ms": r.proposed_at_ms,
         "pending": True} for r in conn.execute(waiting)]


def _log(conn: Connection, local_id: str) -> list[dict[str, Any]]:
    found = [row.as_dict() for row in access_log.rows(conn, member_local_id=local_id)]
    return found[-LOG_ROWS_MAX:]


def document(conn: Connection, local_id: str, *, node_id: str, now_ms: int) -> dict[str, Any]:
    row = conn.execute(select(members).where(members.c.local_id == local_id)).one()
    balances = Ledger(node_id).balances_of(conn, member_account(local_id))
    return {
        "kind": EXPORT_KIND, "version": EXPORT_VERSION, "node": node_id, "made_at_ms": now_ms,
        "member": _member(row, node_id),
        "personal_data": records.view(records.stored(conn, local_id)),
        "contacts": _contacts(conn, local_id),
        "consents": consents.listed(conn, local_id),
        "changes": _changes(conn, local_id),
        "kin": _kin(conn, local_id),
        "balances": {str(credit): minutes for credit, minutes in sorted(balances.items())},
        "ledger_lines": _ledger_lines(conn, local_id),
        "access_log": _log(conn, local_id),
    }
