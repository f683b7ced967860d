"""The node's closure under the policy's `lifecycle.on_closure`: the local decision, and the plan
of what is left to move. Hours are never forfeited: they leave with their members.

decide  an admin records that the node closes, with the reason. `relocate_to_successor`: the
        successor node is named, and must be an active node of the federation directory the
        node holds (`unknown_node`, `peer_not_active`). `members_choose_node`: none is named;
        each member picks hers. Recorded once: a repeat with the same body answers the decision
        again, another body is `closure_recorded`.
plan    the decision and every member who still holds hours here (not relocated, a balance
        other than zero), with her balance and where she goes: the successor, or `null` while
        she has not chosen. Staff see their station's members; admins and the regulator all.

What is left for the federation (docs/timebank.md, "Closing the node"): moving the members. Each
one leaves by the ordinary relocation (POST /api/v1/members/{id}/relocation), which staff or
the member start; nothing here starts relocations in bulk, changes the node's status in the
directory, or stops new registrations and requests once the closure is decided.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from node.access import Principal, Role, require_role
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import accounts, balances, members, tb_closure
from node.errors import Conflict, ErrorCode, RuleViolation
from node.ledger.model import AccountKind
from node.ledger.system_ids import SYSTEM_MEMBER_IDS
from node.services.idempotency import request_hash
from node.timebank.common import audit
from node.timebank.policy import NodePolicy, OnClosure

CLOSURE_ROW_ID = 1
PLAN_MEMBERS_MAX = 500  # members listed in one plan; `more` says there are others
# Checks that a node can be reached as a successor (OutgoingTransfers.peer_entry): raises
# unknown_node or peer_not_active.
PeerCheck = Callable[[str], object]


class Closure:
    def __init__(self, *, db: Database, clock: Clock, node_id: str, policy: NodePolicy,
                 peer_check: PeerCheck) -> None:
        self.db = db
        self.clock = clock
        self.node_id = node_id
        self.policy = policy
        self.peer_check = peer_check

    def decide(self, principal: Principal, *, successor: str | None,
               reason: str) -> tuple[dict[str, Any], bool]:
        require_role(principal, Role.ADMIN, what="decide the node's closure")
        rule = self.policy.lifecycle.on_closure
        if rule is OnClosure.RELOCATE_TO_SUCCESSOR:
            if successor is None or successor == self.node_id:
                raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                    "lifecycle.on_closure = relocate_to_successor: name the "
                                    "successor node, another node of the federation")
            self.peer_check(successor)
        elif successor is not None:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                "lifecycle.on_closure = members_choose_node: each member "
                                "chooses her node; name no successor")
        body_hash = request_hash({"successor": successor, "reason": reason})
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            existing = _load(conn)
            if existing is not None:
                if existing.request_hash != body_hash:
                    raise Conflict(ErrorCode.CLOSURE_RECORDED,
                                   "the node's closure is decided already, otherwise")
                return self._plan(conn, None), False
            conn.execute(insert(tb_closure).values(
                id=CLOSURE_ROW_ID, on_closure=str(rule), successor=successor, reason=reason,
                request_hash=body_hash, decided_by=principal.actor, decided_at_ms=now_ms))
            audit(conn, subject=f"node:{self.node_id}", action="closure_decided",
                  actor=principal.actor, now_ms=now_ms,
                  detail=f"{rule}{' to ' + successor if successor else ''}: {reason}")
            return self._plan(conn, None), True

    def plan(self, principal: Principal) -> dict[str, Any]:
        require_role(principal, Role.ADMIN, Role.STAFF, Role.REGULATOR,
                     what="read the node's closure")
        station = principal.station if principal.role == Role.STAFF else None
        with self.db.read() as conn:
            return self._plan(conn, station)

    def _plan(self, conn: Connection, station: str | None) -> dict[str, Any]:
        row = _load(conn)
        view: dict[str, Any] = {"closing": row is not None,
                                "on_closure": str(self.policy.lifecycle.on_closure),
                                "successor": None, "reason": None, "decided_by": None,
                                "decided_at_ms": None, "members": [], "more": False}
        if row is None:
            return view
        view.update(on_closure=row.on_closure, successor=row.successor, reason=row.reason,
                    decided_by=row.decided_by, decided_at_ms=row.decided_at_ms)
        holding = _holding(conn, station)
        view["members"] = [{"member": m.local_id, "station": m.station, "status": m.status,
                            "balance_minutes": int(m.total), "destination": row.successor}
                           for m in holding[:PLAN_MEMBERS_MAX]]
        view["more"] = len(holding) > PLAN_MEMBERS_MAX
        return view


def _load(conn: Connection) -> Any:
    return conn.execute(select(tb_closure).where(
        tb_closure.c.id == CLOSURE_ROW_ID)).one_or_none()


def _holding(conn: Connection, station: str | None) -> list[Any]:
    """Members not relocated whose balance is not zero, by local id (PLAN_MEMBERS_MAX + 1)."""
    total = func.sum(balances.c.balance_minutes).label("total")
    query = (select(members.c.local_id, members.c.station, members.c.status, total)
             .select_from(members.join(accounts, accounts.c.member_local_id
                                       == members.c.local_id)
                          .join(balances, balances.c.account_code == accounts.c.code))
             .where(accounts.c.kind == str(AccountKind.MEMBER),
                    members.c.relocated_to.is_(None),
                    members.c.local_id.not_in(sorted(SYSTEM_MEMBER_IDS)))
             .group_by(members.c.local_id, members.c.station, members.c.status)
             .having(total != 0)
             .order_by(members.c.local_id).limit(PLAN_MEMBERS_MAX + 1))
    if station is not None:
        query = query.where(members.c.station == station)
    return list(conn.execute(query))
