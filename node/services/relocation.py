"""Relocation at the member's old home node (standard §10): the member's whole account moves to
another node.

In one database transaction: check the member (active, nothing reserved in open transfers, no
service request that can still pay, refund or hold their hours: node/timebank/parties.py), the
peer, the link and this node's net debit caps; reserve every credit class (member ->
pending, one relocation_out entry); mark the member `relocating`; record the relocation with the
balances and the history summary this node vouches for; queue the signed relocation.prepare,
with the member's profile when she agreed to share it (relocation_profile.py; the row keeps
when she agreed and the station she asked for, never her name or birth year).
The new node's receipt settles it (node/exchange/relocation.py): pending -> clearing, the member
is `relocated` and later prepares to the old address are refused with the new one. A final
refusal releases the reservation and the member is active again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.engine import Connection

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
from node.db.fast import insert_row
from node.db.rows import RelocationRow
from node.db.schema import (
    OPEN_TRANSFER,
    journal_entries,
    members,
    postings,
    relocations,
    transfers,
)
from node.errors import Conflict, ErrorCode, NotFound, RuleViolation
from node.exchange import store
from node.exchange.requests import new_id
from node.ledger.journal import Ledger
from node.ledger.model import (
    MEMBER_RELOCATED,
    MEMBER_RELOCATING,
    AccountKind,
    EntryKind,
    Posting,
    member_account,
)
from node.ledger.system_ids import refuse_system_id
from node.services.idempotency import open_command, request_hash
from node.services.members import load_member
from node.services.outgoing import OutgoingTransfers
from node.services.relocation_profile import build_profile
from node.states import RELOCATION_COMMITTED, RELOCATION_PENDING, RELOCATION_REJECTED
from protocol.credit import CreditClass
from protocol.directory import NodeEntry
from protocol.messages import encode_message
from protocol.messages.other import (
    ClassBalance,
    HistorySummary,
    RelocationBody,
    RelocationMessage,
    RelocationProfile,
)
from protocol.reasons import ReasonCode
from protocol.transfer_rules import check_debit_caps

PENDING = RELOCATION_PENDING
COMMITTED = RELOCATION_COMMITTED
REJECTED = RELOCATION_REJECTED
RELOCATING = MEMBER_RELOCATING  # member status while the relocation is reserved
RELOCATED = MEMBER_RELOCATED  # member status once the new node committed it
_INSERT = insert_row(relocations)
NAMED_MAX = 5  # service request ids a refusal names
# The ids of a member's service requests that can still move their hours, at most NAMED_MAX + 1.
# The time bank answers (node/timebank/parties.py); node/runtime.py passes it in, so this layer
# never imports the time bank above it.
UnsettledRequests = Callable[[Connection, str], list[str]]
ConsentedAt = Callable[[Connection, str], int | None]


@dataclass(frozen=True)
class RelocationResult:
    record: dict[str, Any]
    created: bool  # False when an identical earlier request is answered again


def history_summary(conn: Connection, ledger: Ledger, account: str) -> HistorySummary:
    """What this node vouches for about the member's past: the entries touching the account,
    what came in and went out, when, and the ledger head the summary was taken at."""
    amount = postings.c.amount_minutes
    row = conn.execute(
        select(
            func.count(func.distinct(postings.c.entry_height)),
            func.coalesce(func.sum(case((amount > 0, amount), else_=0)), 0),
            func.coalesce(func.sum(case((amount < 0, -amount), else_=0)), 0),
            func.min(journal_entries.c.created_at_ms),
            func.max(journal_entries.c.created_at_ms),
        )
        .select_from(postings.join(journal_entries,
                                   postings.c.entry_height == journal_entries.c.height))
        .where(postings.c.account_code == account)
    ).one()
    _, head_hash = ledger.head(conn)
    return HistorySummary(
        entries_count=int(row[0]), earned_minutes_total=int(row[1]),
        spent_minutes_total=int(row[2]), first_entry_at_ms=row[3], last_entry_at_ms=row[4],
        journal_head_hash=head_hash,
    )


class RelocationService:
    def __init__(self, *, db: Database, writer: WriteBatcher, ledger: Ledger, clock: Clock,
                 node_id: str, outgoing: OutgoingTransfers,
                 unsettled_requests: UnsettledRequests, share_kin: bool = False,
                 consented_at: ConsentedAt = lambda conn, local_id: None) -> None:
        self.db = db
        # When her standing consent to share her profile on relocation was recorded (by
        # node/privacy, passed in by node/runtime.py), or None.
        self.consented_at = consented_at
        self.writer = writer
        self.ledger = ledger
        self.clock = clock
        self.node_id = node_id
        self.outgoing = outgoing
        self.unsettled_requests = unsettled_requests
        # Whether a profile carries the member's kin: node/runtime.py says so when this node's
        # time-bank policy lets members give hours only to their kin (docs/decisions.md).
        self.share_kin = share_kin

    def _consent(self, conn: Connection, principal: Principal, local_id: str,
                 now_ms: int) -> int:
        """When she agreed to share her profile: now, when she asks herself (the move page's
        box); otherwise her recorded consent, without which staff may not send it."""
        if principal.role == Role.MEMBER and principal.member_local_id == local_id:
            return now_ms
        given = self.consented_at(conn, local_id)
        if given is None:
            raise RuleViolation(ErrorCode.CONSENT_REQUIRED,
                                f"{local_id} has no recorded consent to share her profile on "
                                "relocation (share_on_relocation): record it first, or send "
                                "the relocation without her profile")
        return given

    def command(self, principal: Principal, *, relocation_id: str, local_id: str, to_node: str,
                new_local_id: str, share_profile: bool = False,
                station: str | None = None) -> Callable[[Connection], RelocationResult]:
        """Validate what needs no database and return the write to queue. `share_profile`: the
        member agreed to share her profile with the new node (relocation_profile.py); `station`,
        the station she asked for there, travels in it."""
        require_role(principal, Role.ADMIN, Role.STAFF, Role.MEMBER, what="relocate members")
        if principal.role == Role.MEMBER and principal.member_local_id != local_id:
            raise deny(principal, f"act for member {local_id}")
        if to_node == self.node_id:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                f"{local_id} is a member of {to_node} already; a relocation "
                                "moves a member to another node")
        refuse_system_id(local_id, what="it does not relocate")
        refuse_system_id(new_local_id, what="no member takes it at any node")
        if station is not None and not share_profile:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                "the station at the new node travels in the member's profile, "
                                "which needs her consent to share it (share_profile)")
        asked: dict[str, Any] = {"member": local_id, "to_node": to_node,
                                 "new_local_id": new_local_id}
        if share_profile:  # requests made before profiles keep their stored hash
            asked |= {"share_profile": True, "station": station}
        body_hash = request_hash(asked)
        now_ms = self.clock.now_ms()

        def apply(conn: Connection) -> RelocationResult:
            opened = open_command(conn, principal, member=local_id, table=relocations,
                                  record_id=relocation_id, body_hash=body_hash,
                                  conflict=ErrorCode.RELOCATION_ID_CONFLICT)
            if opened.existing is not None:
                return RelocationResult(_view(opened.existing._asdict(), self.node_id),
                                        created=False)
            profile = (build_profile(conn, opened.member, share_kin=self.share_kin,
                                     station=station,
                                     consent_at_ms=self._consent(conn, principal, local_id,
                                                                 now_ms))
                       if share_profile else None)
            record = self._reserve(conn, principal, member_row=opened.member,
                                   relocation_id=relocation_id, to_node=to_node,
                                   new_local_id=new_local_id, body_hash=body_hash,
                                   profile=profile, now_ms=now_ms)
            return RelocationResult(_view(record.values(), self.node_id), created=True)

        return apply

    def _reserve(self, conn: Connection, principal: Principal, *, member_row: Any,
                 relocation_id: str, to_node: str, new_local_id: str, body_hash: str,
                 profile: RelocationProfile | None, now_ms: int) -> RelocationRow:
        """Refuse what cannot move yet, then reserve the balances, mark the member, record the
        relocation and queue its message: one transaction, so a refusal leaves no trace."""
        local_id = member_row.local_id
        address = f"{local_id}@{self.node_id}"
        me, policy = self._refuse_blocked(conn, local_id=local_id, address=address,
                                          to_node=to_node)
        account = member_account(local_id)
        moving = self._movable(conn, account, me, address=address, to_node=to_node)
        history = history_summary(conn, self.ledger, account)
        entry_height = self._hold(conn, principal, account, moving, relocation_id=relocation_id,
                                  memo=f"relocation to {new_local_id}@{to_node}: reserved",
                                  now_ms=now_ms)
        lifetime = min(max(self.outgoing.expiry_ms, policy.expiry_min_ms), policy.expiry_max_ms)
        message = RelocationMessage(message_id=new_id(), body=RelocationBody(
            relocation_id=new_id(), member=address, new_local_id=new_local_id,
            balances=[ClassBalance(credit_class=CreditClass(name), amount_minutes=value)
                      for name, value in moving],
            history=history, profile=profile, created_at_ms=now_ms,
            expires_at_ms=now_ms + lifetime,
        ))
        conn.execute(update(members).where(members.c.local_id == local_id)
                     .values(status=RELOCATING))
        record = _record(message, relocation_id=relocation_id, local_id=local_id,
                         to_node=to_node, new_local_id=new_local_id, body_hash=body_hash,
                         entry_height=entry_height, actor=principal.actor, now_ms=now_ms)
        _INSERT.run(conn, record.values())
        # counted by every cap check until settled
        store.add_reserved(conn, to_node, sum(v for _, v in moving))
        store.enqueue(conn, peer=to_node, message=encode_message(message), now_ms=now_ms)
        self.outgoing.wake(to_node)
        return record

    def _refuse_blocked(self, conn: Connection, *, local_id: str, address: str,
                        to_node: str) -> tuple[NodeEntry, Any]:
        """What must settle before a member can leave: transfers to other nodes, service
        requests, an unknown peer, a frozen link. Returns this node's entry and the
        peer's policy."""
        open_count = conn.execute(select(func.count()).select_from(transfers).where(
            transfers.c.debtor == address, OPEN_TRANSFER)).scalar_one()
        if open_count:
            raise Conflict(ErrorCode.OPEN_TRANSFERS,
                           f"{address} has {open_count} transfer(s) to other nodes still open; "
                           "relocate once they are settled")
        _refuse_unsettled_requests(self.unsettled_requests(conn, local_id), address)
        _, me, policy = self.outgoing.peer_entry(to_node)
        link = store.link(conn, to_node)
        if link.frozen_reason is not None:
            raise Conflict(ErrorCode.LINK_FROZEN,
                           f"the link with {to_node} is frozen ({link.frozen_reason}) until an "
                           "operator resolves it")
        return me, policy

    def _movable(self, conn: Connection, account: str, me: NodeEntry, *, address: str,
                 to_node: str) -> list[tuple[str, int]]:
        """The positive balances that move, one per class sorted by name as the standard wants;
        refused if the member owes hours or the move would break this node's debit caps."""
        by_class = self.ledger.balances_of(conn, account)
        debts = {str(c): v for c, v in by_class.items() if v < 0}
        if debts:
            raise RuleViolation(ErrorCode.NEGATIVE_BALANCE,
                                f"{address} owes {debts}; a debt does not move with a "
                                "relocation: settle it first")
        moving = sorted((str(c), v) for c, v in by_class.items() if v > 0)
        total = sum(v for _, v in moving)
        if not total:
            return moving
        cap = check_debit_caps(
            me, owed_to_partner_minutes=store.owed_to(conn, to_node),
            owed_overall_minutes=store.owed_to(conn, None), amount_minutes=total)
        if cap is not None:
            code = (ErrorCode.PARTNER_CAP_EXCEEDED if cap is ReasonCode.PARTNER_CAP_EXCEEDED
                    else ErrorCode.OVERALL_CAP_EXCEEDED)
            raise RuleViolation(code, f"{cap.value}: moving {total} minutes would take this "
                                f"node's net debit toward {to_node} or the federation over "
                                "its cap; try again later")
        return moving

    def _hold(self, conn: Connection, principal: Principal, account: str,
              moving: list[tuple[str, int]], *, relocation_id: str, memo: str,
              now_ms: int) -> int | None:
        """Reserve every moving class (member -> pending) in one relocation_out entry; None if
        nothing moves."""
        if not moving:
            return None
        legs: list[Posting] = []
        for name, value in moving:
            legs += [Posting(account, CreditClass(name), -value),
                     Posting(str(AccountKind.PENDING), CreditClass(name), value)]
        return self.ledger.post(
            conn, kind=EntryKind.RELOCATION_OUT, ref=relocation_id, actor=principal.actor,
            memo=memo, now_ms=now_ms, legs=tuple(legs)).height

    def create(self, principal: Principal, *, relocation_id: str, local_id: str, to_node: str,
               new_local_id: str, share_profile: bool = False,
               station: str | None = None) -> RelocationResult:
        return self.writer.run(self.command(principal, relocation_id=relocation_id,
                                            local_id=local_id, to_node=to_node,
                                            new_local_id=new_local_id,
                                            share_profile=share_profile, station=station))

    def get(self, principal: Principal, relocation_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(
                select(relocations).where(relocations.c.id == relocation_id)).one_or_none()
            if row is None:
                raise NotFound(ErrorCode.RELOCATION_NOT_FOUND, f"no relocation {relocation_id}")
            member = load_member(conn, row.member_local_id)
        require_read_member(principal, local_id=member.local_id, station=member.station)
        return _view(row._mapping, self.node_id)


def _record(message: RelocationMessage, *, relocation_id: str, local_id: str, to_node: str,
            new_local_id: str, body_hash: str, entry_height: int | None, actor: str,
            now_ms: int) -> RelocationRow:
    """The relocations row of a reservation just made, every column spelled out."""
    body = message.body
    return RelocationRow(
        id=relocation_id, member_local_id=local_id, to_node=to_node,
        new_local_id=new_local_id, state=PENDING, reason_code=None, detail=None,
        new_address=None, request_hash=body_hash, wire_id=body.relocation_id,
        message_id=message.message_id,
        balances=_json([b.model_dump(mode="json") for b in body.balances]),
        history=_json(body.history.model_dump(mode="json")), entry_height=entry_height,
        settled_entry_height=None, actor=actor, created_at_ms=now_ms,
        expires_at_ms=body.expires_at_ms, committed_at_ms=None, updated_at_ms=now_ms,
        dispute=None, prepare_hash=None, answer_transaction_id=None,
        profile_consent_at_ms=None if body.profile is None else body.profile.consent_at_ms,
        arrival_station=None if body.profile is None else body.profile.station,
    )


def _refuse_unsettled_requests(pending: list[str], address: str) -> None:
    # A refund or a volunteer's pay settled after the move would land on the `relocated`
    # account, where nothing can spend or move it (issue 12, finding 5).
    if pending:
        named = ", ".join(pending[:NAMED_MAX]) + (", ..." if len(pending) > NAMED_MAX else "")
        raise Conflict(ErrorCode.OPEN_SERVICE_REQUESTS,
                       f"{address} is recipient or volunteer of service request(s) {named} "
                       "that can still pay, refund or hold hours; relocate once each is paid, "
                       "refunded or cancelled")


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _view(row: Mapping[Any, Any], node_id: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "member": f"{row['member_local_id']}@{node_id}",
        "to_node": row["to_node"],
        "new_local_id": row["new_local_id"],
        "state": row["state"],
        "reason_code": row["reason_code"],
        "detail": row["detail"],
        "new_address": row["new_address"],
        "balances": json.loads(row["balances"]),
        "history": json.loads(row["history"]),
        "entry_height": row["entry_height"],
        "created_at_ms": row["created_at_ms"],
        "expires_at_ms": row["expires_at_ms"],
        "committed_at_ms": row["committed_at_ms"],
        "updated_at_ms": row["updated_at_ms"],
        "dispute": row["dispute"],
        # Whether she agreed to share her profile, when, and the station she asked for; the
        # name and birth year it carried are read from her record, not kept here.
        "profile_shared": row["profile_consent_at_ms"] is not None,
        "profile_consent_at_ms": row["profile_consent_at_ms"],
        "arrival_station": row["arrival_station"],
    }
