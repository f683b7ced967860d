"""Where a member's notifications go: an e-mail address and an opaque recipient id for the
city's SMS or WeChat gateway. Personal data (DESIGN §11): kept in `member_contacts` beside the
ledger, never in the journal or a signed document, and read or written only here, by the member
herself, staff of her station or an admin (node/notify/guard.py).

Every access through the API is audited in `tb_audit` under `contacts:<local id>`, like a step
of a service request: `contacts_read`, `contacts_written`, and `contacts_refused` for a caller
who was turned away (written in its own transaction before the refusal is raised). The audit
names which fields were there or changed, never their values. The node's own reads for sending
a notification are recorded by `notification_deliveries` instead (which notification went to
which channel, when): one row per use already.

Every such access is also a row of the access log (node/privacy/access_log.py) through
`log_access`, which node/runtime.py passes in: node/notify sits below node/privacy in the layer
order (tests/node/test_layers.py), so it is handed the log's append rather than importing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from node.access import AccessLogger, Principal
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import member_contacts, tb_audit
from node.errors import AuthError, ErrorCode, RuleViolation
from node.notify.guard import require_for_member

# An address a person types: no spaces or control characters (nothing can be smuggled into a
# mail header), an ASCII domain. Whether it exists only the mail server knows.
EMAIL_PATTERN = r"^[^@\s\x00-\x1f\x7f<>,;\"]{1,64}@[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$"
EMAIL_CHARS_MAX = 254
# Opaque to the node: a WeChat openid, a phone number in E.164, a gateway's own key.
GATEWAY_PATTERN = r"^[A-Za-z0-9+][A-Za-z0-9_.:@+=/-]{0,127}$"
FIELDS = ("email", "gateway_recipient")
AUDIT_DETAIL_CHARS_MAX = 500


@dataclass(frozen=True)
class ContactDetails:
    email: str | None
    gateway_recipient: str | None

    def __post_init__(self) -> None:
        # The API validates first; this guards every other caller.
        if self.email is not None and (len(self.email) > EMAIL_CHARS_MAX
                                       or not re.fullmatch(EMAIL_PATTERN, self.email)):
            raise RuleViolation(ErrorCode.VALIDATION_FAILED, "email is not an e-mail address")
        if self.gateway_recipient is not None and not re.fullmatch(GATEWAY_PATTERN,
                                                                   self.gateway_recipient):
            raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                "gateway_recipient is not a gateway recipient id")


def subject(local_id: str) -> str:
    return f"contacts:{local_id}"


def stored(conn: Connection, local_id: str) -> ContactDetails:
    """The member's contacts as stored (both None when there are none); no access check: the
    delivery tick and the service methods below, which check, are the callers."""
    row = conn.execute(select(member_contacts).where(
        member_contacts.c.member_local_id == local_id)).one_or_none()
    if row is None:
        return ContactDetails(email=None, gateway_recipient=None)
    return ContactDetails(email=row.email, gateway_recipient=row.gateway_recipient)


def _audit(conn: Connection, local_id: str, action: str, actor: str, detail: str,
           now_ms: int) -> None:
    conn.execute(insert(tb_audit).values(
        subject=subject(local_id), action=action, actor=actor,
        detail=detail[:AUDIT_DETAIL_CHARS_MAX], entry_height=None, at_ms=now_ms))


def _present(details: ContactDetails) -> list[str]:
    return [name for name in FIELDS if getattr(details, name) is not None]


@dataclass
class Contacts:
    db: Database
    clock: Clock
    log_access: AccessLogger

    def get(self, principal: Principal, local_id: str) -> dict[str, Any]:
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            refusal = self._refusal(conn, principal, local_id, "read the contacts", now_ms)
            if refusal is None:
                details = stored(conn, local_id)
                _audit(conn, local_id, "contacts_read", principal.actor,
                       f"present: {', '.join(_present(details)) or 'none'}", now_ms)
                self.log_access(conn, member_local_id=local_id, principal=principal,
                                change=False, fields=list(FIELDS), allowed=True, now_ms=now_ms)
                return self._view(conn, local_id)
        raise refusal

    def put(self, principal: Principal, local_id: str,
            details: ContactDetails) -> dict[str, Any]:
        """Replace the member's contacts; both None erases them (the row goes)."""
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            refusal = self._refusal(conn, principal, local_id, "change the contacts", now_ms)
            if refusal is None:
                before = stored(conn, local_id)
                conn.execute(delete(member_contacts).where(
                    member_contacts.c.member_local_id == local_id))
                if _present(details):
                    conn.execute(insert(member_contacts).values(
                        member_local_id=local_id, email=details.email,
                        gateway_recipient=details.gateway_recipient,
                        updated_by=principal.actor, updated_at_ms=now_ms))
                changed = [name for name in FIELDS
                           if getattr(before, name) != getattr(details, name)]
                _audit(conn, local_id, "contacts_written", principal.actor,
                       f"changed: {', '.join(changed) or 'none'}; "
                       f"present: {', '.join(_present(details)) or 'none'}", now_ms)
                self.log_access(conn, member_local_id=local_id, principal=principal,
                                change=True, fields=changed, allowed=True, now_ms=now_ms)
                return self._view(conn, local_id)
        raise refusal

    def _refusal(self, conn: Connection, principal: Principal, local_id: str, what: str,
                 now_ms: int) -> AuthError | None:
        """None when `principal` may; else the refusal, audited and access-logged in this
        transaction."""
        try:
            require_for_member(conn, principal, local_id, what)
        except AuthError as refused:
            _audit(conn, local_id, "contacts_refused", principal.actor, refused.detail, now_ms)
            self.log_access(conn, member_local_id=local_id, principal=principal,
                            change=what.startswith("change"), fields=list(FIELDS),
                            allowed=False, now_ms=now_ms)
            return refused
        return None

    @staticmethod
    def _view(conn: Connection, local_id: str) -> dict[str, Any]:
        row = conn.execute(select(member_contacts).where(
            member_contacts.c.member_local_id == local_id)).one_or_none()
        if row is None:
            return {"email": None, "gateway_recipient": None, "updated_by": None,
                    "updated_at_ms": None}
        return {"email": row.email, "gateway_recipient": row.gateway_recipient,
                "updated_by": row.updated_by, "updated_at_ms": row.updated_at_ms}
