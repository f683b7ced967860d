"""Merging a duplicate registration into the member kept: an admin's action.

One write command (queued on the node's WriteBatcher like every money command), in one
database transaction:

1. Both members exist, differ, are active (not relocating, relocated or deactivated) and are
   not the node's own accounts.
2. Refuse while the duplicate has hours held or in flight: transfers to other nodes still open
   (`open_transfers`), service requests that can still hold, pay or refund her hours
   (`open_service_requests`, the time bank's check passed in by node/runtime.py), payment
   requests that can still bring or take hours (`open_payment_requests`), or a debt
   (`negative_balance`: a debt is settled, not moved) (node/services/held.py). Refuse when the
   kept member would hold more than the policy's balance cap (`balance_cap_exceeded`): a
   merge never sends her hours to the pool unasked.
3. Move every positive class of her balance to the kept member in ONE balanced journal entry
   of kind `member_merge` (ref: the duplicate's id), each class staying the class it is:
   balances are never edited, only posted to (docs/decisions.md).
4. Deactivate the duplicate with the reason "merged into <kept id>".
5. Record the merge in `member_changes` on both members (the admin's reason with it), never in
   the journal, whose memo names ids only.

Sending the same merge again answers with the first one (created False): a deactivated
duplicate whose reason names the same kept member was merged already.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from node.access import Principal, Role, require_role
from node.clock import Clock
from node.db.batch import WriteBatcher
from node.db.engine import Database
from node.db.schema import journal_entries, members, postings
from node.errors import ErrorCode, RuleViolation
from node.ledger.journal import Ledger
from node.ledger.model import EntryKind, Posting, member_account
from node.ledger.system_ids import refuse_system_id
from node.services.held import refuse_held
from node.services.member_edits import (
    MERGED_FROM,
    MERGED_INTO,
    STATUS,
    check_fields,
    member_record,
    record_change,
)
from node.services.members import MemberRecord, load_member_pair, require_active
from node.states import MEMBER_ACTIVE, MEMBER_DEACTIVATED
from protocol.credit import CreditClass

# The time bank's ids of a member's service requests that can still move her hours
# (node/timebank/parties.py), as node/services/relocation.py receives it.
UnsettledRequests = Callable[[Connection, str], list[str]]


def merged_reason(kept: str) -> str:
    """The duplicate's deactivation reason, which also marks the merge as done."""
    return f"merged into {kept}"


@dataclass(frozen=True)
class MergeResult:
    duplicate: MemberRecord
    kept: MemberRecord
    moved_by_class_minutes: dict[str, int]
    entry_height: int | None  # None: the duplicate had no hours to move
    created: bool  # False when an earlier identical merge is answered again


