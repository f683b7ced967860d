"""Issuing a volunteer-service certificate, and reading back what the node kept of one.

Who may: the volunteer himself (or a delegate he named), staff of his station and an admin
(node/notify/guard.py's `require_for_member`); a regulator reads ledgers, not certificates.
The service facts are the volunteer's settled visits: service requests he took whose
`service_settle` journal entry (node/timebank/settle.py) falls in the period and was not
reversed, counted by category with their service minutes (`rounded_minutes`, as
node/timebank/stats.py counts minutes served).

Personal data: the signed document holds his display name and goes only to the caller; nothing
is journalled. `tb_certificates` keeps the id, member, period, totals, the key that signed and
the document's SHA-256. Every call, refused or not, is audited in `tb_audit` under
`certificates:<local id>` as node/notify/contacts.py audits contacts.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from node.access import Principal
from node.certificates.document import Service, Subject, build, sha256_hex
from node.certificates.record import collect
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import members, tb_audit, tb_certificates
from node.errors import AuthError, ErrorCode, NodeError, NotFound, RuleViolation
from node.keyring import Signer
from node.notify.guard import require_for_member
from node.runtime import Node
from node.timebank.honours import served
from node.timebank.policy import DEFAULT_POLICY, NodePolicy

ID_PREFIX = "cert-"
ID_RANDOM_BYTES = 12
AUDIT_DETAIL_CHARS_MAX = 500


def subject(local_id: str) -> str:
    return f"certificates:{local_id}"


def _audit(conn: Connection, local_id: str, action: str, actor: str, detail: str,
           now_ms: int) -> None:
    conn.execute(insert(tb_audit).values(
        subject=subject(local_id), action=action, actor=actor,
        detail=detail[:AUDIT_DETAIL_CHARS_MAX], entry_height=None, at_ms=now_ms))


def settled_service(conn: Connection, local_id: str, *, from_ms: int, to_ms: int) -> Service:
    """His visits paid in [from_ms, to_ms): (visits, minutes) by category. A visit counts once,
    when it was paid with something released to the service: not while held or re-timed from a
    slip, and not when a complaint gave everything back; a correction after payment counts as
    it was posted (node/timebank/honours.py)."""
    return Service(served(conn, local_id, from_ms=from_ms, to_ms=to_ms))


def _record(row: Any) -> dict[str, Any]:
    return {"id": row.id, "member_local_id": row.member_local_id,
            "period": {"from_ms": row.from_ms, "to_ms": row.to_ms},
            "total_minutes": row.total_minutes, "visits": row.visits,
            "by_category": json.loads(row.by_category), "document_sha256": row.document_sha256,
            "key_id": row.key_id, "issued_by": row.issued_by, "issued_at_ms": row.issued_at_ms}


@dataclass
class Certificates:
    db: Database
    clock: Clock
    signer: Signer
    node_id: str
    node_name: Callable[[], str | None]  # the node's name in the directory in force
    policy: NodePolicy = DEFAULT_POLICY  # its honour levels (format 2, record.py)

    def issue(self, principal: Principal, local_id: str, *, from_ms: int,
              to_ms: int | None) -> dict[str, Any]:
        """Sign a certificate for [from_ms, to_ms) (to_ms defaults to now): the record kept
        and the signed document, which only the caller receives."""
        now_ms = self.clock.now_ms()
        end = now_ms if to_ms is None else to_ms
        with self.db.write() as conn:
            refusal = self._refusal(conn, principal, local_id, "issue a certificate", now_ms)
            if refusal is None:
                if not 0 <= from_ms < end <= now_ms:
                    raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                        "the period must run forwards and end by now")
                name = conn.execute(select(members.c.display_name).where(
                    members.c.local_id == local_id)).scalar_one()
                key = self.signer.key()
                service = settled_service(conn, local_id, from_ms=from_ms, to_ms=end)
                certificate_id = ID_PREFIX + secrets.token_hex(ID_RANDOM_BYTES)
                document = build(Subject(certificate_id, self.node_id, self.node_name(),
                                         f"{local_id}@{self.node_id}", name, from_ms, end),
                                 service, issued_at_ms=now_ms, key=key,
                                 record=collect(conn, self.policy, local_id))
                conn.execute(insert(tb_certificates).values(
                    id=certificate_id, member_local_id=local_id, from_ms=from_ms, to_ms=end,
                    total_minutes=service.minutes, visits=service.visits,
                    by_category=json.dumps(document["by_category"], sort_keys=True),
                    document_sha256=sha256_hex(document), key_id=key.key_id,
                    issued_by=principal.actor, issued_at_ms=now_ms))
                _audit(conn, local_id, "certificate_issued", principal.actor,
                       f"certificate {certificate_id}", now_ms)
                record = self._load(conn, local_id, certificate_id)
                return {"record": record, "document": document}
        raise refusal

    def get(self, principal: Principal, local_id: str, certificate_id: str) -> dict[str, Any]:
        """What the node kept of a certificate it issued to this member."""
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            refusal = self._refusal(conn, principal, local_id, "read the certificates", now_ms)
            if refusal is None:
                _audit(conn, local_id, "certificate_read", principal.actor,
                       f"certificate {certificate_id}", now_ms)
                record = self._load(conn, local_id, certificate_id)
        if refusal is not None:
            raise refusal
        if record is None:
            raise NotFound(ErrorCode.CERTIFICATE_NOT_FOUND,
                           f"no certificate {certificate_id} issued to member {local_id}")
        return record

    @staticmethod
    def _load(conn: Connection, local_id: str, certificate_id: str) -> dict[str, Any] | None:
        row = conn.execute(select(tb_certificates).where(
            tb_certificates.c.id == certificate_id,
            tb_certificates.c.member_local_id == local_id)).one_or_none()
        return None if row is None else _record(row)

    @staticmethod
    def _refusal(conn: Connection, principal: Principal, local_id: str, what: str,
                 now_ms: int) -> NodeError | None:
        """None when `principal` may; else the refusal, audited in this transaction (an
        unknown member is refused without an audit row: there is no one to audit for)."""
        try:
            require_for_member(conn, principal, local_id, what)
        except AuthError as refused:
            _audit(conn, local_id, "certificate_refused", principal.actor, refused.detail, now_ms)
            return refused
        return None


def for_node(node: Node) -> Certificates:
    """The service on a composed node (the API's and the console's handlers call this)."""
    def node_name() -> str | None:
        directory = node.federation.current()
        entry = directory.node(node.config.node_id) if directory is not None else None
        return None if entry is None else str(entry.name)
    return Certificates(node.db, node.clock, node.signer, node.config.node_id, node_name,
                        node.timebank.policy)
