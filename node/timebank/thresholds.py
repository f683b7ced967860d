"""Policy rules that read the member's records, not only her row: the redeem_min_balance rule
and a minor volunteer's guardian.

redeem_min_balance  `redeemer.min_balance_minutes`: before her first redemption (a service paid
                    from her own hours, or goods) a member must hold at least that many earned
                    minutes. Guangzhou's programme opens redemption to volunteers who served 100
                    hours. Once she has redeemed, the rule no longer applies to her.
guardian            `provider.guardian_min_age`: a volunteer below `provider.min_age` serves from
                    that age once a parent or grandparent (her guardian, Civil Code art. 27) is in
                    her kin registry. The node cannot see the guardian lead the visit; staff
                    record the guardian from the papers the family shows, as for any kin.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.db.schema import tb_kin, tb_redemptions, tb_service_requests
from node.errors import ErrorCode, RuleViolation
from node.ledger.journal import Ledger
from node.ledger.model import member_account
from node.states import ServiceRequestState
from node.timebank.policy import NodePolicy
from node.timebank.settle import PAYER_RECIPIENT
from protocol.credit import CreditClass

GUARDIAN_RELATIONS = ("parent", "grandparent")
# A request whose price was held from, or paid with, the recipient's own hours: a redemption.
# A refunded or cancelled one gave everything back, so it does not count.
_REDEEMED_STATES = (ServiceRequestState.COMPLETED, ServiceRequestState.DISPUTED,
                    ServiceRequestState.PAID)


def has_redeemed(conn: Connection, local_id: str) -> bool:
    """Has the member ever spent her own hours on goods or on a service that stood?"""
    goods = conn.execute(select(tb_redemptions.c.id).where(
        tb_redemptions.c.member_local_id == local_id).limit(1)).first()
    if goods is not None:
        return True
    table = tb_service_requests.c
    service = conn.execute(select(table.id).where(
        table.recipient_local_id == local_id, table.payer == PAYER_RECIPIENT,
        table.state.in_([str(s) for s in _REDEEMED_STATES])).limit(1)).first()
    return service is not None


def check_redeem_min_balance(conn: Connection, ledger: Ledger, policy: NodePolicy,
                             local_id: str) -> None:
    """The redeem_min_balance rule, or RuleViolation `redeem_min_balance_not_met`."""
    threshold = policy.redeemer.min_balance_minutes
    if threshold is None or has_redeemed(conn, local_id):
        return
    earned = ledger.balances_of(conn, member_account(local_id)).get(CreditClass.EARNED, 0)
    if earned < threshold:
        raise RuleViolation(ErrorCode.REDEEM_MIN_BALANCE_NOT_MET,
                            f"a first redemption needs {threshold} earned minutes banked "
                            f"(redeemer.min_balance_minutes); {local_id} holds {earned}")


def has_guardian(conn: Connection, local_id: str) -> bool:
    """Is a parent or grandparent in the member's kin registry (at any node)?"""
    row = conn.execute(select(tb_kin.c.relative).where(
        tb_kin.c.member_local_id == local_id,
        tb_kin.c.relation.in_(GUARDIAN_RELATIONS)).limit(1)).first()
    return row is not None
