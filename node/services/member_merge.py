"""Merging a duplicate registration into the member kept: an admin's action.

One write command (queued on the node's WriteBatcher like every money command), in one
database transaction:

1. Both members exist, differ, are active (not relocating, relocated or deactivated) and are
   not the node's own accounts.
2. Refuse while the duplicate has hours held or in flight: transfers to other nodes still open
   (`open_transfers`), service requests that can still hold, pay or refund her hours
   (`open_service_requests`, the time bank's check passed in by node/runtime.py), payment
   requests that can still bring or take hours (`open_payment_requests`), or a debt
   (`negative_balance`: a debt is settled, not moved).
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

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from node.access import Principal, Role, require_role
from node.clock import Clock
from node.db.batch import WriteBatcher
from node.db.engine import Database
from node.db.schema import (
    OPEN_TRANSFER,
    journal_entries,
    members,
    payment_requests,
    payment_requests_in,
    postings,
    transfers,
)
from node.errors import Conflict, ErrorCode, RuleViolation
from node.ledger.journal import Ledger
from node.ledger.model import EntryKind, Posting, member_account
from node.ledger.system_ids import refuse_system_id
from node.services.member_edits import (
    MERGED_FROM,
    MERGED_INTO,
    STATUS,
    check_fields,
    member_record,
    record_change,
)
from node.services.members import MemberRecord, load_member_pair, require_active
from node.states import (
    MEMBER_ACTIVE,
    MEMBER_DEACTIVATED,
    IncomingPaymentState,
    PaymentRequestState,
)
from protocol.credit import CreditClass

# The time bank's ids of a member's service requests that can still move her hours
# (node/timebank/parties.py), as node/services/relocation.py receives it.
UnsettledRequests = Callable[[Connection, str], list[str]]
OPEN_PAYMENT_STATES = (PaymentRequestState.SENT, PaymentRequestState.ACKNOWLEDGED)


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
                 node_id: str, unsettled_requests: UnsettledRequests) -> None:
        self.db = db
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
            self._refuse_held(conn, duplicate)
            moved = self._movable(conn, duplicate)
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

    def _refuse_held(self, conn: Connection, local_id: str) -> None:
        address = f"{local_id}@{self.node_id}"
        open_transfers = conn.execute(select(func.count()).select_from(transfers).where(
            transfers.c.debtor == address, OPEN_TRANSFER)).scalar_one()
        if open_transfers:
            raise Conflict(ErrorCode.OPEN_TRANSFERS,
                           f"{address} has {open_transfers} transfer(s) to other nodes still "
                           "open; merge once they are settled")
        requests = self.unsettled_requests(conn, local_id)
        if requests:
            raise Conflict(ErrorCode.OPEN_SERVICE_REQUESTS,
                           f"{address} is party to service requests that can still move her "
                           f"hours ({', '.join(requests)}); merge once they are settled")
        asked = conn.execute(select(func.count()).select_from(payment_requests).where(
            payment_requests.c.payee == address,
            payment_requests.c.state.in_([str(s) for s in OPEN_PAYMENT_STATES]))).scalar_one()
        asked_of = conn.execute(select(func.count()).select_from(payment_requests_in).where(
            payment_requests_in.c.payer_local_id == local_id,
            payment_requests_in.c.state == str(IncomingPaymentState.AWAITING))).scalar_one()
        if asked or asked_of:
            raise Conflict(ErrorCode.OPEN_PAYMENT_REQUESTS,
                           f"{address} has {asked + asked_of} payment request(s) still open; "
                           "merge once they are paid or declined")

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