class MemberMerge:
    def __init__(self, *, db: Database, writer: WriteBatcher, ledger: Ledger, clock: Clock,
                 node_id: str, unsettled_requests: UnsettledRequests,
                 balance_cap_minutes: int | None = None) -> None:
        self.db = db
        self.balance_cap_minutes = balance_cap_minutes  # the policy's caps.balance_minutes
        self.writer = writer
        self.ledger = ledger
        self.clock = clock
        self.node_id = node_id
        self.unsettled_requests = unsettled_requests

    def command(self, principal: Principal, *, duplicate: str, kept: str,
                reason: str) -> Callable[[Connection], MergeResult]:
        """Check what needs no database and return the write to queue."""
        require_role(principal, Role.ADMIN, what="merge duplicate members")
        check_fields({}, reason)
        if duplicate == kept:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                "a member is not a duplicate of herself: name another member")
        for local_id in (duplicate, kept):
            refuse_system_id(local_id, what="it is never merged")
        now_ms = self.clock.now_ms()

        def apply(conn: Connection) -> MergeResult:
            rows = load_member_pair(conn, (duplicate, kept))
            dup, keep = rows[duplicate], rows[kept]
            if dup.status == MEMBER_DEACTIVATED and dup.deactivation_reason == merged_reason(
                    kept):
                return self._replayed(conn, dup, keep)
            require_active(dup)
            require_active(keep)
            refuse_held(conn, local_id=duplicate, node_id=self.node_id,
                        unsettled=self.unsettled_requests(conn, duplicate), then="merge")
            moved = self._movable(conn, duplicate)
            self._refuse_over_cap(conn, kept, sum(value for _, value in moved))
            height = self._move(conn, principal, duplicate=duplicate, kept=kept, moved=moved,
                                now_ms=now_ms)
            conn.execute(update(members).where(members.c.local_id == duplicate).values(
                status=MEMBER_DEACTIVATED, deactivated_at_ms=now_ms,
                deactivation_reason=merged_reason(kept)))
            for local_id, field, before, after in (
                    (duplicate, MERGED_INTO, None, kept),
                    (duplicate, STATUS, MEMBER_ACTIVE, MEMBER_DEACTIVATED),
                    (kept, MERGED_FROM, None, duplicate)):
                record_change(conn, local_id=local_id, field=field, before=before, after=after,
                              reason=reason, actor=principal.actor, now_ms=now_ms)
            merged = load_member_pair(conn, (duplicate, kept))
            return MergeResult(duplicate=member_record(merged[duplicate], self.node_id),
                               kept=member_record(merged[kept], self.node_id),
                               moved_by_class_minutes=dict(moved), entry_height=height,
                               created=True)

        return apply

    def merge(self, principal: Principal, *, duplicate: str, kept: str,
              reason: str) -> MergeResult:
        return self.writer.run(self.command(principal, duplicate=duplicate, kept=kept,
                                            reason=reason))

    def _refuse_over_cap(self, conn: Connection, kept: str, incoming: int) -> None:
        """A merge never takes her over the cap, nor sends her hours to the pool unasked."""
        cap = self.balance_cap_minutes
        if cap is None or not incoming:
            return
        held = sum(self.ledger.balances_of(conn, member_account(kept)).values())
        if held + incoming > cap:
            raise RuleViolation(ErrorCode.BALANCE_CAP_EXCEEDED,
                                f"{kept} holds {held} minutes; with {incoming} more she would "
                                f"pass the cap of {cap}")

    def _movable(self, conn: Connection, local_id: str) -> list[tuple[str, int]]:
        by_class = self.ledger.balances_of(conn, member_account(local_id))
        debts = {str(c): v for c, v in by_class.items() if v < 0}
        if debts:
            raise RuleViolation(ErrorCode.NEGATIVE_BALANCE,
                                f"{local_id} owes {debts}; a debt is not merged: settle it "
                                "first")
        return sorted((str(c), v) for c, v in by_class.items() if v > 0)

    def _move(self, conn: Connection, principal: Principal, *, duplicate: str, kept: str,
              moved: list[tuple[str, int]], now_ms: int) -> int | None:
        if not moved:
            return None
        source, target = member_account(duplicate), member_account(kept)
        legs: list[Posting] = []
        for name, value in moved:
            legs += [Posting(source, CreditClass(name), -value),
                     Posting(target, CreditClass(name), value)]
        return self.ledger.post(
            conn, kind=EntryKind.MEMBER_MERGE, ref=duplicate, actor=principal.actor,
            memo=f"duplicate {duplicate} merged into {kept}", now_ms=now_ms,
            legs=tuple(legs)).height

    def _replayed(self, conn: Connection, dup: Any, keep: Any) -> MergeResult:
        entry = conn.execute(select(journal_entries.c.height).where(
            journal_entries.c.kind == str(EntryKind.MEMBER_MERGE),
            journal_entries.c.ref == dup.local_id)).scalar_one_or_none()
        moved: dict[str, int] = {}
        if entry is not None:
            legs = conn.execute(select(postings.c.credit_class, postings.c.amount_minutes).where(
                postings.c.entry_height == entry, postings.c.amount_minutes > 0))
            moved = {name: int(value) for name, value in legs}
        return MergeResult(duplicate=member_record(dup, self.node_id),
                           kept=member_record(keep, self.node_id),
                           moved_by_class_minutes=moved, entry_height=entry, created=False)
