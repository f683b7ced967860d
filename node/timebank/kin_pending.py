"""Kin an arriving member's relocation profile names (standard §10.1, issue 14 item 2), vetted
here before they count.

arrival   `record_arrival_kin`, run by the exchange in the transaction that creates her
          (node/exchange/arrivals.py's ArrivalHook, passed in by node/runtime.py). Only when
          this node's policy needs a kin registry (`needs_kin`): kin-only gifts, a guardian
          rule for young volunteers, or inheritance by kin; otherwise her relatives' addresses
          are not kept (least data). A parent or grandparent — a relation that makes someone
          her guardian (node/timebank/thresholds.py) — waits in `tb_kin_pending`; other
          relations go into the kin registry as her old node recorded them.
pending   counts for nothing: not as a guardian, not for kin-only gifts, not as an heir (every
          rule reads `tb_kin` only). Staff of her station see it on her member page.
confirm   staff of her station or an admin, from the papers the family shows, as they record
          any kin (node/timebank/people.py): the row moves into `tb_kin`, registered by them.
          `reject` drops it. Both are in the audit trail; the member herself does neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from node.access import Principal, Role, require_role
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import tb_kin, tb_kin_pending
from node.errors import Conflict, ErrorCode, NotFound, RuleViolation
from node.privacy import reads
from node.timebank.common import acting_for, audit
from node.timebank.policy import NodePolicy, OnDeath, Recipients
from node.timebank.thresholds import GUARDIAN_RELATIONS
from protocol.messages.other import RelocationBody

KIN_PER_MEMBER_MAX = 50  # as node/timebank/people.py's registry
PENDING_FIELDS = ("kin_pending",)


def needs_kin(policy: NodePolicy) -> bool:
    """Whether this node's rules read a member's kin registry."""
    return (policy.transfers.recipients is not Recipients.ANYONE
            or policy.provider.guardian_min_age is not None
            or policy.lifecycle.on_death is OnDeath.INHERIT_BY_KIN)


def record_arrival_kin(conn: Connection, body: RelocationBody, node_id: str, now_ms: int, *,
                       needs: bool) -> None:
    """Her profile's kin, as the module docstring says; each row audited under her."""
    if body.profile is None or not needs:
        return
    local_id = body.new_local_id
    for link in body.profile.kin:
        if link.address == f"{local_id}@{node_id}":
            continue  # the old node could not know her new address: never her own relative
        relation = link.relation.value
        pending = relation in GUARDIAN_RELATIONS
        if pending:
            conn.execute(insert(tb_kin_pending).values(
                member_local_id=local_id, relative=link.address, relation=relation,
                relocation_id=body.relocation_id, proposed_by=body.member,
                proposed_at_ms=now_ms))
        else:
            conn.execute(insert(tb_kin).values(
                member_local_id=local_id, relative=link.address, relation=relation,
                registered_by=body.member, registered_at_ms=now_ms))
        audit(conn, subject=f"member:{local_id}",
              action="kin_pending" if pending else "kin_added", actor=body.member,
              detail=f"{link.address} as {relation}, with relocation {body.relocation_id}",
              now_ms=now_ms)


def _rows(conn: Connection, local_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(tb_kin_pending).where(
        tb_kin_pending.c.member_local_id == local_id).order_by(tb_kin_pending.c.relative))
    return [{"relative": r.relative, "relation": r.relation, "relocation_id": r.relocation_id,
             "proposed_by": r.proposed_by, "proposed_at_ms": r.proposed_at_ms} for r in rows]


@dataclass
class PendingKin:
    db: Database
    clock: Clock

    def listed(self, principal: Principal, local_id: str) -> dict[str, Any]:
        """Her kin waiting for confirmation: a row of the access log, as her kin registry."""
        with self.db.write() as conn:
            refusal = reads.logged_read(conn, principal, local_id, fields=PENDING_FIELDS,
                                        now_ms=self.clock.now_ms(), what="read member",
                                        regulator=False)
            if refusal is None:
                return {"member": local_id, "items": _rows(conn, local_id)}
        raise refusal

    def confirm(self, principal: Principal, local_id: str, relative: str) -> dict[str, Any]:
        """Staff of her station or an admin confirm one relation into the kin registry."""
        require_role(principal, Role.ADMIN, Role.STAFF, what="confirm kin")
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            row = self._pending(conn, principal, local_id, relative)
            known = conn.execute(select(tb_kin.c.relation).where(
                tb_kin.c.member_local_id == local_id,
                tb_kin.c.relative == relative)).scalar_one_or_none()
            if known is not None and known != row.relation:
                raise Conflict(ErrorCode.KIN_EXISTS, f"{relative} is already recorded as "
                               f"{known} of {local_id}")
            if known is None:
                count = conn.execute(select(func.count()).select_from(tb_kin).where(
                    tb_kin.c.member_local_id == local_id)).scalar_one()
                if count >= KIN_PER_MEMBER_MAX:
                    raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                        f"at most {KIN_PER_MEMBER_MAX} relatives per member")
                conn.execute(insert(tb_kin).values(
                    member_local_id=local_id, relative=relative, relation=row.relation,
                    registered_by=principal.actor, registered_at_ms=now_ms))
            self._drop(conn, local_id, relative)
            audit(conn, subject=f"member:{local_id}", action="kin_confirmed",
                  actor=principal.actor, detail=f"{relative} as {row.relation}, with "
                  f"relocation {row.relocation_id}", now_ms=now_ms)
            return {"member": local_id, "items": _rows(conn, local_id)}

    def reject(self, principal: Principal, local_id: str, relative: str) -> dict[str, Any]:
        """Staff of her station or an admin drop a relation the papers do not show."""
        require_role(principal, Role.ADMIN, Role.STAFF, what="reject kin")
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            row = self._pending(conn, principal, local_id, relative)
            self._drop(conn, local_id, relative)
            audit(conn, subject=f"member:{local_id}", action="kin_rejected",
                  actor=principal.actor, detail=f"{relative} as {row.relation}, with "
                  f"relocation {row.relocation_id}", now_ms=now_ms)
            return {"member": local_id, "items": _rows(conn, local_id)}

    @staticmethod
    def _pending(conn: Connection, principal: Principal, local_id: str, relative: str) -> Any:
        acting_for(conn, principal, local_id)  # her station's staff or an admin (403)
        row = conn.execute(select(tb_kin_pending).where(
            tb_kin_pending.c.member_local_id == local_id,
            tb_kin_pending.c.relative == relative)).one_or_none()
        if row is None:
            raise NotFound(ErrorCode.KIN_PENDING_NOT_FOUND,
                           f"{relative} is not waiting to be confirmed as kin of {local_id}")
        return row

    @staticmethod
    def _drop(conn: Connection, local_id: str, relative: str) -> None:
        conn.execute(delete(tb_kin_pending).where(tb_kin_pending.c.member_local_id == local_id,
                                                  tb_kin_pending.c.relative == relative))
