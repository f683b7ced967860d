"""Who may serve, who may redeem, and to whom hours may be given, under the node's policy.

Plain functions over a member row, their age and profile; each refusal names the rule.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.db.schema import tb_kin
from node.errors import ErrorCode, RuleViolation
from node.timebank.common import POOL_LOCAL_ID, Profile
from node.timebank.policy import NodePolicy, Recipients
from protocol.addresses import MemberAddress

DIRECT_RELATIONS = frozenset({"spouse", "parent", "child", "grandparent", "grandchild"})
RELATIONS = (*sorted(DIRECT_RELATIONS), "sibling", "other_relative", "friend")


def _need_age(age: int | None, local_id: str, rule: str) -> int:
    if age is None:
        raise RuleViolation(ErrorCode.AGE_UNKNOWN,
                            f"{rule} needs member {local_id}'s birth year, which is not recorded")
    return age


def _need_residence(row: Any, rule: str) -> None:
    if row.station is None:
        raise RuleViolation(ErrorCode.NOT_ELIGIBLE,
                            f"{rule} requires residence: member {row.local_id} is registered "
                            "at no service station of this node")


def check_provider(policy: NodePolicy, row: Any, age: int | None, *,
                   has_guardian: bool = False) -> None:
    """`has_guardian`: a parent or grandparent is in the volunteer's kin registry, which lets
    her serve from provider.guardian_min_age (node/timebank/thresholds.py answers it)."""
    rules = policy.provider
    if rules.residence_required:
        _need_residence(row, "serving")
    if rules.min_age is not None and _need_age(age, row.local_id, "serving") < rules.min_age:
        guarded = rules.guardian_min_age
        if guarded is not None and age is not None and age >= guarded:
            if has_guardian:
                return  # a minor: provider.max_age (50 at least) cannot apply
            raise RuleViolation(ErrorCode.NOT_ELIGIBLE,
                                f"volunteers under {rules.min_age} serve from {guarded} with a "
                                "guardian recorded as their parent or grandparent "
                                f"(provider.guardian_min_age); {row.local_id} has none")
        raise RuleViolation(ErrorCode.NOT_ELIGIBLE,
                            f"volunteers must be at least {rules.min_age} (provider.min_age); "
                            f"{row.local_id} is {age}")
    _check_max_age(policy, row, age)


def _check_max_age(policy: NodePolicy, row: Any, age: int | None) -> None:
    rules = policy.provider
    if rules.max_age is not None and _need_age(age, row.local_id, "serving") > rules.max_age:
        raise RuleViolation(ErrorCode.NOT_ELIGIBLE,
                            f"volunteers may be at most {rules.max_age} (provider.max_age); "
                            f"{row.local_id} is {age}")


def check_redeemer(policy: NodePolicy, row: Any, age: int | None, profile: Profile) -> None:
    """May this member spend their own hours on care or goods?"""
    rules = policy.redeemer
    if rules.residence_required:
        _need_residence(row, "redeeming hours")
    if rules.min_age is None:
        return
    known = _need_age(age, row.local_id, "redeeming hours")
    if known >= rules.min_age:
        return
    if profile.hardship and rules.hardship_min_age is not None:
        if known >= rules.hardship_min_age:
            return
        raise RuleViolation(ErrorCode.NOT_ELIGIBLE,
                            f"hours are redeemed from {rules.hardship_min_age} in hardship "
                            f"(redeemer.hardship_min_age); {row.local_id} is {known}")
    hardship = (f", or {rules.hardship_min_age} for a member vetted as in hardship"
                if rules.hardship_min_age is not None else "")
    raise RuleViolation(ErrorCode.NOT_ELIGIBLE,
                        f"hours are redeemed from age {rules.min_age}{hardship} "
                        f"(redeemer.min_age); {row.local_id} is {known}")


def check_gift(conn: Connection, policy: NodePolicy, *, giver: Any, giver_age: int | None,
               recipient: MemberAddress) -> None:
    """The policy's transfer rules, applied at the giver's node to local and remote gifts."""
    if recipient.local_id == POOL_LOCAL_ID:
        return  # a donation to a pool is always allowed
    rules = policy.transfers
    if rules.giver_min_age is not None:
        age = _need_age(giver_age, giver.local_id, "giving hours")
        if age < rules.giver_min_age:
            raise RuleViolation(ErrorCode.NOT_ELIGIBLE,
                                f"hours may be given from age {rules.giver_min_age} "
                                f"(transfers.giver_min_age); {giver.local_id} is {age}")
    if rules.recipients is Recipients.ANYONE:
        return
    relation = conn.execute(select(tb_kin.c.relation).where(
        tb_kin.c.member_local_id == giver.local_id,
        tb_kin.c.relative == str(recipient))).scalar_one_or_none()
    direct_only = rules.recipients is Recipients.DIRECT_RELATIVES
    if relation is None or (direct_only and relation not in DIRECT_RELATIONS):
        allowed = "a direct relative" if direct_only else "a relative or friend"
        found = f" (registered as {relation})" if relation else " (not in the kin registry)"
        raise RuleViolation(ErrorCode.RECIPIENT_NOT_ALLOWED,
                            f"this node's policy lets {giver.local_id} give hours only to "
                            f"{allowed} (transfers.recipients); {recipient} is not{found}")
