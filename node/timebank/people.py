"""Vetting of needy members, the kin registry and sponsors.

vet         staff record that a member of their station is in hardship (earlier redemption age)
            and/or subsidised (their services paid from issuance); every change is audited
kin         staff record a member's relatives and friends (an address at any node); the policy's
            transfer rules read it (node/timebank/eligibility.py)
sponsors    organisations that fund hours; `fund` is a `sponsored` grant naming its sponsor,
            made through node/services/grants.py in the same database transaction
grant_rule  the policy's hook into grants: classes the node issues, vetting for `granted`
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from node.access import (
    Principal,
    Role,
    require_act_for,
    require_role,
)
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import tb_kin, tb_profiles, tb_sponsors, tb_sponsorships
from node.errors import Conflict, ErrorCode, NotFound, RuleViolation
from node.privacy import reads
from node.services.grants import GrantService
from node.services.members import load_member
from node.timebank.common import POOL_LOCAL_ID, acting_for, audit, audit_trail, load_profile
from node.timebank.eligibility import RELATIONS
from node.timebank.policy import NodePolicy
from protocol.addresses import AddressError, MemberAddress
from protocol.credit import CreditClass

KIN_PER_MEMBER_MAX = 50


def grant_rule(policy: NodePolicy) -> Any:
    """GrantService's policy hook."""

    def check(conn: Connection, member: Any, credit_class: CreditClass) -> None:
        if not policy.allows(credit_class):
            raise RuleViolation(ErrorCode.CREDIT_CLASS_NOT_ALLOWED,
                                f"this node's policy does not issue {credit_class} hours "
                                "(credit.classes)")
        if credit_class is CreditClass.GRANTED and policy.credit.granted_requires_vetting:
            profile = load_profile(conn, member.local_id)
            if not (profile.hardship or profile.subsidised):
                raise RuleViolation(ErrorCode.NOT_ELIGIBLE,
                                    f"granted hours go to vetted needy members only "
                                    f"(credit.granted_requires_vetting); vet {member.local_id} "
                                    "first")

    return check


