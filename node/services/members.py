"""Members of this node: registration, lookup, deactivation, balances and statements."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Row

from node.access import (
    Principal,
    Role,
    deny,
    require_act_for,
    require_read_member,
    require_role,
    speaks_for,
)
from node.clock import Clock
from node.db.engine import Database
from node.db.fast import FastStatement, in_params, in_values
from node.db.rows import MemberRow
from node.db.schema import OPEN_TRANSFER, journal_entries, members, postings, transfers
from node.errors import Conflict, ErrorCode, NotFound, RuleViolation
from node.ledger.journal import Ledger
from node.ledger.model import AccountKind, EntryKind, member_account
from node.ledger.system_ids import SYSTEM_MEMBER_IDS, refuse_system_id
from node.privacy import reads
from node.services.units import STANDARD_MINUTE, NodeUnit
from node.states import MEMBER_ACTIVE, MEMBER_DEACTIVATED, MEMBER_FLOOR_MINUTES
from node.stations.registry import require_station

ACTIVE = MEMBER_ACTIVE
DEACTIVATED = MEMBER_DEACTIVATED


@dataclass(frozen=True)
class MemberRecord:
    local_id: str
    address: str
    display_name: str
    station: str | None
    birth_year: int | None
    status: str
    created_at_ms: int
    relocated_to: str | None = None  # the new address once the member moved to another node


_MEMBER = FastStatement(select(members).where(members.c.local_id == bindparam("id")))


def load_member(conn: Connection, local_id: str) -> Any:
    """The member's row (attribute access by column name), or NotFound."""
    rows = _MEMBER.rows(conn, {"id": local_id})
    if not rows:
        raise NotFound(ErrorCode.MEMBER_NOT_FOUND, f"no member {local_id} on this node")
    return rows[0]


_MEMBER_PAIR = FastStatement(select(members).where(members.c.local_id.in_(in_params(2))))


def load_member_pair(conn: Connection, local_ids: tuple[str, str]) -> dict[str, Any]:
    """Two members in one query (the money path); NotFound names the first one missing."""
    found = {row.local_id: row for row in _MEMBER_PAIR.rows(conn, in_values(local_ids))}
    for local_id in local_ids:
        if local_id not in found:
            raise NotFound(ErrorCode.MEMBER_NOT_FOUND, f"no member {local_id} on this node")
    return found


def require_active(row: Any) -> None:
    if row.relocated_to is not None:
        raise RuleViolation(ErrorCode.MEMBER_RELOCATED,
                            f"member {row.local_id} moved to {row.relocated_to}; use that address")
    if row.status != ACTIVE:
        raise RuleViolation(ErrorCode.MEMBER_INACTIVE, f"member {row.local_id} is {row.status}")


