"""A volunteer's trainings and qualifications (docs/records.md, "Qualifications and honour
levels"), and the policy's rule that some service categories need one.

Staff of the volunteer's station (or an admin) record a qualification from its evidence (a
certificate's number, a course's register): kind code (`health_care`, `first_aid`, ...), title,
issuer, the days it is valid (`valid_until` inclusive; none: no end) and the evidence's
reference. Records are kept, never edited: a renewal is a new record. The same client id and
body replays; another body is 409 qualification_id_conflict.

`provider.qualifications` in the policy names the categories that need one: a volunteer takes
such a request only while holding a qualification of one of the rule's kinds valid on that day
(in the policy's time zone), or is refused with 422 qualification_required.

Not personal data of the kind kept apart (node/privacy/): no contact, no ID number, no copy of
the document. Reads and writes are audited under `qualifications:<local id>`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from node.access import Principal, Role, can_read_member, deny
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import tb_qualifications
from node.errors import ErrorCode, RuleViolation
from node.privacy import reads
from node.services.idempotency import open_command, request_hash
from node.services.members import load_member
from node.timebank.common import audit, local_time
from node.timebank.honours import honour, service_minutes
from node.timebank.policy import NodePolicy

LIST_MAX = 200


@dataclass(frozen=True)
class Qualification:
    kind: str
    title: str
    issuer: str
    valid_from: str  # YYYY-MM-DD
    valid_until: str | None
    evidence_ref: str


def subject(local_id: str) -> str:
    return f"qualifications:{local_id}"


def today(now_ms: int, policy: NodePolicy) -> str:
    """The policy's local day, as qualifications' dates are written."""
    return local_time(now_ms, policy).date().isoformat()


def _view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "member": row.member_local_id, "kind": row.kind, "title": row.title,
            "issuer": row.issuer, "valid_from": row.valid_from, "valid_until": row.valid_until,
            "evidence_ref": row.evidence_ref, "recorded_by": row.recorded_by,
            "recorded_at_ms": row.recorded_at_ms}


def held(conn: Connection, local_id: str) -> list[dict[str, Any]]:
    """Every qualification recorded for the member, oldest first."""
    rows = conn.execute(select(tb_qualifications).where(
        tb_qualifications.c.member_local_id == local_id).order_by(
        tb_qualifications.c.valid_from, tb_qualifications.c.id).limit(LIST_MAX))
    return [_view(row) for row in rows]


def is_valid(record: dict[str, Any], day: str) -> bool:
    return bool(record["valid_from"] <= day and (record["valid_until"] is None
                                                   or day <= record["valid_until"]))


def check_qualification(conn: Connection, policy: NodePolicy, *, volunteer: str, category: str,
                        now_ms: int) -> None:
    """422 qualification_required when the category needs a qualification he lacks today."""
    rule = next((r for r in policy.provider.qualifications if r.category == category), None)
    if rule is None:
        return
    day = today(now_ms, policy)
    if any(q["kind"] in rule.kinds and is_valid(q, day) for q in held(conn, volunteer)):
        return
    raise RuleViolation(ErrorCode.QUALIFICATION_REQUIRED,
                        f"category {category} needs a valid {' or '.join(rule.kinds)} "
                        f"qualification on {day}; {volunteer} holds none "
                        "(provider.qualifications)")


def _checked(q: Qualification) -> None:
    try:
        start = date.fromisoformat(q.valid_from)
        end = None if q.valid_until is None else date.fromisoformat(q.valid_until)
    except ValueError:
        raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                            "valid_from and valid_until are days: YYYY-MM-DD") from None
    if end is not None and end < start:
        raise RuleViolation(ErrorCode.VALIDATION_FAILED, "valid_until is before valid_from")


class Qualifications:
    def __init__(self, *, db: Database, clock: Clock, policy: NodePolicy) -> None:
        self.db = db
        self.clock = clock
        self.policy = policy

    def record(self, principal: Principal, local_id: str, *, qualification_id: str,
               qualification: Qualification) -> tuple[dict[str, Any], bool]:
        """Staff of his station or an admin record one. (record, created)."""
        now_ms = self.clock.now_ms()
        body_hash = request_hash({"member": local_id, **asdict(qualification)})
        with self.db.write() as conn:
            if principal.role not in (Role.STAFF, Role.ADMIN):
                raise deny(principal, f"record a qualification for {local_id}")
            opened = open_command(conn, principal, member=local_id, table=tb_qualifications,
                                  record_id=qualification_id, body_hash=body_hash,
                                  conflict=ErrorCode.QUALIFICATION_ID_CONFLICT)
            if opened.existing is not None:
                return _view(opened.existing), False
            _checked(qualification)
            conn.execute(insert(tb_qualifications).values(
                id=qualification_id, member_local_id=local_id, request_hash=body_hash,
                recorded_by=principal.actor, recorded_at_ms=now_ms, **asdict(qualification)))
            audit(conn, subject=subject(local_id), action="qualification_recorded",
                  actor=principal.actor,
                  detail=f"{qualification_id}: {qualification.kind} from "
                  f"{qualification.valid_from} to {qualification.valid_until or '-'}",
                  now_ms=now_ms)
            row = conn.execute(select(tb_qualifications).where(
                tb_qualifications.c.id == qualification_id)).one()
            return _view(row), True

    def list(self, principal: Principal, local_id: str) -> list[dict[str, Any]]:
        """The member himself (or his delegate), his station's staff, an admin, the regulator.
        Every read is audited, a refused one too (committed before the refusal is raised)."""
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            member = load_member(conn, local_id)
            allowed = can_read_member(principal, local_id=local_id, station=member.station)
            audit(conn, subject=subject(local_id),
                  action="qualifications_read" if allowed else "qualifications_refused",
                  actor=principal.actor, detail="list", now_ms=now_ms)
            reads.log(conn, principal, local_id, fields=["qualifications"], allowed=allowed,
                      now_ms=now_ms)
            found = held(conn, local_id) if allowed else []
        if not allowed:
            raise deny(principal, f"read the qualifications of {local_id}")
        day = today(now_ms, self.policy)
        return [{**q, "valid_today": is_valid(q, day)} for q in found]

    def record_of(self, principal: Principal, local_id: str) -> dict[str, Any]:
        """His qualifications (valid today or not) and the honour level his paid service
        reached under the policy (None when the policy has no levels): what the member pages
        and the console show."""
        found = self.list(principal, local_id)
        with self.db.read() as conn:
            minutes = service_minutes(conn, local_id)
        return {"qualifications": found, "honour": honour(self.policy, minutes),
                "service_minutes": minutes}

    def honour_of(self, principal: Principal, local_id: str) -> dict[str, Any] | None:
        """The honour level alone (the member's own volunteer page): no qualification read."""
        with self.db.read() as conn:
            member = load_member(conn, local_id)
            if not can_read_member(principal, local_id=local_id, station=member.station):
                raise deny(principal, f"read the honour level of {local_id}")
            return honour(self.policy, service_minutes(conn, local_id))