class People:
    def __init__(self, *, db: Database, clock: Clock, node_id: str, grants: GrantService,
                 policy: NodePolicy) -> None:
        self.db = db
        self.clock = clock
        self.node_id = node_id
        self.grants = grants
        self.policy = policy

    # vetting ------------------------------------------------------------------------------

    def vet(self, principal: Principal, local_id: str, *, hardship: bool, subsidised: bool,
            reason: str) -> dict[str, Any]:
        require_role(principal, Role.ADMIN, Role.STAFF, what="vet members")
        if subsidised and not self.policy.credit.subsidised_services:
            raise RuleViolation(ErrorCode.NOT_ELIGIBLE, "this node's policy pays no member's "
                                "services from issuance (credit.subsidised_services)")
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            acting_for(conn, principal, local_id)
            values = {"hardship": int(hardship), "subsidised": int(subsidised), "reason": reason,
                      "vetted_by": principal.actor, "vetted_at_ms": now_ms}
            found = conn.execute(update(tb_profiles).where(
                tb_profiles.c.member_local_id == local_id).values(**values)).rowcount
            if not found:
                conn.execute(insert(tb_profiles).values(member_local_id=local_id, **values))
            audit(conn, subject=f"member:{local_id}", action="vetted", actor=principal.actor,
                  detail=f"hardship={hardship} subsidised={subsidised}: {reason}", now_ms=now_ms)
            return self._profile(conn, local_id)

    def profile(self, principal: Principal, local_id: str) -> dict[str, Any]:
        """Her care fields; a read of personal data, so a row of the access log
        (node/privacy/reads.py), refused or not."""
        with self.db.write() as conn:
            refusal = reads.logged_read(conn, principal, local_id, fields=("care",),
                                        now_ms=self.clock.now_ms(), what="read member")
            if refusal is None:
                return self._profile(conn, local_id)
        raise refusal  # after the transaction, so that the refusal's row stays

    @staticmethod
    def _profile(conn: Connection, local_id: str) -> dict[str, Any]:
        row = conn.execute(select(tb_profiles).where(
            tb_profiles.c.member_local_id == local_id)).one_or_none()
        return {
            "member": local_id,
            "hardship": bool(row.hardship) if row else False,
            "subsidised": bool(row.subsidised) if row else False,
            "reason": row.reason if row else None,
            "vetted_by": row.vetted_by if row else None,
            "vetted_at_ms": row.vetted_at_ms if row else None,
            "history": audit_trail(conn, f"member:{local_id}"),
        }

    # kin ----------------------------------------------------------------------------------

    def add_kin(self, principal: Principal, local_id: str, *, relative: str,
                relation: str) -> dict[str, Any]:
        """Record a relative or friend. Staff do it, from papers the family shows them."""
        require_role(principal, Role.ADMIN, Role.STAFF, what="record relatives")
        with self.db.read() as conn:
            member = load_member(conn, local_id)
        require_act_for(principal, local_id=local_id, station=member.station)
        if relation not in RELATIONS:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                f"relation must be one of {', '.join(RELATIONS)}")
        try:
            address = MemberAddress.parse(relative if "@" in relative
                                          else f"{relative}@{self.node_id}")
        except AddressError as exc:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED, f"relative: {exc}") from exc
        if address == MemberAddress(local_id, self.node_id) or address.local_id == POOL_LOCAL_ID:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                "a member is not their own relative, nor is a pool")
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            acting_for(conn, principal, local_id)
            rows = self._kin_rows(conn, local_id)
            existing = next((r for r in rows if r["relative"] == str(address)), None)
            if existing is not None and existing["relation"] != relation:
                raise Conflict(ErrorCode.KIN_EXISTS, f"{address} is already recorded as "
                               f"{existing['relation']} of {local_id}")
            if existing is None:
                if len(rows) >= KIN_PER_MEMBER_MAX:
                    raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                        f"at most {KIN_PER_MEMBER_MAX} relatives per member")
                conn.execute(insert(tb_kin).values(
                    member_local_id=local_id, relative=str(address), relation=relation,
                    registered_by=principal.actor, registered_at_ms=now_ms))
                audit(conn, subject=f"member:{local_id}", action="kin_added",
                      actor=principal.actor, detail=f"{address} as {relation}", now_ms=now_ms)
            return {"member": local_id, "items": self._kin_rows(conn, local_id)}

    def kin(self, principal: Principal, local_id: str) -> dict[str, Any]:
        """Her kin registry: a row of the access log, as `profile`."""
        with self.db.write() as conn:
            refusal = reads.logged_read(conn, principal, local_id, fields=("kin",),
                                        now_ms=self.clock.now_ms(), what="read member")
            if refusal is None:
                return {"member": local_id, "items": self._kin_rows(conn, local_id)}
        raise refusal

    @staticmethod
    def _kin_rows(conn: Connection, local_id: str) -> list[dict[str, Any]]:
        rows = conn.execute(select(tb_kin).where(tb_kin.c.member_local_id == local_id)
                            .order_by(tb_kin.c.relative))
        return [{"relative": r.relative, "relation": r.relation,
                 "registered_by": r.registered_by, "registered_at_ms": r.registered_at_ms}
                for r in rows]

    # sponsors -----------------------------------------------------------------------------

    def add_sponsor(self, principal: Principal, *, sponsor_id: str,
                    name: str) -> dict[str, Any]:
        require_role(principal, Role.ADMIN, what="register sponsors")
        with self.db.write() as conn:
            row = conn.execute(select(tb_sponsors).where(
                tb_sponsors.c.id == sponsor_id)).one_or_none()
            if row is not None:
                if row.name != name:
                    raise Conflict(ErrorCode.SPONSOR_EXISTS,
                                   f"sponsor {sponsor_id} exists with another name")
                return _sponsor_view(row)
            conn.execute(insert(tb_sponsors).values(
                id=sponsor_id, name=name, registered_by=principal.actor,
                created_at_ms=self.clock.now_ms()))
            return _sponsor_view(conn.execute(select(tb_sponsors).where(
                tb_sponsors.c.id == sponsor_id)).one())

    def sponsors(self, principal: Principal) -> list[dict[str, Any]]:
        require_role(principal, Role.ADMIN, Role.STAFF, Role.REGULATOR, what="list sponsors")
        with self.db.read() as conn:
            return [_sponsor_view(r) for r in conn.execute(
                select(tb_sponsors).order_by(tb_sponsors.c.id))]

    def fund(self, principal: Principal, *, sponsor_id: str, grant_id: str, local_id: str,
             amount_minutes: int, reason: str) -> tuple[dict[str, Any], bool]:
        """A sponsored grant naming its sponsor; idempotent by the grant id."""
        apply = self.grants.command(principal, grant_id=grant_id, local_id=local_id,
                                    amount_minutes=amount_minutes,
                                    credit_class=CreditClass.SPONSORED,
                                    reason=f"{sponsor_id}: {reason}")
        with self.db.write() as conn:
            if conn.execute(select(tb_sponsors.c.id).where(
                    tb_sponsors.c.id == sponsor_id)).first() is None:
                raise NotFound(ErrorCode.SPONSOR_NOT_FOUND, f"no sponsor {sponsor_id}")
            record, created = apply(conn)
            if created:
                conn.execute(insert(tb_sponsorships).values(grant_id=grant_id,
                                                            sponsor_id=sponsor_id))
            return {**record, "sponsor": sponsor_id}, created


def _sponsor_view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "registered_by": row.registered_by,
            "created_at_ms": row.created_at_ms}
