"""Grants: new hours from the node's issuance account to a member, with a class and a reason.

Staff grant the subsidy classes (granted, sponsored) to members of their station. Admins may
also record earned hours, which is how paper or spreadsheet records of a programme are brought
onto the ledger with who approved them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Row

from node.access import (
    Principal,
    Role,
    deny,
    require_read_member,
    require_role,
)
from node.clock import Clock
from node.db.batch import WriteBatcher
from node.db.engine import Database
from node.db.schema import grants
from node.errors import ErrorCode, NotFound
from node.ledger.journal import Ledger
from node.ledger.model import AccountKind, EntryKind, Posting, member_account
from node.services.idempotency import open_command, request_hash
from node.services.members import load_member
from protocol.credit import CreditClass

STAFF_GRANT_CLASSES = frozenset({CreditClass.GRANTED, CreditClass.SPONSORED})
# The node policy's grant rules (node/timebank/people.py): given the open connection, the
# member's row and the class, refuse a class the policy does not issue or an unvetted member.
GrantRule = Callable[[Connection, Any, CreditClass], None]


def _any_grant(conn: Connection, member: Any, credit_class: CreditClass) -> None:
    return None


class GrantService:
    def __init__(self, *, db: Database, writer: WriteBatcher, ledger: Ledger, clock: Clock,
                 rule: GrantRule = _any_grant) -> None:
        self.db = db
        self.rule = rule
        self.writer = writer
        self.ledger = ledger
        self.clock = clock

    def command(
        self,
        principal: Principal,
        *,
        grant_id: str,
        local_id: str,
        amount_minutes: int,
        credit_class: CreditClass,
        reason: str,
    ) -> Callable[[Connection], tuple[dict[str, Any], bool]]:
        """Validate what needs no database and return the write to queue."""
        require_role(principal, Role.ADMIN, Role.STAFF, what="grant hours")
        if principal.role == Role.STAFF and credit_class not in STAFF_GRANT_CLASSES:
            raise deny(principal, f"grant {credit_class} hours")
        body_hash = request_hash(
            {
                "member": local_id,
                "amount_minutes": amount_minutes,
                "credit_class": str(credit_class),
                "reason": reason,
            }
        )
        now_ms = self.clock.now_ms()

        def apply(conn: Connection) -> tuple[dict[str, Any], bool]:
            opened = open_command(conn, principal, member=local_id, table=grants,
                                  record_id=grant_id, body_hash=body_hash,
                                  conflict=ErrorCode.GRANT_ID_CONFLICT)
            if opened.existing is not None:
                return _view(opened.existing), False
            member = opened.member
            self.rule(conn, member, credit_class)
            entry = self.ledger.post(
                conn,
                kind=EntryKind.GRANT,
                ref=grant_id,
                actor=principal.actor,
                memo=reason,
                now_ms=now_ms,
                legs=(
                    Posting(str(AccountKind.ISSUANCE), credit_class, -amount_minutes),
                    Posting(member_account(local_id), credit_class, amount_minutes),
                ),
            )
            conn.execute(
                insert(grants).values(
                    id=grant_id,
                    member_local_id=local_id,
                    amount_minutes=amount_minutes,
                    credit_class=str(credit_class),
                    reason=reason,
                    actor=principal.actor,
                    request_hash=body_hash,
                    entry_height=entry.height,
                    created_at_ms=now_ms,
                )
            )
            row = conn.execute(select(grants).where(grants.c.id == grant_id)).one()
            return _view(row), True

        return apply

    def create(
        self,
        principal: Principal,
        *,
        grant_id: str,
        local_id: str,
        amount_minutes: int,
        credit_class: CreditClass,
        reason: str,
    ) -> tuple[dict[str, Any], bool]:
        return self.writer.run(
            self.command(
                principal,
                grant_id=grant_id,
                local_id=local_id,
                amount_minutes=amount_minutes,
                credit_class=credit_class,
                reason=reason,
            )
        )

    def get(self, principal: Principal, grant_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(select(grants).where(grants.c.id == grant_id)).one_or_none()
            if row is None:
                raise NotFound(ErrorCode.GRANT_NOT_FOUND, f"no grant {grant_id}")
            member = load_member(conn, row.member_local_id)
        require_read_member(principal, local_id=row.member_local_id, station=member.station)
        return _view(row)


def _view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "member": row.member_local_id,
        "amount_minutes": row.amount_minutes,
        "credit_class": row.credit_class,
        "reason": row.reason,
        "approved_by": row.actor,
        "entry_height": row.entry_height,
        "created_at_ms": row.created_at_ms,
    }
