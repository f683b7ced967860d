"""The one door to members' personal data: who may, and every access in the access log.

Who: the member herself (or a delegate she named), staff of her station and an admin
(node/notify/guard.py's rule, the one contacts use); a regulator never, a member never for
another id. Erasure: her station's staff or an admin, acting on her request.

Every call that names a member writes one access-log row in the transaction that reads or
changes her data: `allowed` with the fields, or `refused` when the caller was turned away (the
refusal's row commits before the refusal is raised). A member who does not exist gets no row:
there is nobody to log about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.access import Principal, Role, require_role
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import members
from node.errors import AuthError, ErrorCode, NodeError, RuleViolation
from node.notify.guard import require_for_member
from node.privacy import access_log, consents, erasure, export, ids, records, visit_contact
from node.privacy.access_log import Action, Result
from node.privacy.consents import Purpose

T = TypeVar("T")
REASON_CHARS_MAX = 500


def log_access(conn: Connection, principal: Principal, local_id: str, *, action: Action,
               fields: list[str], what: str, now_ms: int,
               roles: tuple[Role, ...] = tuple(Role)) -> AuthError | None:
    """Check `principal` (of one of `roles`) may act for her and log it either way, in
    `conn`'s transaction. None when allowed; else the refusal, for the caller to raise once the
    transaction commits."""
    try:
        require_for_member(conn, principal, local_id, what)
        require_role(principal, *roles, what=what)
    except AuthError as refused:
        access_log.append(conn, member_local_id=local_id, actor=principal.actor, action=action,
                          fields=fields, result=Result.REFUSED, now_ms=now_ms)
        return refused
    access_log.append(conn, member_local_id=local_id, actor=principal.actor, action=action,
                      fields=fields, result=Result.ALLOWED, now_ms=now_ms)
    return None


@dataclass
class Privacy:
    db: Database
    clock: Clock
    node_id: str
    id_key: ids.IdKey

    def _run(self, principal: Principal, local_id: str, *, action: Action, fields: list[str],
             what: str, work: Callable[[Connection, Any, int], T],
             roles: tuple[Role, ...] = tuple(Role)) -> T:
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            refusal = log_access(conn, principal, local_id, action=action, fields=fields,
                                 what=what, now_ms=now_ms, roles=roles)
            if refusal is None:
                row = conn.execute(select(members).where(members.c.local_id == local_id)).one()
                return work(conn, row, now_ms)
        raise refusal  # after the transaction, so that the refusal's row stays

    def get(self, principal: Principal, local_id: str) -> dict[str, Any]:
        return self._run(principal, local_id, action=Action.READ,
                         fields=list(records.FIELDS), what="read the personal data",
                         work=lambda conn, row, now_ms: records.view(
                             records.stored(conn, local_id)))

    def correct(self, principal: Principal, local_id: str,
                fields: Mapping[str, Any]) -> dict[str, Any]:
        """Set the given fields (None clears one); the answer names other members with the
        same ID number (a possible duplicate registration, a warning)."""
        records.check(fields)
        values: dict[str, Any] = {name: fields[name] for name in records.TEXT_FIELDS
                                  if name in fields}
        if "id_number" in fields:
            number = fields["id_number"]
            values["id_hash"] = None if number is None else self.id_key.digest(number)
            values["id_masked"] = None if number is None else ids.masked(
                ids.normalised(number))

        def work(conn: Connection, row: Any, now_ms: int) -> dict[str, Any]:
            _refuse_erased(row)
            records.write(conn, local_id, values, actor=principal.actor, now_ms=now_ms)
            duplicates = (records.same_id_members(conn, local_id, values["id_hash"])
                          if values.get("id_hash") else [])
            return {**records.view(records.stored(conn, local_id)),
                    "possible_duplicates": duplicates}

        return self._run(principal, local_id, action=Action.CHANGE, fields=sorted(fields),
                         what="correct the personal data", work=work)

    def consents(self, principal: Principal, local_id: str) -> dict[str, Any]:
        return self._run(principal, local_id, action=Action.READ, fields=["consents"],
                         what="read the consents",
                         work=lambda conn, row, now_ms: consents.listed(conn, local_id))

    def set_consent(self, principal: Principal, local_id: str, purpose: Purpose, *,
                    given: bool, guardian_name: str | None) -> dict[str, Any]:
        def work(conn: Connection, row: Any, now_ms: int) -> dict[str, Any]:
            if given:
                _refuse_erased(row)
                consents.check_guardian(guardian_name, birth_year=row.birth_year,
                                        now_ms=now_ms)
                consents.give(conn, local_id, purpose, guardian_name=guardian_name,
                              actor=principal.actor, now_ms=now_ms)
            else:
                consents.withdraw(conn, local_id, purpose, actor=principal.actor,
                                  now_ms=now_ms)
            return consents.listed(conn, local_id)

        return self._run(principal, local_id, action=Action.CHANGE,
                         fields=[f"consent:{purpose}"], what="record a consent", work=work)

    def visit_contact(self, principal: Principal, local_id: str) -> dict[str, Any]:
        """Her phone, emergency contact and address for a home visit, with her consent
        (node/privacy/visit_contact.py); logged, refusals included."""
        with self.db.write() as conn:
            found = visit_contact.read(conn, principal, local_id, now_ms=self.clock.now_ms())
        if isinstance(found, NodeError):
            raise found  # after the transaction, so that the refusal's row stays
        return found

    def export(self, principal: Principal, local_id: str) -> dict[str, Any]:
        return self._run(principal, local_id, action=Action.EXPORT, fields=["everything"],
                         what="export the data", work=lambda conn, row, now_ms:
                         export.document(conn, local_id, node_id=self.node_id, now_ms=now_ms))

    def erase(self, principal: Principal, local_id: str, *, reason: str) -> dict[str, Any]:
        if not (reason.strip() and len(reason) <= REASON_CHARS_MAX):
            raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                f"reason must be 1 to {REASON_CHARS_MAX} characters of text")

        def work(conn: Connection, row: Any, now_ms: int) -> dict[str, Any]:
            if erasure.is_erased(row):
                return {"local_id": local_id, "erased": [], "already": True}
            erased = erasure.erase(conn, row, reason=reason, actor=principal.actor,
                                   now_ms=now_ms)
            return {"local_id": local_id, "erased": erased, "already": False}

        return self._run(principal, local_id, action=Action.ERASE, fields=["everything"],
                         what="erase the personal data", work=work,
                         roles=(Role.ADMIN, Role.STAFF))

    def verify_log(self) -> access_log.Verified:
        with self.db.read() as conn:
            return access_log.verify(conn)

    def prune_log(self) -> int:
        with self.db.write() as conn:
            return access_log.prune(conn, now_ms=self.clock.now_ms())


def _refuse_erased(row: Any) -> None:
    if erasure.is_erased(row):
        raise RuleViolation(ErrorCode.MEMBER_ERASED,
                            f"the personal data of {row.local_id} was erased at her request: "
                            "the node takes no new personal data for this account")
