"""Relocation over the exchange (standard §8, §10): both nodes' halves.

New home node, answering relocation.prepare in the database transaction that stores the peer's
transaction: refuse `member_exists` if the new local id is taken or is a system account's id
(node/ledger/system_ids.py; final), refuse temporarily
while the old node's net debit toward us is at its cap, else create the member (with the name,
birth year, station and kin of her profile when she shared it: arrivals.py), credit every
class from the old node's clearing account (one relocation_in entry, which names only her old
address), keep the history summary and answer relocation.receipt with the new address.

Old home node, applying the answer: on the receipt, pending -> clearing for the new node (a
second relocation_out entry: every entry of one relocation has that kind and the relocation's id
as ref), the member is `relocated` with `relocated_to`; on a final refusal the reservation goes
back to the member (relocation_out again) and the member is active; on a temporary refusal the
same message is sent again later.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from node.db.rows import RelocationInRow, RelocationRow
from node.db.schema import members, relocations, relocations_in
from node.exchange import store
from node.exchange.answers import AnswerContext, Applied
from node.exchange.arrivals import ArrivalHook, insert_arrival
from node.exchange.requests import Answer, Context, new_id, refuse
from node.ledger.journal import Ledger
from node.ledger.model import AccountKind, EntryKind, Posting, member_account
from node.ledger.system_ids import SYSTEM_MEMBER_IDS
from node.states import MEMBER_ACTIVE as ACTIVE
from node.states import MEMBER_FLOOR_MINUTES
from node.states import MEMBER_RELOCATED as RELOCATED
from node.states import MEMBER_RELOCATING as RELOCATING
from node.states import RELOCATION_COMMITTED as COMMITTED
from node.states import RELOCATION_PENDING as PENDING
from node.states import RELOCATION_REJECTED as REJECTED
from protocol.addresses import MemberAddress
from protocol.canonical import canonical_bytes, sha256_hex
from protocol.credit import CreditClass
from protocol.messages import AnswerMessage, message_hash
from protocol.messages.other import (
    MessageRejectMessage,
    RelocationBody,
    RelocationMessage,
    RelocationReceiptBody,
    RelocationReceiptMessage,
)
from protocol.reasons import ReasonCode, is_final
from protocol.transfer_rules import check_debit_caps

if TYPE_CHECKING:
    from node.exchange.service import Exchange

log = logging.getLogger("hourbridge.exchange")


class RelocationHandlers:
    def __init__(self, *, node_id: str, ledger: Ledger, retry_ms: int,
                 arrived: ArrivalHook | None = None) -> None:
        self.node_id = node_id
        self.ledger = ledger
        self.retry_ms = retry_ms
        self.arrived = arrived

    def install(self, exchange: Exchange) -> None:
        exchange.requests.register("relocation.prepare", self.on_prepare)
        exchange.answers.register("relocation.prepare", self.on_answer)

    # the new home node ----------------------------------------------------------------------

    def on_prepare(self, conn: Connection, ctx: Context, request: RelocationMessage) -> Answer:
        body = request.body
        digest = sha256_hex(canonical_bytes(body.model_dump(mode="json")))
        found = conn.execute(select(relocations_in).where(
            relocations_in.c.from_node == ctx.sender,
            relocations_in.c.relocation_id == body.relocation_id)).one_or_none()
        if found is not None:
            held = RelocationInRow.from_row(found)
            if held.body_hash != digest:
                return refuse(request, ReasonCode.MALFORMED,
                              f"relocation id {body.relocation_id} was used for other content")
            return self._receipt(request, held.new_local_id, held.committed_at_ms)
        if body.new_local_id in SYSTEM_MEMBER_IDS:
            # Even before this node created its pool: a member under the pool's id would
            # receive every donation (issue 12). Final, as for any taken id.
            return refuse(request, ReasonCode.MEMBER_EXISTS,
                          f"{body.new_local_id}@{self.node_id} is the node's donation pool; "
                          "choose another local id")
        taken = conn.execute(select(members.c.local_id)
                             .where(members.c.local_id == body.new_local_id)).first()
        if taken is not None:
            return refuse(request, ReasonCode.MEMBER_EXISTS,
                          f"{body.new_local_id}@{self.node_id} is taken; choose another local id")
        moving = [(item.credit_class, item.amount_minutes) for item in body.balances
                  if item.amount_minutes > 0]
        total = sum(amount for _, amount in moving)
        if total:
            debtor_node = ctx.directory.node(ctx.sender)
            assert debtor_node is not None  # admission found the sender in the directory
            owed = -store.clearing_balance(conn, ctx.sender)
            reason = check_debit_caps(debtor_node, owed_to_partner_minutes=owed,
                                      owed_overall_minutes=None, amount_minutes=total)
            if reason is not None:
                return refuse(request, reason,
                              f"{ctx.sender} owes {owed} minutes here; moving {total} more would "
                              f"pass its cap of {debtor_node.net_debit_cap_per_partner_minutes}")
        self._create_member(conn, body, now_ms=ctx.now_ms)
        entry_height = None
        if moving:
            clearing = store.ensure_clearing(conn, ctx.sender, ctx.now_ms)
            account = member_account(body.new_local_id)
            legs: list[Posting] = []
            for credit_class, amount in moving:
                legs += [Posting(clearing, credit_class, -amount),
                         Posting(account, credit_class, amount)]
            entry_height = self.ledger.post(
                conn, kind=EntryKind.RELOCATION_IN, ref=body.relocation_id, actor=body.member,
                memo=f"relocated here from {body.member}", now_ms=ctx.now_ms,
                legs=tuple(legs)).height
        conn.execute(insert(relocations_in).values(RelocationInRow(
            from_node=ctx.sender, relocation_id=body.relocation_id, body_hash=digest,
            member=body.member, new_local_id=body.new_local_id,
            balances=_json([b.model_dump(mode="json") for b in body.balances]),
            history=_json(body.history.model_dump(mode="json")), entry_height=entry_height,
            committed_at_ms=ctx.now_ms, transaction_id=ctx.transaction_id,
            prepare_hash=message_hash(request),
        ).values()))
        return self._receipt(request, body.new_local_id, ctx.now_ms)

    def _create_member(self, conn: Connection, body: RelocationBody, *, now_ms: int) -> None:
        # Her name, birth year, station and kin come from the profile she agreed to share
        # (arrivals.py); without one she starts as her old address, unplaced.
        local_id = body.new_local_id
        insert_arrival(conn, body, now_ms=now_ms)
        if self.arrived is not None:
            self.arrived(conn, body, self.node_id, now_ms)
        self.ledger.create_account(conn, code=member_account(local_id), kind=AccountKind.MEMBER,
                                   now_ms=now_ms, member_local_id=local_id,
                                   floor_minutes=MEMBER_FLOOR_MINUTES)

    def _receipt(self, request: RelocationMessage, local_id: str, committed_at_ms: int) -> Answer:
        body = RelocationReceiptBody(
            in_reply_to=request.message_id, relocation_id=request.body.relocation_id,
            prepare_hash=message_hash(request), new_address=f"{local_id}@{self.node_id}",
            committed_at_ms=committed_at_ms,
        )
        return Answer(RelocationReceiptMessage(message_id=new_id(), body=body), final=True)

    # the old home node ----------------------------------------------------------------------

    def on_answer(self, conn: Connection, ctx: AnswerContext, request: RelocationMessage,
                  answer: AnswerMessage) -> Applied:
        found = conn.execute(select(relocations).where(
            relocations.c.wire_id == request.body.relocation_id)).one_or_none()
        if found is None:
            log.error("answer about unknown relocation %s from %s",
                      request.body.relocation_id, ctx.peer)
            return Applied()
        row = RelocationRow.from_row(found)
        if row.state != PENDING:
            return Applied()  # settled by an earlier answer
        if isinstance(answer, RelocationReceiptMessage):
            problem = _receipt_problem(request, answer, row, ctx.peer)
            if problem is not None:
                # Never settled on a receipt that does not match: an operator must look.
                log.error("dispute on relocation %s with %s: %s", row.id, ctx.peer, problem)
                conn.execute(update(relocations).where(relocations.c.id == row.id)
                             .values(dispute=problem[:500], updated_at_ms=ctx.now_ms))
                return Applied()
            new_address = answer.body.new_address
            height = self._move_pending(conn, row, to=store.ensure_clearing(
                conn, ctx.peer, ctx.now_ms), memo=f"relocation to {new_address}: settled",
                now_ms=ctx.now_ms)
            conn.execute(update(members).where(members.c.local_id == row.member_local_id)
                         .values(status=RELOCATED, relocated_to=new_address))
            self._finish(conn, row, ctx, state=COMMITTED, height=height, new_address=new_address,
                         committed_at_ms=answer.body.committed_at_ms)
            conn.execute(update(relocations).where(relocations.c.id == row.id).values(
                prepare_hash=answer.body.prepare_hash, answer_transaction_id=ctx.transaction_id))
            return Applied()
        assert isinstance(answer, MessageRejectMessage)  # admit_response checked the type
        reason = answer.body.reason
        if not is_final(reason):
            return Applied(resend_at_ms=ctx.now_ms + self.retry_ms)
        height = self._move_pending(conn, row, to=member_account(row.member_local_id),
                                    memo=f"relocation refused ({reason.value}): released",
                                    now_ms=ctx.now_ms)
        conn.execute(update(members).where(members.c.local_id == row.member_local_id,
                                           members.c.status == RELOCATING)
                     .values(status=ACTIVE))
        self._finish(conn, row, ctx, state=REJECTED, height=height, reason=reason.value,
                     detail=answer.body.detail)
        return Applied()

    def _move_pending(self, conn: Connection, row: RelocationRow, *, to: str, memo: str,
                      now_ms: int) -> int | None:
        legs: list[Posting] = []
        for item in json.loads(row.balances):
            credit_class, amount = CreditClass(item["credit_class"]), item["amount_minutes"]
            legs += [Posting(str(AccountKind.PENDING), credit_class, -amount),
                     Posting(to, credit_class, amount)]
        if not legs:
            return None
        store.add_reserved(conn, row.to_node, -sum(p.amount_minutes for p in legs[1::2]))
        return self.ledger.post(conn, kind=EntryKind.RELOCATION_OUT, ref=row.id,
                                actor=row.actor, memo=memo, now_ms=now_ms,
                                legs=tuple(legs)).height

    @staticmethod
    def _finish(conn: Connection, row: RelocationRow, ctx: AnswerContext, *, state: str,
                height: int | None, new_address: str | None = None,
                committed_at_ms: int | None = None, reason: str | None = None,
                detail: str | None = None) -> None:
        conn.execute(update(relocations).where(relocations.c.id == row.id).values(
            state=state, new_address=new_address, committed_at_ms=committed_at_ms,
            reason_code=reason, detail=detail, settled_entry_height=height,
            updated_at_ms=ctx.now_ms,
        ))


def _receipt_problem(request: RelocationMessage, answer: RelocationReceiptMessage,
                     row: RelocationRow, peer: str) -> str | None:
    body = answer.body
    if body.relocation_id != request.body.relocation_id:
        return f"receipt names relocation {body.relocation_id}"
    if body.prepare_hash != message_hash(request):
        return "receipt names another relocation.prepare"
    if MemberAddress.parse(body.new_address) != MemberAddress(row.new_local_id, peer):
        return f"receipt gives {body.new_address}, not {row.new_local_id}@{peer}"
    return None


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
