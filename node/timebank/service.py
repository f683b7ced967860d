"""The time bank of one node, composed from its policy: one object the runtime builds and the
HTTP routes (and the console) call. Every method takes a Principal and returns plain dicts.

    timebank.policy                      the NodePolicy in force
    timebank.requests / .disputes        the service cycle (requests.py, disputes.py)
    timebank.slips                       visits recorded from paper slips (slips.py)
    timebank.corrections                 paid visits corrected from slips (corrections.py)
    timebank.qualifications              volunteers' qualifications (qualifications.py)
    timebank.visit_codes                 the codes volunteers check in with (visit_codes.py)
    timebank.people                      vetting, kin registry, sponsors (people.py)
    timebank.donations / .goods          pool and goods (donations.py, goods.py)
    timebank.deaths / .closure           lifecycle.on_death and on_closure (deaths.py, closure.py)
    timebank.catalogue(principal)        service standards and exchange rates
    timebank.statistics(principal, ...)  demand, supply, completion, ratings (stats.py)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from node.access import Principal, Role, deny, require_role
from node.clock import Clock
from node.db.engine import Database
from node.errors import ErrorCode, RuleViolation
from node.federation import FederationService
from node.ledger.journal import Ledger
from node.services.grants import GrantService
from node.services.outgoing import OutgoingTransfers
from node.services.units import NodeUnit
from node.timebank.catalogue import catalogue
from node.timebank.closure import Closure
from node.timebank.common import age_of
from node.timebank.corrections import Corrections
from node.timebank.deaths import Deaths
from node.timebank.disputes import Disputes
from node.timebank.donations import Donations
from node.timebank.eligibility import check_gift
from node.timebank.goods import GoodsService
from node.timebank.kin_pending import PendingKin
from node.timebank.people import People
from node.timebank.policy import DEFAULT_POLICY, NodePolicy, load_policy
from node.timebank.qualifications import Qualifications
from node.timebank.requests import ServiceRequests
from node.timebank.slips import Slips
from node.timebank.stats import statistics
from node.timebank.visit_codes import VisitCodes
from node.timebank.visit_key import VisitKey
from protocol.addresses import MemberAddress

STATS_WINDOW_MS_MAX = 366 * 24 * 3600 * 1000


def policy_for(policy_file: str, data_dir: Path) -> NodePolicy:
    """The policy a node runs under: its configured file (relative to the data folder), or the
    built-in default, which keeps every rule as open as before policies existed."""
    if not policy_file:
        return DEFAULT_POLICY
    path = Path(policy_file)
    return load_policy(path if path.is_absolute() else data_dir / path)


def gift_rule(policy: NodePolicy, clock: Clock) -> Callable[[Connection, Any, MemberAddress],
                                                             None]:
    """TransferService's hook: the policy's recipients and giver age, local and cross-node."""

    def check(conn: Connection, giver: Any, recipient: MemberAddress) -> None:
        check_gift(conn, policy, giver=giver,
                   giver_age=age_of(giver.birth_year, clock.now_ms(), policy),
                   recipient=recipient)

    return check


class TimeBank:
    def __init__(self, *, db: Database, ledger: Ledger, clock: Clock, node_id: str,
                 policy: NodePolicy, grants: GrantService, outgoing: OutgoingTransfers,
                 federation: FederationService, unit: Callable[[], NodeUnit],
                 visit_key: VisitKey) -> None:
        self.db = db
        self.ledger = ledger
        self.node_id = node_id
        self.policy = policy
        self.federation = federation
        self.unit = unit
        self.visit_codes = VisitCodes(db=db, clock=clock, key=visit_key)
        self.requests = ServiceRequests(db=db, ledger=ledger, clock=clock, policy=policy,
                                        visit_codes=self.visit_codes)
        self.disputes = Disputes(self.requests)
        self.slips = Slips(self.requests)
        self.corrections = Corrections(self.requests)
        self.qualifications = Qualifications(db=db, clock=clock, policy=policy)
        self.people = People(db=db, clock=clock, node_id=node_id, grants=grants, policy=policy)
        self.kin_pending = PendingKin(db=db, clock=clock)  # kin arriving with a relocation
        self.donations = Donations(db=db, ledger=ledger, clock=clock, node_id=node_id,
                                   outgoing=outgoing, policy=policy)
        self.goods = GoodsService(db=db, ledger=ledger, clock=clock, policy=policy)
        self.deaths = Deaths(db=db, ledger=ledger, clock=clock, node_id=node_id, policy=policy)
        self.closure = Closure(db=db, clock=clock, node_id=node_id, policy=policy,
                               peer_check=outgoing.peer_entry)

    def catalogue(self, principal: Principal) -> dict[str, Any]:
        del principal  # any authenticated role may read the node's standards
        return catalogue(self.policy, unit=self.unit(), directory=self.federation.current(),
                         node_id=self.node_id)

    def policy_document(self, principal: Principal) -> dict[str, Any]:
        del principal
        return self.policy.model_dump(mode="json")

    def statistics(self, principal: Principal, *, from_ms: int, to_ms: int,
                   station: str | None = None) -> dict[str, Any]:
        """Staff see their own station; admins and the regulator any or all."""
        require_role(principal, Role.ADMIN, Role.STAFF, Role.REGULATOR, what="read statistics")
        if principal.role == Role.STAFF:
            if station not in (None, principal.station):
                raise deny(principal, f"read statistics of station {station}")
            station = principal.station
        if not 0 <= to_ms - from_ms <= STATS_WINDOW_MS_MAX:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                "to_ms must be after from_ms, at most 366 days later")
        return self.statistics_for(from_ms=from_ms, to_ms=to_ms, station=station)

    def statistics_for(self, *, from_ms: int, to_ms: int,
                       station: str | None = None) -> dict[str, Any]:
        """The figures without an access check, for the node's own reports."""
        with self.db.read() as conn:
            return statistics(conn, from_ms=from_ms, to_ms=to_ms, station=station)
