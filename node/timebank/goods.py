"""Goods: hours exchanged for items of the policy's goods catalogue, where the policy allows.

A redemption moves the member's hours (spent in the standard's order) to the node's
`redemption` account in one journal entry and records what was taken. The member must be
allowed to redeem hours (the policy's redeemer rules: age, hardship, residence).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from node.access import Principal, require_read_member
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import tb_redemptions
from node.errors import ErrorCode, NotFound, RuleViolation
from node.ledger.journal import Ledger
from node.ledger.model import AMOUNT_MINUTES_MAX, AccountKind, member_account
from node.services.idempotency import open_command, request_hash
from node.services.members import load_member
from node.timebank.common import TimebankEntry, acting_for, age_of, audit, load_profile
from node.timebank.eligibility import check_redeemer
from node.timebank.policy import NodePolicy
from node.timebank.thresholds import check_redeem_min_balance
from protocol.credit import SPEND_ORDER

QUANTITY_MAX = 100


class GoodsService:
    def __init__(self, *, db: Database, ledger: Ledger, clock: Clock,
                 policy: NodePolicy) -> None:
        self.db = db
        self.ledger = ledger
        self.clock = clock
        self.policy = policy

    def redeem(self, principal: Principal, *, redemption_id: str, member: str, goods: str,
               quantity: int) -> tuple[dict[str, Any], bool]:
        body_hash = request_hash({"member": member, "goods": goods, "quantity": quantity})
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            row = acting_for(conn, principal, member)
            amount, name = self._price(goods, quantity)
            opened = open_command(conn, principal, member=row, table=tb_redemptions,
                                  record_id=redemption_id, body_hash=body_hash,
                                  conflict=ErrorCode.REDEMPTION_ID_CONFLICT)
            if opened.existing is not None:
                return _view(opened.existing), False
            check_redeemer(self.policy, row, age_of(row.birth_year, now_ms, self.policy),
                           load_profile(conn, member))
            check_redeem_min_balance(conn, self.ledger, self.policy, member)
            entry = self.ledger.move(
                conn, debtor=member_account(member), creditor=str(AccountKind.REDEMPTION),
                amount_minutes=amount, spend_order=SPEND_ORDER,
                kind=TimebankEntry.GOODS_REDEMPTION, ref=redemption_id, actor=principal.actor,
                memo=f"{quantity} × {name}", now_ms=now_ms)
            conn.execute(insert(tb_redemptions).values(
                id=redemption_id, member_local_id=member, goods=goods, quantity=quantity,
                amount_minutes=amount, request_hash=body_hash, entry_height=entry.height,
                actor=principal.actor, created_at_ms=now_ms))
            audit(conn, subject=f"member:{member}", action="goods_redeemed",
                  actor=principal.actor, detail=f"{quantity} × {goods}, {amount} minutes",
                  now_ms=now_ms, entry_height=entry.height)
            return _view(conn.execute(select(tb_redemptions).where(
                tb_redemptions.c.id == redemption_id)).one()), True

    def refusal(self, principal: Principal, member: str) -> ErrorCode | None:
        """Why `member` may not redeem hours now under the policy's redeemer rules (age,
        hardship, residence), or None. A page asks before it offers its forms; redeem()
        checks again when it writes."""
        now_ms = self.clock.now_ms()
        with self.db.read() as conn:
            row = acting_for(conn, principal, member)
            try:
                check_redeemer(self.policy, row, age_of(row.birth_year, now_ms, self.policy),
                               load_profile(conn, member))
                check_redeem_min_balance(conn, self.ledger, self.policy, member)
            except RuleViolation as exc:
                return exc.code
        return None

    def _price(self, goods: str, quantity: int) -> tuple[int, str]:
        if not self.policy.goods.allowed:
            raise RuleViolation(ErrorCode.GOODS_NOT_ALLOWED,
                                "this node's policy exchanges hours for services only "
                                "(goods.allowed = false)")
        item = self.policy.goods_item(goods)
        if item is None:
            raise RuleViolation(ErrorCode.GOODS_UNKNOWN, f"no goods {goods} in the catalogue")
        amount = item.price_minutes * quantity
        if not 1 <= quantity <= QUANTITY_MAX or amount > AMOUNT_MINUTES_MAX:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                f"quantity must be 1..{QUANTITY_MAX}")
        return amount, item.name

    def get(self, principal: Principal, redemption_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(select(tb_redemptions).where(
                tb_redemptions.c.id == redemption_id)).one_or_none()
            if row is None:
                raise NotFound(ErrorCode.REDEMPTION_NOT_FOUND, f"no redemption {redemption_id}")
            member = load_member(conn, row.member_local_id)
        require_read_member(principal, local_id=member.local_id, station=member.station)
        return _view(row)


def _view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "member": row.member_local_id, "goods": row.goods,
            "quantity": row.quantity, "amount_minutes": row.amount_minutes,
            "entry_height": row.entry_height, "actor": row.actor,
            "created_at_ms": row.created_at_ms}
