"""The donation pool: donations into it, to another node's pool, and distributions from it.

The pool is the member account `hardship-pool` (node/timebank/common.py). It also receives the
hours volunteers earn beyond the policy's caps.

donate      a member gives hours to this node's pool (hours keep their class; group-earned
            hours, which may only be donated, go first), or to `hardship-pool@<to_node>` through
            the ordinary cross-node transfer path with purpose `donation` (the transfer has the
            donation's id; see GET /api/v1/transfers/{id})
distribute  staff give pool hours to a member: the pool's hours are retired (-> redemption) and
            the member is issued the same minutes as `donated`, the class that says where they
            came from. Under a policy that vets granted hours, only vetted members receive.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from node.access import (
    Principal,
    Role,
    require_read_member,
    require_role,
)
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import accounts, tb_donations, transfers
from node.errors import Conflict, ErrorCode, NotFound, RuleViolation
from node.ledger.journal import Ledger
from node.ledger.model import AccountKind, Posting, member_account, transfer_legs
from node.services.idempotency import open_command, request_hash
from node.services.members import load_member
from node.services.outgoing import OutgoingTransfers
from node.timebank.common import (
    POOL_ACCOUNT,
    POOL_LOCAL_ID,
    TimebankEntry,
    audit,
    ensure_accounts,
    load_profile,
)
from node.timebank.policy import NodePolicy
from protocol.addresses import MemberAddress
from protocol.credit import SPEND_ORDER, CreditClass
from protocol.messages.transfer import Purpose

DONATION_ORDER = (CreditClass.GROUP_EARNED, *SPEND_ORDER)
POOL_SPEND_ORDER = (CreditClass.DONATED, CreditClass.GROUP_EARNED, CreditClass.EARNED,
                    CreditClass.SPONSORED, CreditClass.GRANTED)
DONATION, DISTRIBUTION = "donation", "distribution"


class Donations:
    def __init__(self, *, db: Database, ledger: Ledger, clock: Clock, node_id: str,
                 outgoing: OutgoingTransfers, policy: NodePolicy) -> None:
        self.db = db
        self.ledger = ledger
        self.clock = clock
        self.node_id = node_id
        self.outgoing = outgoing
        self.policy = policy

    def donate(self, principal: Principal, *, donation_id: str, member: str, amount_minutes: int,
               to_node: str | None, reason: str) -> tuple[dict[str, Any], bool]:
        remote = to_node not in (None, self.node_id)
        body_hash = request_hash({"kind": DONATION, "member": member, "to_node": to_node,
                                  "amount_minutes": amount_minutes, "reason": reason})
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            opened = open_command(conn, principal, member=member, table=tb_donations,
                                  record_id=donation_id, body_hash=body_hash,
                                  conflict=ErrorCode.DONATION_ID_CONFLICT)
            if opened.existing is not None:
                return _view(opened.existing), False
            if member == POOL_LOCAL_ID:
                raise RuleViolation(ErrorCode.SAME_ACCOUNT, "the pool does not donate to itself")
            ensure_accounts(conn, self.ledger, now_ms)
            height = transfer_id = None
            if remote:
                assert to_node is not None
                if conn.execute(select(transfers.c.id).where(
                        transfers.c.id == donation_id)).first() is not None:
                    raise Conflict(ErrorCode.DONATION_ID_CONFLICT,
                                   f"a transfer {donation_id} exists already; choose another id")
                record = self.outgoing.reserve(
                    conn, transfer_id=donation_id, debtor=MemberAddress(member, self.node_id),
                    creditor=MemberAddress(POOL_LOCAL_ID, to_node), amount_minutes=amount_minutes,
                    memo=reason[:140], actor=principal.actor, request_hash=body_hash,
                    purpose=Purpose.DONATION)
                height, transfer_id = record.entry_height, donation_id
            else:
                height = self.ledger.move(
                    conn, debtor=member_account(member), creditor=POOL_ACCOUNT,
                    amount_minutes=amount_minutes, spend_order=DONATION_ORDER,
                    kind=TimebankEntry.DONATION, ref=donation_id, actor=principal.actor,
                    memo=reason, now_ms=now_ms).height
            return self._record(conn, donation_id, DONATION, member, to_node, amount_minutes,
                                reason, body_hash, height, transfer_id, principal, now_ms), True

    def distribute(self, principal: Principal, *, distribution_id: str, member: str,
                   amount_minutes: int, reason: str) -> tuple[dict[str, Any], bool]:
        require_role(principal, Role.ADMIN, Role.STAFF, what="give hours from the pool")
        body_hash = request_hash({"kind": DISTRIBUTION, "member": member,
                                  "amount_minutes": amount_minutes, "reason": reason})
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            opened = open_command(conn, principal, member=member, table=tb_donations,
                                  record_id=distribution_id, body_hash=body_hash,
                                  conflict=ErrorCode.DONATION_ID_CONFLICT)
            if opened.existing is not None:
                return _view(opened.existing), False
            if not self.policy.allows(CreditClass.DONATED):
                raise RuleViolation(ErrorCode.CREDIT_CLASS_NOT_ALLOWED,
                                    "this node's policy does not issue donated hours")
            profile = load_profile(conn, member)
            if self.policy.credit.granted_requires_vetting and not (
                    profile.hardship or profile.subsidised):
                raise RuleViolation(ErrorCode.NOT_ELIGIBLE,
                                    f"pool hours go to vetted needy members; vet {member} first")
            ensure_accounts(conn, self.ledger, now_ms)
            available = self.ledger.balances_of(conn, POOL_ACCOUNT)
            legs = transfer_legs(debtor=POOL_ACCOUNT, creditor=str(AccountKind.REDEMPTION),
                                 available=available, amount_minutes=amount_minutes,
                                 spend_order=POOL_SPEND_ORDER)
            if legs is None or member == POOL_LOCAL_ID:
                raise RuleViolation(ErrorCode.INSUFFICIENT_FUNDS,
                                    f"the pool holds {sum(available.values())} minutes, "
                                    f"{amount_minutes} asked")
            legs += (Posting(str(AccountKind.ISSUANCE), CreditClass.DONATED, -amount_minutes),
                     Posting(member_account(member), CreditClass.DONATED, amount_minutes))
            height = self.ledger.post(conn, kind=TimebankEntry.DISTRIBUTION, ref=distribution_id,
                                      actor=principal.actor, memo=reason, now_ms=now_ms,
                                      legs=legs).height
            return self._record(conn, distribution_id, DISTRIBUTION, member, None,
                                amount_minutes, reason, body_hash, height, None, principal,
                                now_ms), True

    def get(self, principal: Principal, record_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(select(tb_donations).where(
                tb_donations.c.id == record_id)).one_or_none()
            if row is None:
                raise NotFound(ErrorCode.DONATION_NOT_FOUND, f"no donation {record_id}")
            member = load_member(conn, row.member_local_id)
            require_read_member(principal, local_id=member.local_id, station=member.station)
            return _view(row)

    def pool(self, principal: Principal) -> dict[str, Any]:
        require_role(principal, Role.ADMIN, Role.STAFF, Role.REGULATOR, what="read the pool")
        with self.db.read() as conn:
            by_class = (self.ledger.balances_of(conn, POOL_ACCOUNT)
                        if load_pool(conn) else {})
        return {"address": f"{POOL_LOCAL_ID}@{self.node_id}",
                "available_minutes": sum(by_class.values()),
                "by_class_minutes": {str(k): v for k, v in sorted(by_class.items()) if v}}

    @staticmethod
    def _record(conn: Connection, record_id: str, kind: str, member: str, to_node: str | None,
                amount: int, reason: str, body_hash: str, height: int | None,
                transfer_id: str | None, principal: Principal, now_ms: int) -> dict[str, Any]:
        conn.execute(insert(tb_donations).values(
            id=record_id, kind=kind, member_local_id=member, to_node=to_node,
            amount_minutes=amount, reason=reason, request_hash=body_hash, entry_height=height,
            transfer_id=transfer_id, actor=principal.actor, created_at_ms=now_ms))
        audit(conn, subject=f"member:{member}", action=kind, actor=principal.actor,
              detail=f"{amount} minutes{' to ' + to_node if to_node else ''}: {reason}",
              now_ms=now_ms, entry_height=height)
        return _view(conn.execute(select(tb_donations).where(
            tb_donations.c.id == record_id)).one())


def load_pool(conn: Connection) -> bool:
    return conn.execute(select(accounts.c.code).where(
        accounts.c.code == POOL_ACCOUNT)).first() is not None


def _view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "member": row.member_local_id,
            "to_node": row.to_node, "amount_minutes": row.amount_minutes, "reason": row.reason,
            "entry_height": row.entry_height, "transfer_id": row.transfer_id,
            "actor": row.actor, "created_at_ms": row.created_at_ms}