class MemberService:
    def __init__(
        self, *, db: Database, ledger: Ledger, clock: Clock, node_id: str,
        unit: Callable[[], NodeUnit] = lambda: STANDARD_MINUTE,
    ) -> None:
        self.db = db
        self.ledger = ledger
        self.clock = clock
        self.node_id = node_id
        self.unit = unit  # the node's local unit, read from the directory it holds now

    def _record(self, row: Row[Any]) -> MemberRecord:
        return MemberRecord(
            local_id=row.local_id,
            address=f"{row.local_id}@{self.node_id}",
            display_name=row.display_name,
            station=row.station,
            birth_year=row.birth_year,
            status=row.status,
            created_at_ms=row.created_at_ms,
            relocated_to=row.relocated_to,
        )

    def create(
        self,
        principal: Principal,
        *,
        local_id: str,
        display_name: str,
        station: str | None,
        birth_year: int | None,
    ) -> MemberRecord:
        require_role(principal, Role.ADMIN, Role.STAFF, what="register members")
        if principal.role == Role.STAFF:
            if station not in (None, principal.station):
                raise deny(principal, f"register members for station {station}")
            station = principal.station
        refuse_system_id(local_id, what="choose another id for the member")
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            exists = conn.execute(
                select(members.c.local_id).where(members.c.local_id == local_id)
            ).first()
            if exists is not None:
                raise Conflict(ErrorCode.MEMBER_EXISTS, f"member {local_id} exists already")
            require_station(conn, station)  # station_unknown once stations are registered
            conn.execute(insert(members).values(MemberRow(
                local_id=local_id, display_name=display_name, station=station,
                birth_year=birth_year, status=ACTIVE, created_at_ms=now_ms,
            ).values()))
            self.ledger.create_account(
                conn,
                code=member_account(local_id),
                kind=AccountKind.MEMBER,
                now_ms=now_ms,
                member_local_id=local_id,
                floor_minutes=MEMBER_FLOOR_MINUTES,
            )
            return self._record(load_member(conn, local_id))

    def get(self, principal: Principal, local_id: str) -> MemberRecord:
        """Her record; every read but her own, refused or not, is a row of the access log
        (node/privacy/reads.py), written in the transaction that reads."""
        if reads.own_read(principal, local_id):
            with self.db.read() as conn:
                return self._record(load_member(conn, local_id))
        with self.db.write() as conn:
            refusal = reads.logged_read(conn, principal, local_id, fields=reads.RECORD_FIELDS,
                                        now_ms=self.clock.now_ms(), what="read member")
            if refusal is None:
                return self._record(load_member(conn, local_id))
        raise refusal  # after the transaction, so that the refusal's row stays

    def list(
        self, principal: Principal, *, after: str | None, limit: int, search: str | None = None
    ) -> list[MemberRecord]:
        """Members by id; `search`: only those whose id or name contains it (any case). The
        pool is the node's account, not a member: GET /api/v1/pool shows it."""
        require_role(principal, Role.ADMIN, Role.STAFF, Role.REGULATOR, what="list members")
        query = (select(members).where(members.c.local_id.not_in(sorted(SYSTEM_MEMBER_IDS)))
                 .order_by(members.c.local_id).limit(limit))
        if after is not None:
            query = query.where(members.c.local_id > after)
        if search:
            pattern = "%" + _escape_like(search.lower()) + "%"
            query = query.where(or_(
                func.lower(members.c.local_id).like(pattern, escape="\\"),
                func.lower(members.c.display_name).like(pattern, escape="\\"),
            ))
        if principal.role == Role.STAFF:
            query = query.where(members.c.station == principal.station)
        with self.db.write() as conn:  # one access-log row per member listed, in one batch
            found = [self._record(row) for row in conn.execute(query)]
            reads.logged_list(conn, principal, [r.local_id for r in found],
                              fields=reads.RECORD_FIELDS, now_ms=self.clock.now_ms())
            return found

    def deactivate(self, principal: Principal, local_id: str, *, reason: str) -> MemberRecord:
        """Stop a member's account from sending or receiving. The balance stays on the books."""
        require_role(principal, Role.ADMIN, Role.STAFF, what="deactivate members")
        with self.db.write() as conn:
            row = load_member(conn, local_id)
            require_act_for(principal, local_id=local_id, station=row.station)
            if row.status == ACTIVE:
                conn.execute(
                    update(members)
                    .where(members.c.local_id == local_id)
                    .values(
                        status=DEACTIVATED,
                        deactivated_at_ms=self.clock.now_ms(),
                        deactivation_reason=reason,
                    )
                )
            return self._record(load_member(conn, local_id))

    def balance(self, principal: Principal, local_id: str) -> dict[str, Any]:
        self._precheck_member_role(principal, local_id)
        address = f"{local_id}@{self.node_id}"
        with self.db.read() as conn:
            row = load_member(conn, local_id)
            require_read_member(principal, local_id=local_id, station=row.station)
            by_class = self.ledger.balances_of(conn, member_account(local_id))
            pending = conn.execute(
                select(func.coalesce(func.sum(transfers.c.amount_minutes), 0)).where(
                    transfers.c.debtor == address,
                    OPEN_TRANSFER,
                )
            ).scalar_one()
        available = sum(by_class.values())
        unit = self.unit()
        shown = unit.present(available)
        return {
            "address": address,
            "available_minutes": available,
            "pending_out_minutes": int(pending),
            "by_class_minutes": {str(k): v for k, v in sorted(by_class.items()) if v},
            "unit": unit.view(),
            "available_units": shown["units"],
            "available_remainder_minutes": shown["remainder_minutes"],
        }

    def statement(
        self, principal: Principal, local_id: str, *, before_height: int | None, limit: int
    ) -> dict[str, Any]:
        self._precheck_member_role(principal, local_id)
        account = member_account(local_id)
        with self.db.read() as conn:
            row = load_member(conn, local_id)
            require_read_member(principal, local_id=local_id, station=row.station)
            return _statement_page(
                conn,
                self.ledger,
                account=account,
                node_id=self.node_id,
                before_height=before_height,
                limit=limit,
            )

    @staticmethod
    def _precheck_member_role(principal: Principal, local_id: str) -> None:
        # A member learns nothing about other ids, not even whether they exist.
        if principal.role == Role.MEMBER and not speaks_for(principal, local_id):
            raise deny(principal, f"read member {local_id}")


