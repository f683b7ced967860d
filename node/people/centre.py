"""What the personal centre (node/centre/) reads beside the API's services: the names behind a
member's own statement lines and kin, and her transfers still on their way to another node.

Both check the reader as the statement does (`require_read_member`: the member, a delegate she
named, her station's staff, an admin or the regulator). Names are derived from her own records
only, never from what a caller passes in: the other member accounts of journal entries her
account takes part in, the volunteer and the person served of service requests she is a party
of, and her kin registry. A member therefore learns the name of someone she already deals with,
and nothing about any other id, not even whether it exists.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from node.access import Principal, require_read_member
from node.db.engine import Database
from node.db.schema import (
    OPEN_TRANSFER,
    journal_entries,
    members,
    postings,
    tb_kin,
    tb_service_requests,
    transfers,
)
from node.ledger.model import member_account
from node.people import records
from node.services.members import load_member

HEIGHTS_MAX = 100  # a statement page is at most this long
OPEN_TRANSFERS_MAX = 20
SERVICE_KINDS = ("service_hold", "service_settle", "service_rehold",  # timebank TimebankEntry
                 "service_adjust")
_MEMBER_PREFIX = member_account("")


@dataclass(frozen=True)
class ServiceFact:
    category: str
    item: str | None
    recipient: str
    volunteer: str | None
    state: str | None = None  # the request's ServiceRequestState, where it was read


@dataclass(frozen=True)
class CentreFacts:
    """Names for one page of a member's centre."""

    people: Mapping[str, str]  # local id -> display name
    services: Mapping[str, ServiceFact]  # service request id -> what it was and who
    kin: Mapping[str, str]  # relative's address -> relation (node/timebank/eligibility.py)
    heights: Mapping[int, tuple[str, ...]]  # entry height -> other members of this node on it


def _my_heights(conn: Connection, account: str, heights: Iterable[int]) -> list[int]:
    wanted = sorted(set(heights))[:HEIGHTS_MAX]
    if not wanted:
        return []
    return list(conn.execute(select(postings.c.entry_height).where(
        postings.c.account_code == account, postings.c.entry_height.in_(wanted))
        .distinct()).scalars())


def _others(conn: Connection, account: str, heights: list[int]) -> dict[int, tuple[str, ...]]:
    """The other member accounts on each of these entries, as local ids."""
    found: dict[int, set[str]] = {height: set() for height in heights}
    if heights:
        rows = conn.execute(select(postings.c.entry_height, postings.c.account_code).where(
            postings.c.entry_height.in_(heights), postings.c.account_code != account,
            postings.c.account_code.startswith(_MEMBER_PREFIX)))
        for height, code in rows:
            found[height].add(code.removeprefix(_MEMBER_PREFIX))
    return {height: tuple(sorted(ids)) for height, ids in found.items()}


def _services(conn: Connection, local_id: str, heights: list[int]) -> dict[str, ServiceFact]:
    if not heights:
        return {}
    refs = set(conn.execute(select(journal_entries.c.ref).where(
        journal_entries.c.height.in_(heights), journal_entries.c.kind.in_(SERVICE_KINDS),
        journal_entries.c.ref.is_not(None))).scalars())
    if not refs:
        return {}
    table = tb_service_requests.c
    rows = conn.execute(select(table.id, table.category, table.item, table.recipient_local_id,
                               table.volunteer_local_id, table.state).where(
        table.id.in_(sorted(refs)),
        or_(table.recipient_local_id == local_id, table.volunteer_local_id == local_id)))
    return {row.id: ServiceFact(row.category, row.item, row.recipient_local_id,
                                row.volunteer_local_id, row.state) for row in rows}


def _kin(conn: Connection, local_id: str) -> dict[str, str]:
    rows = conn.execute(select(tb_kin.c.relative, tb_kin.c.relation).where(
        tb_kin.c.member_local_id == local_id))
    return {row.relative: row.relation for row in rows}


def _names(conn: Connection, local_ids: set[str]) -> dict[str, str]:
    if not local_ids:
        return {}
    rows = conn.execute(select(members.c.local_id, members.c.display_name).where(
        members.c.local_id.in_(sorted(local_ids))))
    return {row.local_id: row.display_name for row in rows}


def _local_ids(addresses: Iterable[str], node_id: str) -> set[str]:
    suffix = f"@{node_id}"
    return {address.removesuffix(suffix) for address in addresses if address.endswith(suffix)}


@dataclass
class Centre:
    db: Database
    node_id: str

    def facts(self, principal: Principal, local_id: str, *,
              heights: Iterable[int]) -> CentreFacts:
        """Names for her statement lines at `heights` (those her account is not on are
        ignored) and for her kin."""
        records.precheck_member(principal, local_id)
        account = member_account(local_id)
        with self.db.read() as conn:
            row = load_member(conn, local_id)
            require_read_member(principal, local_id=local_id, station=row.station)
            mine = _my_heights(conn, account, heights)
            others = _others(conn, account, mine)
            services = _services(conn, local_id, mine)
            kin = _kin(conn, local_id)
            ids = {other for ids in others.values() for other in ids}
            ids |= {fact.recipient for fact in services.values()}
            ids |= {fact.volunteer for fact in services.values() if fact.volunteer}
            ids |= _local_ids(kin, self.node_id)
            people = _names(conn, ids - {local_id})
        return CentreFacts(people=people, services=services, kin=kin, heights=others)

    def volunteer_names(self, principal: Principal, local_id: str) -> dict[str, str]:
        """The display names of the volunteers who took her service requests (the person
        served, or whoever may read her, sees who is coming)."""
        records.precheck_member(principal, local_id)
        with self.db.read() as conn:
            row = load_member(conn, local_id)
            require_read_member(principal, local_id=local_id, station=row.station)
            table = tb_service_requests.c
            ids = set(conn.execute(select(table.volunteer_local_id).where(
                table.recipient_local_id == local_id,
                table.volunteer_local_id.is_not(None))).scalars())
            return _names(conn, ids)

    def open_transfers(self, principal: Principal, local_id: str) -> list[dict[str, Any]]:
        """Her transfers to other nodes that still hold hours (pending or in doubt), newest
        first."""
        records.precheck_member(principal, local_id)
        address = f"{local_id}@{self.node_id}"
        column = transfers.c
        with self.db.read() as conn:
            row = load_member(conn, local_id)
            require_read_member(principal, local_id=local_id, station=row.station)
            rows = conn.execute(select(column.id, column.creditor, column.amount_minutes,
                                       column.state, column.created_at_ms, column.route)
                                .where(column.debtor == address, OPEN_TRANSFER)
                                .order_by(column.created_at_ms.desc())
                                .limit(OPEN_TRANSFERS_MAX))
            return [{"id": r.id, "to": r.creditor, "amount_minutes": r.amount_minutes,
                     "state": r.state, "created_at_ms": r.created_at_ms,
                     "route": json.loads(r.route) if r.route else None} for r in rows]
