"""A member's death, recorded by staff, and what the policy's `lifecycle.on_death` does with her
hours. Balances are never edited: the hours move by one ordinary journal entry.

record  staff of her station, or an admin, record the death with the papers they saw (`note`)
        and, under `inherit_by_kin`, her heirs and their shares. In one transaction:
        1. refuse while hours are held or in flight: transfers to other nodes still open
           (`open_transfers`), service requests that can still pay, refund or hold her hours
           (`open_service_requests`), payment requests still open (`open_payment_requests`),
           a relocation under way or done (`member_inactive`, `member_relocated`);
        2. divide her positive balances. `inherit_by_kin`: her `earned` hours to the heirs, each
           share spent in the standard order and cut to what the heir may still hold under
           `caps.balance_minutes` (the rest goes to the pool); the hours the programme gave
           her for her needs (`granted`, `sponsored`, `donated`) and `group_earned` hours
           (donation only) to the node's pool. `donate_to_pool`: everything to the pool.
           Hours keep their class;
        3. post the one `estate` entry; a negative class (a debt) stays on her account, since
           heirs never inherit a debt;
        4. deactivate her (reason "deceased"), write tb_deaths and the audit trail.
        A repeat with the same body answers the record again; another body is `death_recorded`.
get     the record (`death_not_found` when there is none)

An heir is a member of this node in her kin registry whom the policy lets inherit: any relation
but `friend`, and only a direct relative where `transfers.recipients = direct_relatives`. A
relative at another node cannot inherit yet (`heir_not_allowed`): that would be a cross-node
transfer in flight from a deceased member's account, which this version does not make.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from node.access import Principal, Role, can_read_member, deny, require_role
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import members, tb_deaths, tb_kin
from node.errors import Conflict, ErrorCode, NotFound, RuleViolation, require
from node.ledger.journal import Ledger
from node.ledger.model import Posting, member_account, transfer_legs
from node.ledger.system_ids import refuse_system_id
from node.privacy import access_log
from node.services.held import refuse_held
from node.services.idempotency import request_hash
from node.services.members import load_member
from node.states import MemberStatus
from node.timebank.common import (
    POOL_ACCOUNT,
    TimebankEntry,
    acting_for,
    audit,
    ensure_accounts,
)
from node.timebank.eligibility import DIRECT_RELATIONS
from node.timebank.parties import unsettled_requests
from node.timebank.policy import NodePolicy, OnDeath, Recipients
from protocol.addresses import AddressError, MemberAddress
from protocol.credit import SPEND_ORDER, CreditClass

HEIRS_MAX = 10
DECEASED = "deceased"  # the deactivation reason
NOT_HEIRS = frozenset({"friend"})  # a friend may receive gifts, never inherit
INHERITED = (CreditClass.EARNED,)  # the hours she banked by serving; the rest go to the pool


@dataclass(frozen=True)
class Share:
    relative: str  # as given: a local id, or an address at this node
    minutes: int | None = None  # None: the whole inheritance (one heir only)


class Deaths:
    def __init__(self, *, db: Database, ledger: Ledger, clock: Clock, node_id: str,
                 policy: NodePolicy) -> None:
        self.db = db
        self.ledger = ledger
        self.clock = clock
        self.node_id = node_id
        self.policy = policy

    def record(self, principal: Principal, local_id: str, *, heirs: list[Share],
               note: str) -> tuple[dict[str, Any], bool]:
        require_role(principal, Role.ADMIN, Role.STAFF, what="record a member's death")
        refuse_system_id(local_id, what="it has no death to record")
        disposition = self.policy.lifecycle.on_death
        if disposition is OnDeath.DONATE_TO_POOL and heirs:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED, "this node's policy gives a "
                                "deceased member's hours to the pool (lifecycle.on_death = "
                                "donate_to_pool): name no heirs")
        if len(heirs) > HEIRS_MAX:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED, f"at most {HEIRS_MAX} heirs")
        body_hash = request_hash({"member": local_id, "note": note, "heirs": [
            {"relative": h.relative, "minutes": h.minutes} for h in heirs]})
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            row = acting_for(conn, principal, local_id)
            existing = _load(conn, local_id)
            if existing is not None:
                if existing.request_hash != body_hash:
                    raise Conflict(ErrorCode.DEATH_RECORDED,
                                   f"the death of {local_id} is recorded already, otherwise")
                return _view(existing), False
            self._refuse_in_flight(conn, row)
            named = [(self._heir(conn, local_id, h.relative), h.minutes) for h in heirs]
            if len({heir for heir, _ in named}) != len(named):
                raise RuleViolation(ErrorCode.VALIDATION_FAILED, "name each heir once")
            legs, shares, pool, debt = self._estate(conn, local_id, named)
            height = None
            if legs:
                ensure_accounts(conn, self.ledger, now_ms)
                height = self.ledger.post(
                    conn, kind=TimebankEntry.ESTATE, ref=local_id, actor=principal.actor,
                    memo=f"estate of {local_id}: {disposition}", now_ms=now_ms,
                    legs=tuple(legs)).height
            self._close_account(conn, row, now_ms)
            conn.execute(insert(tb_deaths).values(
                member_local_id=local_id, disposition=str(disposition),
                heirs=json.dumps(shares, separators=(",", ":")), pool_minutes=pool,
                debt_minutes=debt, note=note, request_hash=body_hash, entry_height=height,
                recorded_by=principal.actor, recorded_at_ms=now_ms))
            audit(conn, subject=f"member:{local_id}", action="death_recorded",
                  actor=principal.actor, now_ms=now_ms, entry_height=height,
                  detail=f"{disposition}: " + ", ".join(
                      f"{s['relative']} {s['minutes']} minutes" for s in shares)
                  + f"; pool {pool} minutes; debt left {debt} minutes")
            return _view(_require(conn, local_id)), True

    def get(self, principal: Principal, local_id: str) -> dict[str, Any]:
        """The record; every read, refused or not, is a row of the access log (node/privacy)."""
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            member = load_member(conn, local_id)
            allowed = can_read_member(principal, local_id=local_id, station=member.station)
            access_log.append(conn, member_local_id=local_id, actor=principal.actor,
                              action=access_log.Action.READ, fields=["death"],
                              result=access_log.Result.ALLOWED if allowed
                              else access_log.Result.REFUSED, now_ms=now_ms)
            if allowed:
                return _view(_require(conn, local_id))
        raise deny(principal, f"read member {local_id}")  # after its log row is committed

    def _refuse_in_flight(self, conn: Connection, row: Any) -> None:
        if row.relocated_to is not None:
            raise RuleViolation(ErrorCode.MEMBER_RELOCATED,
                                f"{row.local_id} moved to {row.relocated_to}: her hours are "
                                "there; record her death at that node")
        if row.status == MemberStatus.RELOCATING:
            raise RuleViolation(ErrorCode.MEMBER_INACTIVE,
                                f"{row.local_id} is relocating: her hours are on their way; "
                                "record her death once the relocation is settled")
        refuse_held(conn, local_id=row.local_id, node_id=self.node_id,
                    unsettled=unsettled_requests(conn, row.local_id),
                    then="record her death")

    def _heir(self, conn: Connection, local_id: str, relative: str) -> str:
        """The heir's local id, once she may inherit under the policy."""
        try:
            address = MemberAddress.parse(relative if "@" in relative
                                          else f"{relative}@{self.node_id}")
        except AddressError as exc:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED, f"heir: {exc}") from exc
        relation = conn.execute(select(tb_kin.c.relation).where(
            tb_kin.c.member_local_id == local_id,
            tb_kin.c.relative == str(address))).scalar_one_or_none()
        direct_only = self.policy.transfers.recipients is Recipients.DIRECT_RELATIVES
        if relation is None or relation in NOT_HEIRS or (
                direct_only and relation not in DIRECT_RELATIONS):
            found = f"registered as {relation}" if relation else "not in her kin registry"
            wanted = "a direct relative" if direct_only else "a relative (not a friend)"
            raise RuleViolation(ErrorCode.HEIR_NOT_ALLOWED,
                                f"{address} is {found}; an heir of {local_id} is {wanted} in "
                                "her kin registry")
        if address.node_id != self.node_id:
            raise RuleViolation(ErrorCode.HEIR_NOT_ALLOWED,
                                f"{address} is at another node: this version passes hours on "
                                "to heirs at this node only")
        heir = load_member(conn, address.local_id)
        if heir.relocated_to is not None or heir.status != MemberStatus.ACTIVE:
            raise RuleViolation(ErrorCode.MEMBER_INACTIVE,
                                f"heir {address.local_id} is {heir.status}; she cannot receive")
        return str(address.local_id)

    def _estate(self, conn: Connection, local_id: str, heirs: list[tuple[str, int | None]]
                ) -> tuple[list[Posting], list[dict[str, Any]], int, int]:
        """The entry's legs, the heirs' shares, the minutes to the pool and the debt left."""
        account = member_account(local_id)
        balances = self.ledger.balances_of(conn, account)
        debt = -sum(v for v in balances.values() if v < 0)
        positive = {c: v for c, v in balances.items() if v > 0}
        inherit = self.policy.lifecycle.on_death is OnDeath.INHERIT_BY_KIN
        estate = {c: v for c, v in positive.items() if inherit and c in INHERITED}
        taken = dict.fromkeys(positive, 0)
        legs: list[Posting] = []
        shares: list[dict[str, Any]] = []
        for heir, portion in _portions(sum(estate.values()), heirs, local_id):
            minutes = portion if (room := self._room(conn, heir)) is None else min(portion, room)
            if not minutes:
                shares.append({"relative": heir, "minutes": 0})
                continue
            left = {c: v - taken[c] for c, v in estate.items()}
            part = transfer_legs(debtor=account, creditor=member_account(heir), available=left,
                                 amount_minutes=minutes, spend_order=SPEND_ORDER)
            require(part is not None, "the heirs' portions add up to the estate")
            assert part is not None  # for mypy: require() raised otherwise
            for leg in part:
                if leg.account == account:
                    taken[leg.credit_class] -= leg.amount_minutes
            legs += part
            shares.append({"relative": heir, "minutes": minutes})
        pool = 0
        for credit_class, value in sorted(positive.items()):
            rest = value - taken[credit_class]
            if rest:
                legs += [Posting(account, credit_class, -rest),
                         Posting(POOL_ACCOUNT, credit_class, rest)]
                pool += rest
        return legs, shares, pool, debt

    def _room(self, conn: Connection, heir: str) -> int | None:
        """What the heir may still hold under the policy's balance cap (None: no cap); over
        it, her share goes to the pool with the rest."""
        cap = self.policy.caps.balance_minutes
        if cap is None:
            return None
        held = sum(self.ledger.balances_of(conn, member_account(heir)).values())
        return max(cap - held, 0)

    @staticmethod
    def _close_account(conn: Connection, row: Any, now_ms: int) -> None:
        if row.status == MemberStatus.ACTIVE:
            conn.execute(update(members).where(members.c.local_id == row.local_id).values(
                status=MemberStatus.DEACTIVATED, deactivated_at_ms=now_ms,
                deactivation_reason=DECEASED))


