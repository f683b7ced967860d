"""Small helpers that make readable ledgers for tests: members, grants, transfers."""

from __future__ import annotations

import itertools

from node.access import Principal, Role
from node.privacy import consents
from node.runtime import Node
from protocol.credit import CreditClass

ADMIN = Principal(Role.ADMIN, "test-admin")
_ids = itertools.count(1)


def add_members(node: Node, *local_ids: str, station: str | None = None) -> None:
    for local_id in local_ids:
        node.members.create(
            ADMIN, local_id=local_id, display_name=local_id.title(), station=station,
            birth_year=None,
        )


def give_consent(node: Node, local_id: str, *purposes: str) -> None:
    """Her standing consent to each purpose (node/privacy/consents.py), recorded as staff record
    it from a signed form; straight into the table, so members without a birth year need no
    guardian's name here."""
    with node.db.write() as conn:
        for purpose in purposes:
            consents.give(conn, local_id, consents.Purpose(purpose), guardian_name=None,
                          actor=ADMIN.actor, now_ms=node.clock.now_ms())


def grant(
    node: Node, local_id: str, minutes: int, credit_class: CreditClass = CreditClass.GRANTED
) -> dict[str, object]:
    record, _ = node.grants.create(
        ADMIN, grant_id=f"g{next(_ids)}", local_id=local_id, amount_minutes=minutes,
        credit_class=credit_class, reason="test grant",
    )
    return record


def transfer(node: Node, debtor: str, creditor: str, minutes: int, transfer_id: str = "") -> dict:
    return node.transfers.create(
        ADMIN, transfer_id=transfer_id or f"t{next(_ids)}", debtor=debtor, creditor=creditor,
        amount_minutes=minutes, memo="",
    ).record


def balance(node: Node, local_id: str) -> int:
    return int(node.members.balance(ADMIN, local_id)["available_minutes"])


def by_class(node: Node, local_id: str) -> dict[str, int]:
    return dict(node.members.balance(ADMIN, local_id)["by_class_minutes"])