def _escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern (its % and _ are not wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _statement_page(
    conn: Connection,
    ledger: Ledger,
    *,
    account: str,
    node_id: str,
    before_height: int | None,
    limit: int,
) -> dict[str, Any]:
    """Newest first; each line shows the net change, the classes, the other side and the
    balance after it, like a bank statement."""
    by_entry = (
        select(postings.c.entry_height, func.sum(postings.c.amount_minutes).label("net"))
        .where(postings.c.account_code == account)
        .group_by(postings.c.entry_height)
        .order_by(postings.c.entry_height.desc())
        .limit(limit + 1)
    )
    if before_height is not None:
        by_entry = by_entry.where(postings.c.entry_height < before_height)
    lines = conn.execute(by_entry).all()
    has_more = len(lines) > limit
    lines = lines[:limit]
    balance = sum(ledger.balances_of(conn, account).values())
    if before_height is not None:
        later = conn.execute(
            select(func.coalesce(func.sum(postings.c.amount_minutes), 0)).where(
                postings.c.account_code == account, postings.c.entry_height >= before_height
            )
        ).scalar_one()
        balance -= int(later)
    heights = [line.entry_height for line in lines]
    entries = {
        e.height: e
        for e in conn.execute(select(journal_entries).where(journal_entries.c.height.in_(heights)))
    }
    legs: dict[int, list[Row[Any]]] = {h: [] for h in heights}
    for p in conn.execute(select(postings).where(postings.c.entry_height.in_(heights))):
        legs[p.entry_height].append(p)
    remote = _remote_parties(conn, entries.values())
    items = []
    for line in lines:
        entry = entries[line.entry_height]
        mine = [p for p in legs[line.entry_height] if p.account_code == account]
        others = sorted({p.account_code for p in legs[line.entry_height]} - {account})
        party = remote.get(entry.height)
        items.append(
            {
                "height": entry.height,
                "entry_id": entry.entry_id,
                "kind": entry.kind,
                "ref": entry.ref,
                "memo": entry.memo,
                "created_at_ms": entry.created_at_ms,
                "amount_minutes": int(line.net),
                "by_class_minutes": {p.credit_class: p.amount_minutes for p in mine},
                "counterparty": [party] if party else
                [_display_account(code, node_id) for code in others],
                "peer_node": party.split("@")[1] if party else None,
                "balance_after_minutes": balance,
            }
        )
        balance -= int(line.net)
    return {
        "items": items,
        "next_before_height": heights[-1] if has_more else None,
    }


_SENT = frozenset({EntryKind.TRANSFER_OUT, EntryKind.TRANSFER_SETTLE,
                   EntryKind.TRANSFER_RELEASE})


def _remote_parties(conn: Connection, entries: Iterable[Any]) -> dict[int, str]:
    """The member at another node each cross-node entry moved hours to or from, by height."""
    # Hours that arrived from another node name their sender (the debtor, or the member's own
    # old address for a relocation) as the entry's actor.
    parties = {e.height: e.actor for e in entries
               if e.kind in (EntryKind.TRANSFER_IN, EntryKind.RELOCATION_IN)}
    sent = {e.ref: e.height for e in entries if e.kind in _SENT and e.ref}
    if sent:
        rows = conn.execute(select(transfers.c.id, transfers.c.creditor)
                            .where(transfers.c.id.in_(list(sent))))
        for transfer_id, creditor in rows:
            parties[sent[transfer_id]] = creditor
    return parties


def _display_account(code: str, node_id: str) -> str:
    kind, _, rest = code.partition(":")
    if kind == AccountKind.MEMBER:
        return f"{rest}@{node_id}"
    return code