def _portions(total: int, heirs: list[tuple[str, int | None]],
              local_id: str) -> list[tuple[str, int]]:
    """Each heir's minutes: one heir named without minutes takes everything; otherwise every
    share is named and they add up to what she leaves."""
    if total == 0:
        return []
    if not heirs:
        raise RuleViolation(ErrorCode.HEIR_NOT_ALLOWED,
                            f"{local_id} leaves {total} earned minutes to her kin "
                            "(lifecycle.on_death = inherit_by_kin): name her heirs")
    if len(heirs) == 1 and heirs[0][1] is None:
        return [(heirs[0][0], total)]
    named = [(heir, minutes) for heir, minutes in heirs if minutes is not None and minutes > 0]
    if len(named) != len(heirs) or sum(m for _, m in named) != total:
        raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                            f"{local_id} leaves {total} earned minutes: give every heir's "
                            "minutes, adding up to exactly that")
    return named


def _load(conn: Connection, local_id: str) -> Any:
    return conn.execute(select(tb_deaths).where(
        tb_deaths.c.member_local_id == local_id)).one_or_none()


def _require(conn: Connection, local_id: str) -> Any:
    row = _load(conn, local_id)
    if row is None:
        raise NotFound(ErrorCode.DEATH_NOT_FOUND, f"no death is recorded for {local_id}")
    return row


def _view(row: Any) -> dict[str, Any]:
    return {"member": row.member_local_id, "disposition": row.disposition,
            "heirs": json.loads(row.heirs), "pool_minutes": row.pool_minutes,
            "debt_minutes": row.debt_minutes, "note": row.note,
            "entry_height": row.entry_height, "recorded_by": row.recorded_by,
            "recorded_at_ms": row.recorded_at_ms}
