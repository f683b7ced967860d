"""Visit codes: what a volunteer presents to check in, so that a visit cannot be claimed from
home (docs/timebank.md, "Visit codes").

Each member who receives services has one standing code of six digits, her card. She, a
delegate she named, her station's staff or an admin can show it and replace it
(`GET/POST /api/v1/members/{id}/visit-code`); a volunteer never can, so he learns it only at
her door: from her phone, from the printed card, or from the station. Checking in as a member
(the volunteer on his phone, or his delegate) needs the recipient's code. Each wrong code is
written to the request's audit trail (`visit_code_wrong`) in a transaction of its own, and after
CHECK_IN_TRIES_MAX of them members can no longer check that request in (`visit_code_locked`):
station staff or an admin check the volunteer in, which needs no code and is recorded as theirs.

The code is sealed at rest (node/timebank/visit_key.py) and never written anywhere else: not to
the journal, the audit trail, a notification or any view but the one above.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from node.access import Principal, Role
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import tb_audit, tb_visit_codes
from node.errors import AuthError, Conflict, ErrorCode, RuleViolation
from node.services.members import require_active
from node.timebank.common import POOL_LOCAL_ID, acting_for, audit
from node.timebank.visit_key import VisitKey

CODE_DIGITS = 6
CODE_PATTERN = rf"^[0-9]{{{CODE_DIGITS}}}$"
# Wrong codes a request takes from members before only staff can check it in: a guesser's
# chance is 5 in a million per request, and a volunteer who mistypes twice still gets in.
CHECK_IN_TRIES_MAX = 5
WRONG = "visit_code_wrong"  # the audit action of a counted wrong code


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def sealing_context(local_id: str, card: int) -> str:
    return f"hourbridge-visit-code:{local_id}:{card}"


def subject(local_id: str) -> str:
    """Where making a code is audited (not `member:`, which is the vetting history)."""
    return f"visit-code:{local_id}"


@dataclass(frozen=True)
class CheckIn:
    """A check-in the code check let through, and the words the audit trail keeps for it."""

    detail: str


class VisitCodes:
    def __init__(self, *, db: Database, clock: Clock, key: VisitKey) -> None:
        self.db = db
        self.clock = clock
        self.key = key

    def show(self, principal: Principal, local_id: str) -> dict[str, Any]:
        """The member's code, for her, her delegates, her station's staff and admins."""
        with self.db.read() as conn:
            acting_for(conn, principal, local_id)
            return self._view(conn, local_id)

    def rotate(self, principal: Principal, local_id: str) -> dict[str, Any]:
        """A new code (the first, or one that voids the old card at once)."""
        now_ms = self.clock.now_ms()
        code = new_code()
        with self.db.write() as conn:
            member = acting_for(conn, principal, local_id)
            require_active(member)
            if local_id == POOL_LOCAL_ID:
                raise RuleViolation(ErrorCode.VALIDATION_FAILED, "a pool receives no services")
            card = self._card(conn, local_id) + 1
            sealed = self.key.seal(code, context=sealing_context(local_id, card))
            conn.execute(delete(tb_visit_codes).where(
                tb_visit_codes.c.member_local_id == local_id))
            conn.execute(insert(tb_visit_codes).values(
                member_local_id=local_id, sealed=sealed, card=card, made_by=principal.actor,
                made_at_ms=now_ms))
            audit(conn, subject=subject(local_id), action="visit_code_made",
                  actor=principal.actor, detail=f"card {card}", now_ms=now_ms)
            return self._view(conn, local_id)

    def check(self, conn: Connection, principal: Principal, row: Any, code: str | None, *,
              audit_subject: str, now_ms: int) -> CheckIn | RuleViolation:
        """Whether `principal` may check request `row` in with `code`. A wrong code from a
        member is written to the request's trail here and returned, not raised, so that the
        caller commits it before raising; every other refusal is raised (it writes nothing)."""
        member = principal.role == Role.MEMBER
        if member and _wrong_tries(conn, audit_subject) >= CHECK_IN_TRIES_MAX:
            raise AuthError(ErrorCode.VISIT_CODE_LOCKED,
                            f"{CHECK_IN_TRIES_MAX} wrong visit codes were given for request "
                            f"{row.id}: its station's staff must check this visit in")
        if code is not None and not re.fullmatch(CODE_PATTERN, code):
            raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                f"a visit code is {CODE_DIGITS} digits")
        if code is None:
            if member:
                raise RuleViolation(ErrorCode.VISIT_CODE_WRONG,
                                    "a volunteer checks in with the visit code the person "
                                    "served (or her station) shows at the visit")
            return CheckIn(detail=f"by {principal.role}, without the visit code")
        right, card = self._readable(conn, row.recipient_local_id)
        if not hmac.compare_digest(code.encode(), right.encode()):
            return self._wrong(conn, principal, row, audit_subject=audit_subject,
                               now_ms=now_ms, counted=member)
        return CheckIn(detail=f"with the visit code (card {card})")

    def _wrong(self, conn: Connection, principal: Principal, row: Any, *, audit_subject: str,
               now_ms: int, counted: bool) -> RuleViolation:
        text = f"that is not the visit code of {row.recipient_local_id}"
        if not counted:  # staff and admins need no code: theirs are typos, not guesses
            return RuleViolation(ErrorCode.VISIT_CODE_WRONG, text)
        tries = _wrong_tries(conn, audit_subject) + 1
        audit(conn, subject=audit_subject, action=WRONG, actor=principal.actor,
              detail=f"wrong visit code, {tries} of {CHECK_IN_TRIES_MAX}", now_ms=now_ms)
        left = CHECK_IN_TRIES_MAX - tries
        more = (f"{left} more {'try' if left == 1 else 'tries'}" if left else
                "no more tries: the station's staff must check this visit in")
        return RuleViolation(ErrorCode.VISIT_CODE_WRONG, f"{text}; {more}")

    def _readable(self, conn: Connection, local_id: str) -> tuple[str, int]:
        """(code, card) of the member; 409 visit_code_unset when she has none it can open."""
        row = _stored(conn, local_id)
        code = None if row is None else self.key.open(
            row.sealed, context=sealing_context(local_id, row.card))
        if row is None or code is None:
            raise Conflict(ErrorCode.VISIT_CODE_UNSET,
                           f"{local_id} has no visit code this node can read: she, her family "
                           "or her station make one, or staff check the visit in")
        return code, int(row.card)

    @staticmethod
    def _card(conn: Connection, local_id: str) -> int:
        row = _stored(conn, local_id)
        return 0 if row is None else int(row.card)

    def _view(self, conn: Connection, local_id: str) -> dict[str, Any]:
        row = _stored(conn, local_id)
        if row is None:
            return {"member": local_id, "code": None, "card": 0, "made_by": None,
                    "made_at_ms": None}
        code = self.key.open(row.sealed, context=sealing_context(local_id, row.card))
        return {"member": local_id, "code": code, "card": row.card, "made_by": row.made_by,
                "made_at_ms": row.made_at_ms}


def _stored(conn: Connection, local_id: str) -> Any:
    return conn.execute(select(tb_visit_codes).where(
        tb_visit_codes.c.member_local_id == local_id)).one_or_none()


def _wrong_tries(conn: Connection, audit_subject: str) -> int:
    return int(conn.execute(select(func.count()).select_from(tb_audit).where(
        tb_audit.c.subject == audit_subject, tb_audit.c.action == WRONG)).scalar_one())
